import AssayCore
@testable import AssayStore
import AssayTestSupport
import Foundation
import Testing

/// What only the MongoDB store has to get right: its indexes, compare-and-set leases under
/// concurrency, idempotent batches (also after a crash midway), names that are data, and
/// the BSON layer. The shared semantics are in the Conformance suites.
@Suite("MongoStore")
struct MongoStoreTests {
    private let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// A store on a database of its own.
    private func freshStore() async throws -> MongoStore {
        let server = try await MongoTestServer.shared()
        return try await MongoStore(uri: server.uri, database: "m\(UUID().uuidString.prefix(12).lowercased())")
    }

    private func seed(_ store: MongoStore, trials: Int, maxAttempts: Int = 1, lease: Duration = .seconds(30)) async throws
        -> (user: User, experiment: ExperimentRecord)
    {
        let user = try await store.createUser(username: "u-\(UUID().uuidString.prefix(8))", passwordHash: "h", isAdmin: false, now: t0)
        let experiment = try await store.createExperiment(
            NewExperiment(owner: user.id, name: "exp", declaration: "{}", trialCount: trials, maxAttempts: maxAttempts, leaseDuration: lease),
            now: t0)
        return (user, experiment)
    }

    @Test func indexesExistAfterInit() async throws {
        let store = try await freshStore()
        for (collection, specs) in MongoStore.indexes {
            let keys = try await store.run { connection in try connection.indexKeys(collection) }.map(Self.normalized)
            for spec in specs {
                #expect(keys.contains(Self.normalized(spec.key)), "\(collection): \(spec.name)")
            }
        }
        // Opening the same database again re-creates nothing and fails on nothing.
        let server = try await MongoTestServer.shared()
        _ = try await MongoStore(uri: server.uri, database: store.pool.database)
    }

    /// Index keys as their fields in order (nx-27017 reports every direction as ascending).
    private static func normalized(_ key: BSON.Document) -> [String] {
        key.fields.map(\.key)
    }

