import AssayCore
import Foundation
import GRDB

/// Event batches from Runners: applied once, in one transaction.
extension SQLiteStore {
    public func applyEvents(_ batch: EventBatch, now: Date) async throws -> BatchOutcome {
        try Self.checkText(batch.runner, "runner")
        return try await write { db in
            var experiment = try StoredExperiment.fetchOrThrow(db, id: batch.experiment)
            try db.executeCached(
                sql: "INSERT INTO applied_batches (experiment, runner, seq, appliedAt) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [batch.experiment, batch.runner, batch.seq, now.timeIntervalSince1970])
            guard db.changesCount == 1 else {
                let revoked = try Self.unheld(batch.active, of: batch.runner, in: experiment, db)
                return BatchOutcome(duplicate: true, experimentStatus: experiment.record.status, revoked: revoked.sorted())
            }
            var application = BatchApplication(batch: batch, now: now)
            for event in batch.events {
                try application.apply(event, to: &experiment, db)
            }
            try application.finish(&experiment, db)
            try experiment.save(db)
            let revoked = application.revoked.union(try Self.unheld(batch.active, of: batch.runner, in: experiment, db))
            return BatchOutcome(duplicate: false, experimentStatus: experiment.record.status, revoked: revoked.sorted())
        }
    }

    public func stopEarly(experiment id: ExperimentID, attempt: TrialAttempt, reason: String, final: Metrics, now: Date) async throws -> Bool {
        try Self.checkText(reason, "reason")
        return try await write { db in
            var experiment = try StoredExperiment.fetchOrThrow(db, id: id)
            guard !experiment.record.status.isFinal, var trial = try StoredTrial.fetch(db, experiment: id, index: attempt.trial),
                trial.status == .running, trial.attempt == attempt.attempt
            else { return false }
            let leasedAt = try Double.fetchOne(
                db.cachedStatement(sql: "SELECT leasedAt FROM attempts WHERE experiment = ? AND trial = ? AND attempt = ?"),
                arguments: [id, attempt.trial, attempt.attempt])
            try Self.endAttempt(
                of: trial, experiment: id, status: .stoppedEarly, exitCode: nil, reason: reason,
                seconds: leasedAt.map { Swift.max(0, now.timeIntervalSince1970 - $0) }, now: now, db)
            if !final.isEmpty { try Self.storeFinalMetrics(db, experiment: id, trial: attempt.trial, final) }
            try Self.settle(&trial, after: .reported(.stoppedEarly), of: &experiment, now: now, db)
            try experiment.save(db)
            return true
        }
    }

    /// The attempts of `active` that `runner` does not hold. It holds an attempt while the
    /// trial runs as that attempt under its name (the leases a batch renews) in an
    /// experiment that is not final.
    private static func unheld(
        _ active: [TrialAttempt], of runner: RunnerID, in experiment: StoredExperiment, _ db: Database
    ) throws -> Set<TrialAttempt> {
        guard !active.isEmpty else { return [] }
        guard !experiment.record.status.isFinal else { return Set(active) }
        let held = try StoredTrial.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM trials WHERE experiment = ? AND runner = ? AND status = 'running'"),
            arguments: [experiment.id, runner])
        return Set(active).subtracting(held.map { TrialAttempt(trial: $0.index, attempt: $0.attempt) })
    }

    /// The state of one batch while its events are applied.
    private struct BatchApplication {
        let batch: EventBatch
        let now: Date
        /// Attempts the events name that this Runner does not hold.
        var revoked: Set<TrialAttempt> = []
        /// Metric points per attempt, written as one bucket each at the end.
        var buckets: [TrialAttempt: MetricColumns] = [:]
        var bucketOrder: [TrialAttempt] = []
        var loggedTrials: Set<Int> = []

        init(batch: EventBatch, now: Date) {
            self.batch = batch
            self.now = now
        }

