import AssayCore
import Foundation
import GRDB

/// The lease queue: handing trials to Runners, expiring leases, and what
/// happens to a trial when an attempt ends.
extension SQLiteStore {
    public func lease(experiment id: ExperimentID, runner: RunnerID, max: Int, proposals: TrialProposals?, now: Date) async throws -> [TrialLease] {
        try Self.checkText(runner, "runner")
        guard max > 0 else { return [] }
        return try await write { db in
            var experiment = try StoredExperiment.fetchOrThrow(db, id: id)
            guard !experiment.record.status.isFinal else { return [] }
            var leases: [TrialLease] = []

            // 1. Expired leases: the attempt fails; unless the trial lost too many
            //    Runners it is pending again and goes out first, before older requeued ones.
            var expired: [StoredTrial] = []
            for var trial in try Self.expiredTrials(db, experiment: id, now: now) {
                try Self.expire(&trial, of: &experiment, now: now, db)
                if trial.status == .pending { expired.append(trial) }
            }
            for var trial in expired.prefix(max) {
                leases.append(try Self.handOut(&trial, attempt: trial.attempt + 1, of: &experiment, to: runner, now: now, db))
            }

            // 2. Requeued trials, lowest index first.
            if leases.count < max, !experiment.record.status.isFinal {
                let requeued = try StoredTrial.fetchAll(
                    db.cachedStatement(sql: "SELECT * FROM trials WHERE experiment = ? AND status = 'pending' ORDER BY idx LIMIT ?"),
                    arguments: [id, max - leases.count])
                for var trial in requeued {
                    leases.append(try Self.handOut(&trial, attempt: trial.attempt + 1, of: &experiment, to: runner, now: now, db))
                }
            }

            // 3. Fresh indexes from the counter (or the searcher's proposals); their records are created now.
            if leases.count < max, !experiment.record.status.isFinal {
                let count = Swift.min(
                    experiment.record.trialCount - experiment.nextIndex, max - leases.count,
                    proposals.map { $0.firstIndex == experiment.nextIndex ? $0.parameters.count : 0 } ?? .max)
                let fresh = experiment.nextIndex..<experiment.nextIndex + count
                for index in fresh {
                    var trial = StoredTrial(
                        index: index, status: .pending, attempt: 0, runner: nil, leaseDeadline: nil,
                        parameters: proposals?.parameters[index - experiment.nextIndex])
                    try trial.insert(db, experiment: id)
                    leases.append(try Self.handOut(&trial, attempt: 1, of: &experiment, to: runner, now: now, db))
                }
                experiment.nextIndex = fresh.upperBound
            }

            if !leases.isEmpty, experiment.record.status == .queued {
                experiment.record.status = .running
                experiment.record.startedAt = now
            }
            try experiment.save(db)
            return leases
        }
    }

    public func expireLeases(now: Date) async throws -> ExpiredLeases {
        try await write { db in
            let overdue = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM trials WHERE status = 'running' AND leaseDeadline <= ? ORDER BY experiment, leaseDeadline, idx"),
                arguments: [now.timeIntervalSince1970])
            var experiments: [ExperimentID: StoredExperiment] = [:]
            for row in overdue {
                let id: ExperimentID = try row.decode(forColumn: "experiment")
                var trial = try StoredTrial(row: row)
                var experiment = try experiments[id] ?? StoredExperiment.fetchOrThrow(db, id: id)
                try Self.expire(&trial, of: &experiment, now: now, db)
                experiments[id] = experiment
            }
            for experiment in experiments.values { try experiment.save(db) }
            return ExpiredLeases(trials: overdue.count, experiments: Set(experiments.keys))
        }
    }

    // MARK: Steps

    private static func expiredTrials(_ db: Database, experiment: ExperimentID, now: Date) throws -> [StoredTrial] {
        try StoredTrial.fetchAll(
            db.cachedStatement(sql: """
                SELECT * FROM trials WHERE experiment = ? AND status = 'running' AND leaseDeadline <= ?
                ORDER BY leaseDeadline, idx
                """),
            arguments: [experiment, now.timeIntervalSince1970])
    }

    /// Ends the running attempt of a trial whose lease ran out: it failed, "lease expired",
    /// and the trial goes where `RetryRule` sends a lost lease.
    private static func expire(_ trial: inout StoredTrial, of experiment: inout StoredExperiment, now: Date, _ db: Database) throws {
        trial.lostLeases += 1
        try endAttempt(
            of: trial, experiment: experiment.id, status: .failed, exitCode: nil,
            reason: RetryRule.lostLeaseReason(lostLeases: trial.lostLeases), seconds: nil, now: now, db)
        try settle(&trial, after: .leaseLost, of: &experiment, now: now, db)
    }

    /// Gives `trial` to `runner` as `attempt`: running, with a new attempt record and a deadline.
    private static func handOut(
        _ trial: inout StoredTrial, attempt: Int, of experiment: inout StoredExperiment, to runner: RunnerID, now: Date,
        _ db: Database
    ) throws -> TrialLease {
        let deadline = experiment.deadline(now: now)
        experiment.move(from: .pending, to: .running)
        trial.status = .running
        trial.attempt = attempt
        trial.runner = runner
        trial.leaseDeadline = deadline
        try trial.save(db, experiment: experiment.id)
        try db.cachedStatement(
            sql: "INSERT INTO attempts (experiment, trial, attempt, runner, status, leasedAt) VALUES (?, ?, ?, ?, 'running', ?)"
        ).execute(arguments: [experiment.id, trial.index, attempt, runner, now.timeIntervalSince1970])
        return TrialLease(index: trial.index, attempt: attempt, deadline: deadline, parameters: trial.parameters)
    }

    /// Records how the trial's current attempt ended.
    static func endAttempt(
        of trial: StoredTrial, experiment: ExperimentID, status: TrialStatus, exitCode: Int32?, reason: String?, seconds: Double?,
        now: Date, _ db: Database
    ) throws {
        try db.cachedStatement(
            sql: """
                UPDATE attempts SET status = ?, exitCode = ?, reason = ?, finishedAt = ?, seconds = ?
                WHERE experiment = ? AND trial = ? AND attempt = ?
                """
        ).execute(arguments: [
            status.rawValue, exitCode, reason, now.timeIntervalSince1970, seconds, experiment, trial.index, trial.attempt,
        ])
    }

    /// Where a running trial goes once its attempt ended (`RetryRule`): requeued
    /// (pending, nobody's, keeping its attempt number until leased again) or final
    /// (keeping the runner of its last attempt); in a canceled or failed experiment
    /// it counts as canceled. Completes the experiment when this was its last trial.
    static func settle(
        _ trial: inout StoredTrial, after end: RetryRule.AttemptEnd, of experiment: inout StoredExperiment, now: Date,
        _ db: Database
    ) throws {
        let next = RetryRule.next(
            after: end, attempt: trial.attempt, lostLeases: trial.lostLeases, maxAttempts: experiment.record.maxAttempts,
            experimentIsFinal: experiment.record.status.isFinal)
        experiment.move(from: .running, to: next)
        trial.status = next
        if next == .pending { trial.runner = nil }
        trial.leaseDeadline = nil
        try trial.save(db, experiment: experiment.id)
        experiment.completeIfDone(now: now)
    }
}