    @Test func uniqueIndexesRefuseDuplicatesAsConflicts() async throws {
        let store = try await freshStore()
        _ = try await store.createUser(username: "ada", passwordHash: "h", isAdmin: false, now: t0)
        await #expect(throws: StoreError.conflict("username ada is taken")) {
            _ = try await store.createUser(username: "ada", passwordHash: "h", isAdmin: false, now: t0)
        }
    }

    @Test func concurrentLeasesNeverHandOutATrialTwice() async throws {
        let store = try await freshStore()
        let (user, experiment) = try await seed(store, trials: 150, maxAttempts: 3, lease: .seconds(10))
        @Sendable func leaseAll(now: Date) async throws -> [TrialLease] {
            try await withThrowingTaskGroup(of: [TrialLease].self) { group in
                for runner in 0..<8 {
                    group.addTask {
                        var mine: [TrialLease] = []
                        while true {
                            let batch = try await store.lease(experiment: experiment.id, runner: "r\(runner)", max: 3, now: now)
                            if batch.isEmpty { return mine }
                            mine += batch
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        // Fresh indexes: every index once, at attempt 1.
        let fresh = try await leaseAll(now: t0)
        #expect(fresh.map(\.index).sorted() == Array(0..<150))
        #expect(Set(fresh.map(\.attempt)) == [1])
        // Every lease expired: each trial comes back exactly once, as attempt 2.
        let again = try await leaseAll(now: t0.addingTimeInterval(10))
        #expect(again.map(\.index).sorted() == Array(0..<150))
        #expect(Set(again.map(\.attempt)) == [2])
        let record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(running: 150))
        let trial = try #require(try await store.trial(experiment: experiment.id, index: 77, owner: user.id))
        #expect(trial.attempts.map(\.status) == [.failed, .running] && trial.attempts.count == 2)
    }

    @Test func aBatchAppliedTwiceChangesNothing() async throws {
        let store = try await freshStore()
        let (user, experiment) = try await seed(store, trials: 3)
        let leases = try await store.lease(experiment: experiment.id, runner: "r1", max: 3, now: t0)
        let batch = EventBatch(experiment: experiment.id, runner: "r1", seq: 1, events: [
            .metrics(trial: 0, attempt: 1, steps: [1, 2], values: ["loss": [0.5, 0.25]]),
            .log(trial: 0, attempt: 1, stream: .stdout, lines: ["one", "two"]),
            .finished(trial: 0, attempt: 1, status: .succeeded, exitCode: 0, seconds: 2, final: Metrics([("loss", .number(0.25))]), reason: nil),
            .finished(trial: 1, attempt: 1, status: .failed, exitCode: 1, seconds: 1, final: Metrics(), reason: "exit code 1"),
        ])
        let first = try await store.applyEvents(batch, now: t0.addingTimeInterval(1))
        let snapshot = try await Snapshot(store, experiment: experiment.id, owner: user.id)
        #expect(snapshot.record.counts == TrialCounts(running: 1, succeeded: 1, failed: 1))

        let again = try await store.applyEvents(batch, now: t0.addingTimeInterval(2))
        #expect(!first.duplicate && again.duplicate)
        #expect(try await Snapshot(store, experiment: experiment.id, owner: user.id) == snapshot)
        _ = leases
    }

    /// A server dying between the writes of a batch: the Runner retries the same batch, and
    /// every state it can find is repaired without counting anything twice.
    @Test(arguments: [CrashPoint.beforeCounts, .afterCounts, .beforeMarker])
    func aRetryRepairsABatchThatDiedMidway(crash: CrashPoint) async throws {
        let store = try await freshStore()
        let (user, experiment) = try await seed(store, trials: 2)
        _ = try await store.lease(experiment: experiment.id, runner: "r1", max: 2, now: t0)
        let batch = EventBatch(experiment: experiment.id, runner: "r1", seq: 5, events: [
            .metrics(trial: 0, attempt: 1, steps: [1], values: ["loss": [1]]),
            .log(trial: 0, attempt: 1, stream: .stderr, lines: ["warning"]),
            .finished(trial: 0, attempt: 1, status: .succeeded, exitCode: 0, seconds: 3, final: Metrics([("loss", .number(1))]), reason: nil),
        ])
        _ = try await store.applyEvents(batch, now: t0.addingTimeInterval(1))
        let expected = try await Snapshot(store, experiment: experiment.id, owner: user.id)

        // Put the database back into the state the crash would have left.
        let id = experiment.id
        try await store.run { connection in
            let trial = try #require(try MongoStore.loadTrial(connection, experiment: id, index: 0))
            let change = CountChange(index: 0, revision: trial.revision, from: .running, to: .succeeded)
            try connection.delete(Collections.batches, filter: ["experiment": .string(id)])
            guard crash != .beforeMarker else { return }
            try connection.update(Collections.trials, filter: ["_id": .string(trial.id)], update: ["$set": ["pendingCount": .document(change.document)]])
            if crash == .beforeCounts {
                try connection.update(Collections.experiments, filter: ["_id": .string(id)], update: [
                    "$inc": ["counts.running": 1, "counts.succeeded": -1], "$unset": ["journal.\(change.token)": ""],
                ])
            }
        }
        let retried = try await store.applyEvents(batch, now: t0.addingTimeInterval(1))
        #expect(!retried.duplicate && retried.revoked.isEmpty)
        #expect(try await Snapshot(store, experiment: experiment.id, owner: user.id) == expected)
        #expect(expected.record.counts == TrialCounts(running: 1, succeeded: 1))
    }

    enum CrashPoint: String, Sendable, CustomTestStringConvertible {
        /// The trial changed; its count change was not applied.
        case beforeCounts
        /// The count change was applied; the trial's marker was not cleared.
        case afterCounts
        /// Everything but the batch marker was written.
        case beforeMarker

        var testDescription: String { rawValue }
    }

    /// What a batch can change, for before/after comparisons.
    struct Snapshot: Equatable {
        var record: ExperimentRecord
        var trials: [TrialRecord]
        var series: [[MetricSeries]]
        var logs: [[LogLine]]

        init(_ store: MongoStore, experiment: ExperimentID, owner: UserID) async throws {
            record = try #require(try await store.experiment(id: experiment, owner: owner))
            trials = try await store.trials(experiment: experiment, owner: owner, query: TrialQuery(limit: 1_000))
            series = []
            logs = []
            for trial in trials {
                series.append(try await store.metricSeries(experiment: experiment, trial: trial.index, owner: owner))
                logs.append(try await store.logs(experiment: experiment, trial: trial.index, owner: owner, limit: 10_000))
            }
        }
    }

    /// A leaser that died after inserting trial records but before moving `nextIndex`: the
    /// next leaser moves it on its behalf, and the reaper counts and expires such records.
    @Test func aLeaserThatDiedBetweenItsWritesLosesNoTrial() async throws {
        let store = try await freshStore()
        let (user, experiment) = try await seed(store, trials: 6, maxAttempts: 2, lease: .seconds(10))
        let id = experiment.id
        // The dead leaser's records: indexes 0 and 1, counter untouched.
        try await store.run { connection in
            let dead = (0..<2).map { StoredTrial(experiment: id, index: $0, runner: "dead", now: t0, deadline: t0.addingTimeInterval(10)) }
            try connection.insertMany(Collections.trials, dead.map(\.document), ordered: true)
        }
        let leases = try await store.lease(experiment: id, runner: "r1", max: 2, now: t0.addingTimeInterval(1))
        #expect(leases.map(\.index) == [2, 3])
        var record = try #require(try await store.experiment(id: id, owner: user.id))
        #expect(record.counts == TrialCounts(pending: 2, running: 4))

        // Two more dead records past the counter; their leases run out.
        try await store.run { connection in
            let dead = (4..<6).map { StoredTrial(experiment: id, index: $0, runner: "dead", now: t0, deadline: t0.addingTimeInterval(10)) }
            try connection.insertMany(Collections.trials, dead.map(\.document), ordered: true)
        }
        #expect(try await store.expireLeases(now: t0.addingTimeInterval(12)).trials == 6)
        record = try #require(try await store.experiment(id: id, owner: user.id))
        #expect(record.counts == TrialCounts(pending: 6))
        let trials = try await store.trials(experiment: id, owner: user.id, query: TrialQuery())
        #expect(trials.map(\.status) == Array(repeating: .pending, count: 6))
        #expect(try await store.lease(experiment: id, runner: "r2", max: 10, now: t0.addingTimeInterval(13)).map(\.attempt) == Array(repeating: 2, count: 6))
    }

    /// One batch ending hundreds of trials settles all their counts in one update.
    @Test func aLargeBatchSettlesEveryCount() async throws {
        let store = try await freshStore()
        let (user, experiment) = try await seed(store, trials: 300)
        let leases = try await store.lease(experiment: experiment.id, runner: "r1", max: 300, now: t0)
        #expect(leases.count == 300)
        let outcome = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 1, events: leases.map {
            .finished(trial: $0.index, attempt: 1, status: $0.index.isMultiple(of: 3) ? .failed : .succeeded, exitCode: 0, seconds: 1,
                      final: Metrics([("i", .number(Double($0.index)))]), reason: nil)
        }), now: t0.addingTimeInterval(1))
        #expect(outcome.experimentStatus == .completed)
        let record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(succeeded: 200, failed: 100))
    }

    /// The journal of applied count changes is pruned once it is long, keeping recent tokens.
    @Test func theCountJournalIsPrunedToItsHorizon() async throws {
        let store = try await freshStore()
        let (user, experiment) = try await seed(store, trials: 1)
        let leases = try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: t0)
        let id = experiment.id
        let old = t0.addingTimeInterval(-MongoStore.journalHorizon - 1)
        try await store.run { connection in
            for start in stride(from: 0, to: MongoStore.journalLimit, by: 40) {
                let stale = BSON.Document((start..<start + 40).map { ("journal.old\($0)", StoredValue.time(old)) })
                try connection.update(Collections.experiments, filter: ["_id": .string(id)], update: [
                    "$set": .document(stale), "$inc": ["journalSize": 40],
                ])
            }
        }
        _ = try await store.applyEvents(EventBatch(experiment: id, runner: "r1", seq: 1, events: [
            .finished(trial: leases[0].index, attempt: 1, status: .succeeded, exitCode: 0, seconds: 1, final: Metrics(), reason: nil),
        ]), now: t0)
        let journal = try await store.run { connection in
            try connection.findOne(Collections.experiments, ["_id": .string(id)])?["journal"]?.document?.fields.map(\.key) ?? []
        }
        #expect(journal.count == 1 && journal.first?.hasPrefix("t0r") == true, "\(journal.count) \(journal.filter { !$0.hasPrefix("old") })")
        #expect(try await store.experiment(id: id, owner: user.id)?.status == .completed)
    }

    @Test func hostileNamesRoundTripVerbatim() async throws {
        let store = try await freshStore()
        let (user, experiment) = try await seed(store, trials: 3)
        let megabyte = String(repeating: "ü$.\u{0}", count: 200_000)  // 1.2 MB of UTF-8
        let names = ["$inc", "$", "a.b", "a.b.c", ".", "$where", "nul\u{0}name", "", "\u{1F600}", "x" + megabyte.prefix(100_000)]
        let runner = "pod-1.$set"
        let leases = try await store.lease(experiment: experiment.id, runner: runner, max: 3, now: t0)
        #expect(leases.count == 3)
        var values: [String: [Double?]] = [:]
        for (position, name) in names.enumerated() { values[name] = [Double(position), nil, .infinity] }
        let lines = ["plain", "nul \u{0} inside", "{\"$gt\": 1}", megabyte] + Array(repeating: megabyte, count: 5)
        let final = Metrics(names.enumerated().map { ($0.element, ResultValue.number(Double($0.offset))) } + [("text $.", .text(megabyte)), ("nan", .number(.nan))])
        let outcome = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: runner, seq: 1, events: [
            .metrics(trial: 0, attempt: 1, steps: [1, nil, 3], values: values),
            .log(trial: 0, attempt: 1, stream: .stdout, lines: lines),
            .finished(trial: 0, attempt: 1, status: .succeeded, exitCode: 0, seconds: 1, final: final, reason: megabyte),
            .finished(trial: 1, attempt: 1, status: .succeeded, exitCode: 0, seconds: 1, final: Metrics([("$inc", .number(-1))]), reason: nil),
        ]), now: t0)
        #expect(outcome.revoked.isEmpty)

        let trial = try #require(try await store.trial(experiment: experiment.id, index: 0, owner: user.id))
        #expect(trial.final.names == final.names)
        for entry in final.entries where entry.name != "nan" { #expect(trial.final[entry.name] == entry.value) }
        #expect(trial.final["nan"]?.number?.isNaN == true)
        #expect(trial.attempts.first?.reason == megabyte && trial.runner == runner)

        let series = try #require(try await store.metricSeries(experiment: experiment.id, trial: 0, owner: user.id).first)
        #expect(series.steps == [1, nil, 3])
        #expect(Set(series.values.keys) == Set(names))
        for (name, column) in values { #expect(series.values[name] == column) }

        #expect(try await store.logs(experiment: experiment.id, trial: 0, owner: user.id, limit: 100).map(\.text) == lines)

        // Sorting by a `$`-named metric sorts by it; a metric of that name with a dot is another metric.
        let byInc = try await store.trials(experiment: experiment.id, owner: user.id, query: TrialQuery(order: .metric("$inc", descending: false)))
        #expect(byInc.map(\.index) == [1, 0, 2])
        let byDotted = try await store.trials(experiment: experiment.id, owner: user.id, query: TrialQuery(order: .metric("a.b", descending: true)))
        #expect(byDotted.map(\.index) == [0, 1, 2])

        // Filters are literal text, never patterns or operators.
        let tricky = try await store.createExperiment(
            NewExperiment(owner: user.id, name: "a.*b (x|y) [z] \\d+ ^$", tags: ["$in", "a.b"], declaration: "{}", trialCount: 1), now: t0)
        for text in ["a.*b", "(X|Y)", "[z]", "\\d+", "^$", " "] {
            let found = try await store.experiments(owner: user.id, filter: ExperimentFilter(text: text), page: PageRequest())
            #expect(found.items.map(\.id) == [tricky.id], "text \(text)")
        }
        #expect(try await store.experiments(owner: user.id, filter: ExperimentFilter(text: "a.b"), page: PageRequest()).items.isEmpty)
        #expect(try await store.experiments(owner: user.id, filter: ExperimentFilter(tag: "a.b"), page: PageRequest()).items.map(\.id) == [tricky.id])
    }

    @Test func bsonRoundTripsThroughLibbson() throws {
        let date = Date(timeIntervalSince1970: 1_800_000_000.5)
        var nested: BSON = ["leaf": "deep"]
        for level in 0..<90 { nested = ["level": .int(level), "child": nested] }
        let document: BSON.Document = [
            "text": .string("nul \u{0} é \u{1F600}"), "empty": "", "int32": .int32(-7), "int64": .int64(1 << 40),
            "double": 2.0, "true": true, "false": false, "date": .date(date), "null": .null,
            "array": [1, "two", [3.5], ["four": 4]], "nested": nested,
        ]
        let decoded = try BSONDocument(document).read()
        #expect(decoded == document)
        #expect(decoded["double"] == .double(2.0))  // a whole double stays a double
    }

    @Test func artifactBytesAreOneGridFSFilePerSha256() async throws {
        let store = try await freshStore()
        let ada = try await store.createUser(username: "ada", passwordHash: "h", isAdmin: false, now: t0)
        let bob = try await store.createUser(username: "bob", passwordHash: "h", isAdmin: false, now: t0)
        let bytes = (0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let file = FileManager.default.temporaryDirectory.appending(path: "mongo-artifact-\(UUID().uuidString)")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let sha = String(repeating: "cd", count: 32)
        let first = try await store.storeArtifact(owner: ada.id, sha256: sha, size: bytes.count, contentsOf: file, now: t0)
        let second = try await store.storeArtifact(owner: bob.id, sha256: sha, size: bytes.count, contentsOf: file, now: t0)
        #expect(!first.deduplicated && !second.deduplicated && first.artifact.id != second.artifact.id)
        let files = try await store.run { connection in
            try connection.find("\(Collections.blobs).files", ["filename": .string(sha)]).count
        }
        #expect(files == 1)
        let received = Received()
        try await store.readArtifact(id: second.artifact.id, owner: bob.id) { await received.append($0) }
        #expect(await received.bytes == bytes)
        #expect(await received.pieces == 3)  // 255 KiB pieces
        // A reader that gives up midway stops the download and gets its own error back.
        struct Enough: Error {}
        await #expect(throws: Enough.self) {
            try await store.readArtifact(id: first.artifact.id, owner: ada.id) { _ in throw Enough() }
        }
    }

    @Test func forEachTrialPagesThroughManyTrials() async throws {
        let store = try await freshStore()
        let (user, experiment) = try await seed(store, trials: 600)
        var leased = 0
        while leased < 600 {
            leased += try await store.lease(experiment: experiment.id, runner: "r1", max: 200, now: t0).count
        }
        let visited = Visited()
        try await store.forEachTrial(experiment: experiment.id, owner: user.id) { await visited.add($0.index) }
        #expect(await visited.indexes == Array(0..<600))
    }
}