        mutating func apply(_ event: RunnerEvent, to experiment: inout StoredExperiment, _ db: Database) throws {
            switch event {
            case .metrics(let trial, let attempt, let steps, let values):
                guard try ownAttempt(trial, attempt, experiment, db) != nil else { return }
                for column in values.values {
                    for case let value? in column { try checkFinite(value, "metric value") }
                }
                let key = TrialAttempt(trial: trial, attempt: attempt)
                if buckets[key] == nil { bucketOrder.append(key) }
                buckets[key, default: MetricColumns()].append(steps: steps, values: values)

            case .log(let trial, let attempt, let stream, let lines):
                guard try ownAttempt(trial, attempt, experiment, db) != nil else { return }
                let insert = try db.cachedStatement(
                    sql: "INSERT INTO log_lines (experiment, trial, attempt, stream, text) VALUES (?, ?, ?, ?, ?)")
                // Lines beyond the tail would be pruned at once: never written.
                for line in lines.suffix(logTail) {
                    try insert.execute(arguments: [experiment.id, trial, attempt, stream.rawValue, bytes(line)])
                }
                loggedTrials.insert(trial)

            case .finished(let trial, let attempt, let status, let exitCode, let seconds, let final, let reason):
                guard status.isFinal else { throw StoreError.invalid("trial \(trial) cannot finish as \(status.rawValue)") }
                if let reason { try checkText(reason, "reason") }
                // An attempt that already ended (reported twice, or expired) stays as it ended.
                guard var stored = try ownAttempt(trial, attempt, experiment, db), stored.status == .running else { return }
                try endAttempt(
                    of: stored, experiment: experiment.id, status: status, exitCode: exitCode, reason: reason, seconds: seconds,
                    now: now, db)
                if !final.isEmpty { try storeFinalMetrics(db, experiment: experiment.id, trial: trial, final) }
                try settle(&stored, after: .reported(status), of: &experiment, now: now, db)
            }
        }

        /// Writes the metric buckets, trims logs to their tail, renews the Runner's leases.
        mutating func finish(_ experiment: inout StoredExperiment, _ db: Database) throws {
            let insert = try db.cachedStatement(sql: "INSERT INTO metric_buckets (experiment, trial, attempt, columns) VALUES (?, ?, ?, ?)")
            for key in bucketOrder {
                try insert.execute(arguments: [experiment.id, key.trial, key.attempt, json(buckets[key, default: MetricColumns()])])
            }
            let prune = try db.cachedStatement(
                sql: """
                    DELETE FROM log_lines WHERE experiment = ?1 AND trial = ?2 AND id <= (
                        SELECT id FROM log_lines WHERE experiment = ?1 AND trial = ?2 ORDER BY id DESC LIMIT 1 OFFSET ?3)
                    """)
            for trial in loggedTrials {
                try prune.execute(arguments: [experiment.id, trial, logTail])
            }
            try db.executeCached(
                sql: "UPDATE trials SET leaseDeadline = ? WHERE experiment = ? AND runner = ? AND status = 'running'",
                arguments: [experiment.deadline(now: now).timeIntervalSince1970, experiment.id, batch.runner])
        }

        /// The trial, if `attempt` is its current attempt and was leased to this
        /// batch's Runner (running or already ended). Otherwise the trial moved on
        /// or was never this Runner's: it is revoked, so the Runner stops it.
        private mutating func ownAttempt(_ trial: Int, _ attempt: Int, _ experiment: StoredExperiment, _ db: Database) throws -> StoredTrial? {
            let stored = try StoredTrial.fetchOne(
                db.cachedStatement(sql: """
                    SELECT t.* FROM trials t
                    JOIN attempts a ON a.experiment = t.experiment AND a.trial = t.idx AND a.attempt = t.attempt
                    WHERE t.experiment = ? AND t.idx = ? AND t.attempt = ? AND a.runner = ?
                    """),
                arguments: [experiment.id, trial, attempt, batch.runner])
            if stored == nil { revoked.insert(TrialAttempt(trial: trial, attempt: attempt)) }
            return stored
        }
    }
}
