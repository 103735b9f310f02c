import AssayCore
import Foundation
import GRDB

extension SQLiteStore {
    /// An experiment as the queue sees it inside a transaction: the record plus
    /// the lease counter. Operations change it in memory and `save` its state row.
    struct StoredExperiment {
        var record: ExperimentRecord
        /// The next never-leased trial index.
        var nextIndex: Int

        static let select = """
            SELECT e.*, s.* FROM experiments e JOIN experiment_states s ON s.experiment = e.id
            """

        /// The experiment, if it exists and (unless `owner` is nil) belongs to `owner`.
        static func fetch(_ db: Database, id: ExperimentID, owner: UserID? = nil) throws -> StoredExperiment? {
            try Row.fetchOne(
                db.cachedStatement(sql: "\(select) WHERE e.id = ? AND (?2 IS NULL OR e.owner = ?2)"), arguments: [id, owner]
            ).map(StoredExperiment.init(row:))
        }

        static func fetchOrThrow(_ db: Database, id: ExperimentID) throws -> StoredExperiment {
            guard let experiment = try fetch(db, id: id) else { throw StoreError.notFound("experiment \(id)") }
            return experiment
        }

        init(record: ExperimentRecord, nextIndex: Int) {
            self.record = record
            self.nextIndex = nextIndex
        }

        init(row: Row) throws {
            let notification = NotificationStatus(
                state: try decode(NotificationState.self, row, "notificationState"),
                claimedBy: try row.decode(forColumn: "notificationClaimedBy"),
                attempts: try row.decode(forColumn: "notificationAttempts"),
                lastError: try row.decode(forColumn: "notificationLastError"),
                sentAt: try optionalDate(row, "notificationSentAt"))
            let counts = TrialCounts(
                pending: try row.decode(forColumn: "pending"),
                running: try row.decode(forColumn: "running"),
                succeeded: try row.decode(forColumn: "succeeded"),
                failed: try row.decode(forColumn: "failed"),
                timedOut: try row.decode(forColumn: "timedOut"),
                canceled: try row.decode(forColumn: "canceled"),
                stoppedEarly: try row.decode(forColumn: "stoppedEarly"))
            record = ExperimentRecord(
                id: try row.decode(forColumn: "id"),
                owner: try row.decode(forColumn: "owner"),
                name: try row.decode(forColumn: "name"),
                description: try row.decode(forColumn: "description"),
                tags: try fromJSON([String].self, try row.decode(forColumn: "tags")),
                declaration: try row.decode(forColumn: "declaration"),
                artifact: try row.decode(forColumn: "artifact"),
                trialCount: try row.decode(forColumn: "trialCount"),
                maxAttempts: try row.decode(forColumn: "maxAttempts"),
                leaseSeconds: try row.decode(forColumn: "leaseSeconds"),
                status: try decode(ExperimentStatus.self, row, "status"),
                reason: try row.decode(forColumn: "reason"),
                counts: counts,
                createdAt: try date(row, "createdAt"),
                startedAt: try optionalDate(row, "startedAt"),
                finishedAt: try optionalDate(row, "finishedAt"),
                archived: try row.decode(forColumn: "archived"),
                notification: notification,
                isPublic: try row.decode(forColumn: "public"))
            nextIndex = try row.decode(forColumn: "nextIndex")
        }

        var id: ExperimentID { record.id }

        /// When a lease handed out now ends.
        func deadline(now: Date) -> Date { now.addingTimeInterval(record.leaseSeconds) }

        /// Inserts both rows of a new experiment.
        func insert(_ db: Database) throws {
            try db.executeCached(
                sql: """
                    INSERT INTO experiments
                        (id, owner, name, description, tags, declaration, artifact, trialCount, maxAttempts, leaseSeconds, createdAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id, record.owner, record.name, record.description, try json(record.tags), record.declaration,
                    record.artifact, record.trialCount, record.maxAttempts, record.leaseSeconds,
                    record.createdAt.timeIntervalSince1970,
                ])
            try db.executeCached(
                sql: """
                    INSERT INTO experiment_states (experiment, \(Self.stateColumns.joined(separator: ", ")))
                    VALUES (?\(String(repeating: ", ?", count: Self.stateColumns.count)))
                    """,
                arguments: [record.id] + stateArguments)
        }

        /// Writes the state row (everything that changes after creation).
        func save(_ db: Database) throws {
            try db.executeCached(
                sql: """
                    UPDATE experiment_states SET \(Self.stateColumns.map { "\($0) = ?" }.joined(separator: ", "))
                    WHERE experiment = ?
                    """,
                arguments: stateArguments + [record.id])
        }

        private static let stateColumns = [
            "status", "reason", "nextIndex", "pending", "running", "succeeded", "failed", "timedOut", "canceled", "stoppedEarly",
            "startedAt", "finishedAt", "archived", "notificationState", "notificationClaimedBy", "notificationAttempts",
            "notificationLastError", "notificationSentAt", "public",
        ]

        /// The values of `stateColumns`, in order; refuses counts that do not add up.
        private var stateArguments: StatementArguments {
            get throws {
                let counts = record.counts
                guard counts.total == record.trialCount, TrialStatus.allCases.allSatisfy({ counts[$0] >= 0 }) else {
                    throw StoreError.failure("experiment \(record.id): trial counts \(counts) do not add up to \(record.trialCount)")
                }
                let notification = record.notification
                return [
                    record.status.rawValue, record.reason, nextIndex,
                    counts.pending, counts.running, counts.succeeded, counts.failed, counts.timedOut, counts.canceled, counts.stoppedEarly,
                    record.startedAt?.timeIntervalSince1970, record.finishedAt?.timeIntervalSince1970, record.archived,
                    notification.state.rawValue, notification.claimedBy, notification.attempts,
                    notification.lastError, notification.sentAt?.timeIntervalSince1970, record.isPublic,
                ]
            }
        }

        /// Moves `count` trials from one state's count to another's.
        mutating func move(_ count: Int = 1, from: TrialStatus, to: TrialStatus) {
            record.counts[from] -= count
            record.counts[to] += count
        }

        /// A running experiment whose every trial ended is completed.
        mutating func completeIfDone(now: Date) {
            guard !record.status.isFinal, record.counts.finished == record.trialCount else { return }
            record.status = .completed
            record.finishedAt = now
        }

        /// Cancel or infrastructure failure: nothing more is leased, trials not
        /// running count as canceled now, running ones when they report or expire.
        mutating func end(_ status: ExperimentStatus, reason: String?, now: Date, _ db: Database) throws {
            guard !record.status.isFinal else { return }
            record.status = status
            record.reason = reason
            record.finishedAt = now
            move(record.counts.pending, from: .pending, to: .canceled)
            try db.executeCached(
                sql: "UPDATE trials SET status = 'canceled' WHERE experiment = ? AND status = 'pending'", arguments: [id])
        }
    }
}