/// Kills and restarts a server: it has one of its own, and runs its tests one at a time.
@Suite("MongoStore: server failure", .serialized)
struct MongoStoreFailureTests {
    @Test func aKilledServerIsUnavailableQuicklyAndTheStoreRecovers() async throws {
        let server = try await MongoTestServer.launch()
        let store = try await MongoStore(uri: server.uri, database: "failure", poolSize: 4)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let ada = try await store.createUser(username: "ada", passwordHash: "h", isAdmin: true, now: now)
        try await store.ping()

        try await server.stop()
        let clock = ContinuousClock()
        for operation in ["ping", "read", "write"] {
            let started = clock.now
            do {
                switch operation {
                case "ping": try await store.ping()
                case "read": _ = try await store.user(named: "ada")
                default: _ = try await store.createUser(username: "bob", passwordHash: "h", isAdmin: false, now: now)
                }
                Issue.record("\(operation) succeeded against a dead server")
            } catch let error as StoreError {
                guard case .unavailable = error else {
                    Issue.record("\(operation): \(error) is not .unavailable")
                    continue
                }
            }
            #expect(clock.now - started < .seconds(8), "\(operation) took \(clock.now - started)")
        }

        try await server.start()
        let deadline = clock.now + .seconds(20)
        while clock.now < deadline {
            if (try? await store.ping()) != nil { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        try await store.ping()
        #expect(try await store.user(named: "ada") == ada)
        _ = try await store.createUser(username: "bob", passwordHash: "h", isAdmin: false, now: now)
        #expect(try await store.user(named: "bob") != nil)
        try await server.stop()
    }

    @Test func anUnreachableServerFailsTheStoreAtStartAsUnavailable() async throws {
        let started = ContinuousClock.now
        await #expect {
            _ = try await MongoStore(uri: "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=1000", database: "none")
        } throws: { error in
            if case StoreError.unavailable = error { return true }
            return false
        }
        #expect(ContinuousClock.now - started < .seconds(8))
    }

    @Test func aMalformedConnectionStringIsRefused() async throws {
        await #expect(throws: StoreError.self) {
            _ = try await MongoStore(uri: "mongodb://user:secret@/", database: "none")
        }
    }
}

private actor Received {
    var bytes: [UInt8] = []
    var pieces = 0

    func append(_ piece: [UInt8]) {
        bytes += piece
        pieces += 1
    }
}

private actor Visited {
    var indexes: [Int] = []
    func add(_ index: Int) { indexes.append(index) }
}
