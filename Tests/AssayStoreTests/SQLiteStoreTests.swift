import AssayCore
@testable import AssayStore
import Foundation
import GRDB
import Testing

/// What is particular to the SQLite store (files, schema, WAL, transactions);
/// the shared semantics are checked by the conformance suite.
@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test func reopenFindsEverythingAndRecordsTheSchemaVersion() async throws {
        let place = try Place()
        defer { place.remove() }
        var store = try place.open()
        let user = try await store.createUser(username: "ada", passwordHash: "h", isAdmin: true, now: start)
        let experiment = try await store.createExperiment(place.newExperiment(owner: user.id, trials: 3), now: start)
        let leases = try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: start)
        _ = try await store.applyEvents(
            EventBatch(experiment: experiment.id, runner: "r1", seq: 1, events: [
                .log(trial: 0, attempt: 1, stream: .stdout, lines: ["hello"]),
                .finished(trial: 0, attempt: 1, status: .succeeded, exitCode: 0, seconds: 1.5, final: Metrics([("acc", .number(0.9))]), reason: nil),
            ]), now: start)

        store = try place.open()
        #expect(try await store.user(named: "ada") == user)
        let reopened = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(reopened.counts == TrialCounts(pending: 2, succeeded: 1))
        #expect(reopened.createdAt == start)
        let trial = try #require(try await store.trial(experiment: experiment.id, index: leases[0].index, owner: user.id))
        #expect(trial.final["acc"] == .number(0.9))
        #expect(trial.attempts.map(\.status) == [.succeeded])
        #expect(try await store.logs(experiment: experiment.id, trial: 0, owner: user.id, limit: 10).map(\.text) == ["hello"])
        let migrations = try await store.pool.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(migrations == ["v1: accounts, artifacts, experiments, lease queue, events", "v2: lost leases per trial", "v3: public experiments",
            "v4: adaptive search: proposed parameters, trials stopped early",
        ])
    }

    /// A full disk, as SQLite or Foundation reports it, is `full` (507 at the API), not a failure.
    @Test func aFullDiskIsFullNotAFailure() {
        #expect(SQLiteStore.storeError(CocoaError(.fileWriteOutOfSpace)) as? StoreError == .full(CocoaError(.fileWriteOutOfSpace).localizedDescription))
        #expect(SQLiteStore.storeError(DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full")) as? StoreError
            == .full("SQLite: database or disk is full"))
        #expect(SQLiteStore.storeError(CocoaError(.fileWriteNoPermission)) as? StoreError != nil)
        if case .full = SQLiteStore.storeError(CocoaError(.fileWriteNoPermission)) as? StoreError { Issue.record("a permission error is not a full disk") }
    }

    @Test func walModeAndForeignKeysAreOn() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        let (journal, foreignKeys) = try await store.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Bool.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(journal == "wal")
        #expect(foreignKeys == true)
        #expect(FileManager.default.fileExists(atPath: place.database + "-wal"))
    }

    @Test func aDatabaseFromANewerVersionIsRefused() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        try await store.pool.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
        }
        #expect(throws: StoreError.failure("the database was written by a newer Assay (migration \"v99: from the future\"); upgrade Assay to open it")) {
            try place.open()
        }
    }

    @Test func aPathThatCannotBeADatabaseIsUnavailable() throws {
        let place = try Place()
        defer { place.remove() }
        try FileManager.default.createDirectory(atPath: place.database, withIntermediateDirectories: true)
        #expect {
            try place.open()
        } throws: { error in
            if case StoreError.unavailable = error { true } else { false }
        }
    }

    @Test func aMillionTrialExperimentIsOneRowUntilLeased() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        let experiment = try await store.createExperiment(place.newExperiment(owner: "u", trials: 1_000_000), now: start)
        #expect(experiment.counts == TrialCounts(pending: 1_000_000))
        #expect(try await place.count("trials", in: store) == 0)
        #expect(try await place.count("experiments", in: store) == 1)

        let leases = try await store.lease(experiment: experiment.id, runner: "r", max: 3, now: start)
        #expect(leases.map(\.index) == [0, 1, 2])
        #expect(try await place.count("trials", in: store) == 3)
        let next = try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT nextIndex FROM experiment_states") }
        #expect(next == 3)
    }

    @Test func anyMaxIsCappedByTheTrialsLeft() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        let experiment = try await store.createExperiment(place.newExperiment(owner: "u", trials: 5), now: start)
        #expect(try await store.lease(experiment: experiment.id, runner: "r", max: 2, now: start).count == 2)
        #expect(try await store.lease(experiment: experiment.id, runner: "r", max: .max, now: start).map(\.index) == [2, 3, 4])
        #expect(try await store.lease(experiment: experiment.id, runner: "r", max: .max, now: start).isEmpty)
        #expect(try await store.lease(experiment: experiment.id, runner: "r", max: -1, now: start).isEmpty)
    }

    @Test func eightRunnersLeasingAtOnceNeverShareATrial() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        let experiment = try await store.createExperiment(place.newExperiment(owner: "u", trials: 300), now: start)
        let handedOut = try await withThrowingTaskGroup(of: [Int].self) { group in
            for runner in 0..<8 {
                group.addTask {
                    var mine: [Int] = []
                    while true {
                        let leases = try await store.lease(experiment: experiment.id, runner: "r\(runner)", max: 3, now: start)
                        if leases.isEmpty { return mine }
                        mine += leases.map(\.index)
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(handedOut.count == 300)
        #expect(Set(handedOut) == Set(0..<300))
        let counts = try #require(try await store.experiment(id: experiment.id, owner: nil)).counts
        #expect(counts == TrialCounts(running: 300))
    }

    @Test func aBatchAppliedTwiceCountsOnce() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        let experiment = try await store.createExperiment(place.newExperiment(owner: "u", trials: 1), now: start)
        _ = try await store.lease(experiment: experiment.id, runner: "r", max: 1, now: start)
        let batch = EventBatch(experiment: experiment.id, runner: "r", seq: 7, events: [
            .metrics(trial: 0, attempt: 1, steps: [1, 2], values: ["loss": [0.5, 0.4]]),
            .metrics(trial: 0, attempt: 1, steps: [3], values: ["acc": [0.9]]),
            .log(trial: 0, attempt: 1, stream: .stderr, lines: ["warn"]),
        ])
        let first = try await store.applyEvents(batch, now: start)
        let second = try await store.applyEvents(batch, now: start.addingTimeInterval(1))
        #expect(!first.duplicate)
        #expect(second.duplicate)
        #expect(second.experimentStatus == .running)

        // Two metrics events of one attempt in one batch are one bucket, padded to equal columns.
        #expect(try await place.count("metric_buckets", in: store) == 1)
        let series = try await store.metricSeries(experiment: experiment.id, trial: 0, owner: nil)
        #expect(series == [MetricSeries(attempt: 1, steps: [1, 2, 3], values: ["loss": [0.5, 0.4, nil], "acc": [nil, nil, 0.9]])])
        #expect(try await store.logs(experiment: experiment.id, trial: 0, owner: nil, limit: 10).count == 1)
    }

    @Test func anExpiredLeaseComesBackAsTheNextAttempt() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        let experiment = try await store.createExperiment(place.newExperiment(owner: "u", trials: 1, attempts: 2), now: start)
        let first = try await store.lease(experiment: experiment.id, runner: "a", max: 1, now: start)
        #expect(first == [TrialLease(index: 0, attempt: 1, deadline: start.addingTimeInterval(30))])
        #expect(try await store.lease(experiment: experiment.id, runner: "b", max: 1, now: start.addingTimeInterval(29)).isEmpty)

        let later = start.addingTimeInterval(30)
        let second = try await store.lease(experiment: experiment.id, runner: "b", max: 1, now: later)
        #expect(second == [TrialLease(index: 0, attempt: 2, deadline: later.addingTimeInterval(30))])
        let trial = try #require(try await store.trial(experiment: experiment.id, index: 0, owner: nil))
        #expect(trial.runner == "b")
        #expect(trial.attempts.map(\.status) == [.failed, .running])
        #expect(trial.attempts[0].reason == "lease expired")

        // The first Runner's late report is ignored and the trial revoked.
        let outcome = try await store.applyEvents(
            EventBatch(experiment: experiment.id, runner: "a", seq: 1, events: [
                .finished(trial: 0, attempt: 1, status: .succeeded, exitCode: 0, seconds: 1, final: Metrics(), reason: nil)
            ]), now: later)
        #expect(outcome.revoked == [TrialAttempt(trial: 0, attempt: 1)])
        #expect(try await store.experiment(id: experiment.id, owner: nil)?.counts == TrialCounts(running: 1))

        // A lost lease spends no retry: the reaper requeues the trial once more.
        #expect(try await store.expireLeases(now: later.addingTimeInterval(30)).trials == 1)
        let requeued = try #require(try await store.experiment(id: experiment.id, owner: nil))
        #expect(requeued.counts == TrialCounts(pending: 1))
        #expect(requeued.status == .running)
        let rows = try await store.pool.read { db in try Row.fetchAll(db, sql: "SELECT attempt, lostLeases FROM trials") }
        #expect(rows.map { [$0["attempt"] as Int, $0["lostLeases"] as Int] } == [[2, 2]])
    }

    /// A database written before v2 gains the lost-lease count; its trials start at none.
    @Test func aVersion1DatabaseIsMigratedWithNoLostLeases() async throws {
        let place = try Place()
        defer { place.remove() }
        var store = try place.open()
        let experiment = try await store.createExperiment(place.newExperiment(owner: "u", trials: 1), now: start)
        _ = try await store.lease(experiment: experiment.id, runner: "a", max: 1, now: start)
        try await store.pool.write { db in
            try db.execute(sql: "ALTER TABLE trials DROP COLUMN lostLeases")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v2:%'")
        }

        store = try place.open()
        #expect(try await store.pool.read { db in try Int.fetchAll(db, sql: "SELECT lostLeases FROM trials") } == [0])
        let again = try await store.lease(experiment: experiment.id, runner: "b", max: 1, now: start.addingTimeInterval(30))
        #expect(again.map(\.attempt) == [2])
    }

    @Test func deletingAnExperimentLeavesNoRowBehind() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        let kept = try await store.createExperiment(place.newExperiment(owner: "u", trials: 1), now: start)
        let experiment = try await store.createExperiment(place.newExperiment(owner: "u", trials: 2, attempts: 2), now: start)
        _ = try await store.lease(experiment: experiment.id, runner: "r", max: 2, now: start)
        _ = try await store.applyEvents(
            EventBatch(experiment: experiment.id, runner: "r", seq: 1, events: [
                .metrics(trial: 0, attempt: 1, steps: [1], values: ["loss": [1]]),
                .log(trial: 0, attempt: 1, stream: .stdout, lines: ["x"]),
                .finished(trial: 1, attempt: 1, status: .failed, exitCode: 1, seconds: 1, final: Metrics([("loss", .number(2))]), reason: "exit code 1"),
            ]), now: start)
        _ = try await store.createCredential(
            Credential(id: "", kind: .runner, owner: "u", experiment: experiment.id, name: "runner", secretHash: "s", createdAt: start))

        #expect(try await store.deleteExperiment(id: experiment.id, owner: "someone else") == false)
        #expect(try await store.deleteExperiment(id: experiment.id, owner: "u"))
        for table in ["trials", "attempts", "trial_metrics", "metric_buckets", "log_lines", "applied_batches", "credentials"] {
            #expect(try await place.count(table, in: store) == 0, "\(table)")
        }
        #expect(try await place.count("experiment_states", in: store) == 1)
        #expect(try await store.experiment(id: kept.id, owner: "u") != nil)
    }

    @Test func artifactsAreFilesNamedByTheirHashStoredOnce() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let upload = place.root.appending(path: "upload.zip")
        try Data(bytes).write(to: upload)
        let sha = String(repeating: "ab", count: 32)

        let (artifact, deduplicated) = try await store.storeArtifact(owner: "u1", sha256: sha, size: bytes.count, contentsOf: upload, now: start)
        #expect(!deduplicated)
        let file = place.database + ".artifacts/" + sha
        #expect(FileManager.default.contents(atPath: file) == Data(bytes))
        #expect(try FileManager.default.contentsOfDirectory(atPath: place.database + ".artifacts") == [sha])

        let again = try await store.storeArtifact(owner: "u1", sha256: sha, size: bytes.count, contentsOf: upload, now: start)
        #expect(again.artifact == artifact)
        #expect(again.deduplicated)
        let theirs = try await store.storeArtifact(owner: "u2", sha256: sha, size: bytes.count, contentsOf: upload, now: start)
        #expect(!theirs.deduplicated)
        #expect(theirs.artifact.id != artifact.id)
        #expect(try FileManager.default.contentsOfDirectory(atPath: place.database + ".artifacts") == [sha])

        let chunks = Chunks()
        try await store.readArtifact(id: artifact.id, owner: "u1") { chunk in await chunks.append(chunk) }
        #expect(await chunks.sizes.allSatisfy { $0 <= 64 * 1024 })
        #expect(await chunks.bytes == bytes)
        await #expect(throws: StoreError.notFound("artifact \(artifact.id)")) {
            try await store.readArtifact(id: artifact.id, owner: "u2") { _ in }
        }
    }

    @Test func artifactsWithABadHashOrSizeAreRefusedAndLeaveNoFile() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        let upload = place.root.appending(path: "upload.zip")
        try Data("zip".utf8).write(to: upload)
        for sha in ["../../etc/passwd", String(repeating: "A", count: 64), String(repeating: "a", count: 63)] {
            await #expect(throws: StoreError.invalid("sha256 must be 64 lowercase hex digits")) {
                try await store.storeArtifact(owner: "u", sha256: sha, size: 3, contentsOf: upload, now: start)
            }
        }
        await #expect(throws: StoreError.invalid("artifact file holds 3 bytes, not the announced 4")) {
            try await store.storeArtifact(owner: "u", sha256: String(repeating: "0", count: 64), size: 4, contentsOf: upload, now: start)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: place.database + ".artifacts").isEmpty)
        #expect(try await place.count("artifacts", in: store) == 0)
    }

    @Test func logsKeepTheirTailAndNULBytes() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        let experiment = try await store.createExperiment(place.newExperiment(owner: "u", trials: 1), now: start)
        _ = try await store.lease(experiment: experiment.id, runner: "r", max: 1, now: start)
        for seq in 0..<3 {
            let lines = (0..<600).map { "line \(seq * 600 + $0)\0end" }
            _ = try await store.applyEvents(
                EventBatch(experiment: experiment.id, runner: "r", seq: seq, events: [.log(trial: 0, attempt: 1, stream: .stdout, lines: lines)]),
                now: start)
        }
        let logs = try await store.logs(experiment: experiment.id, trial: 0, owner: nil, limit: 5_000)
        #expect(logs.count == SQLiteStore.logTail)
        #expect(logs.first?.text == "line 800\0end")
        #expect(logs.last?.text == "line 1799\0end")
        #expect(try await place.count("log_lines", in: store) == SQLiteStore.logTail)
    }

    @Test func metricNamesAreBoundNeverSpliced() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        let hostile = "a'b\"; DROP TABLE trials; --$x.y\0z"
        let experiment = try await store.createExperiment(place.newExperiment(owner: "u", trials: 4), now: start)
        _ = try await store.lease(experiment: experiment.id, runner: "r", max: 4, now: start)
        let values: [ResultValue?] = [.number(0.2), nil, .number(0.7), .text("n/a")]
        let events = values.enumerated().map { index, value in
            RunnerEvent.finished(
                trial: index, attempt: 1, status: .succeeded, exitCode: 0, seconds: 1,
                final: Metrics(value.map { [(hostile, $0)] } ?? []), reason: nil)
        }
        _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r", seq: 1, events: events), now: start)
        let descending = try await store.trials(experiment: experiment.id, owner: nil, query: TrialQuery(order: .metric(hostile, descending: true)))
        #expect(descending.map(\.index) == [2, 0, 1, 3])
        let ascending = try await store.trials(experiment: experiment.id, owner: nil, query: TrialQuery(order: .metric(hostile, descending: false)))
        #expect(ascending.map(\.index) == [0, 2, 1, 3])
        #expect(ascending.last?.final[hostile] == .text("n/a"))
    }

    @Test func textSearchIsLiteralAndCaseInsensitive() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        for (offset, name) in ["100% done", "a_b", "aXb", "Größe", "plain"].enumerated() {
            var new = place.newExperiment(owner: "u", trials: 1)
            new.name = name
            _ = try await store.createExperiment(new, now: start.addingTimeInterval(Double(offset)))
        }
        func names(_ text: String) async throws -> [String] {
            try await store.experiments(owner: "u", filter: ExperimentFilter(text: text), page: PageRequest()).items.map(\.name)
        }
        #expect(try await names("%") == ["100% done"])
        #expect(try await names("_") == ["a_b"])
        #expect(try await names("GRÖ") == ["Größe"])
        #expect(try await names("A") == ["plain", "aXb", "a_b"])
    }

    @Test func textThatSQLiteWouldCutShortIsRefused() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        var new = place.newExperiment(owner: "u", trials: 1)
        new.name = "before\0after"
        await #expect(throws: StoreError.invalid("name contains a NUL byte")) {
            try await store.createExperiment(new, now: start)
        }
        await #expect(throws: StoreError.conflict("username \"ada\" is taken")) {
            _ = try await store.createUser(username: "ada", passwordHash: "x", isAdmin: false, now: start)
            _ = try await store.createUser(username: "ada", passwordHash: "y", isAdmin: false, now: start)
        }
    }

    @Test func datesKeepSubMillisecondPrecision() async throws {
        let place = try Place()
        defer { place.remove() }
        let store = try place.open()
        let now = Date(timeIntervalSince1970: 1_790_000_000.123456)
        let user = try await store.createUser(username: "u", passwordHash: "h", isAdmin: false, now: now)
        #expect(try await store.user(id: user.id)?.createdAt == now)
    }
}

/// 2026-09-21: a fixed clock for these tests.
private let start = Date(timeIntervalSince1970: 1_790_000_000)

/// A temporary folder holding one test's database.
private struct Place {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appending(path: "assay-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    var database: String { root.appending(path: "data/assay.db").path }

    func open() throws -> SQLiteStore { try SQLiteStore(path: database) }

    func remove() { try? FileManager.default.removeItem(at: root) }

    func newExperiment(owner: UserID, trials: Int, attempts: Int = 1) -> NewExperiment {
        NewExperiment(owner: owner, name: "sweep", declaration: "{}", trialCount: trials, maxAttempts: attempts, leaseDuration: .seconds(30))
    }

    func count(_ table: String, in store: SQLiteStore) async throws -> Int {
        try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }
}

/// Collects what `readArtifact` delivers.
private actor Chunks {
    var sizes: [Int] = []
    var bytes: [UInt8] = []

    func append(_ chunk: [UInt8]) {
        sizes.append(chunk.count)
        bytes += chunk
    }
}
