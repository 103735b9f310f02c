import AssayCore
import Foundation

/// Event batches. Each write is idempotent by itself — trial changes are compare-and-sets
/// on the trial's revision, runner, attempt and state; metric buckets and log chunks have
/// unique keys of (experiment, trial, attempt, runner, seq, event, piece); count changes go
/// through the journal — and the batch marker is written last. A call that dies midway is
/// completed by the Runner's retry of the same batch (which settles the count markers it
/// left first), and a batch whose marker exists changes nothing.
extension MongoStore {
    /// Documents are split so that none comes near MongoDB's 16 MB limit.
    static let pieceBytes = 4 << 20

    public func applyEvents(_ batch: EventBatch, now: Date) async throws -> BatchOutcome {
        try await run { connection in try Self.apply(batch, now: now, connection) }
    }

    public func stopEarly(experiment: ExperimentID, attempt: TrialAttempt, reason: String, final: Metrics, now: Date) async throws -> Bool {
        try await run { connection in
            try Self.stopEarly(experiment: experiment, attempt: attempt, reason: reason, final: final, now: now, connection)
        }
    }

    /// Ends the attempt as its Runner would report it, in the Runner's name, so the usual
    /// compare-and-set decides against an expiry or a report racing it.
    private static func stopEarly(
        experiment id: ExperimentID, attempt: TrialAttempt, reason: String, final: Metrics, now: Date, _ connection: MongoConnection
    ) throws -> Bool {
        try settleLeftoverMarkers(experiment: id, connection, now: now)
        guard let experiment = try loadExperiment(connection, id), experiment.isActive,
            var trial = try loadTrial(connection, experiment: id, index: attempt.trial),
            trial.status == .running, trial.attempt == attempt.attempt, let runner = trial.runner
        else { return false }
        let leasedAt = trial.attempts.last { $0.attempt == attempt.attempt }?.leasedAt ?? now
        let report = AttemptReport(
            status: .stoppedEarly, exitCode: nil, seconds: max(0, now.timeIntervalSince(leasedAt)), final: final, reason: reason)
        guard case .applied(let change) = try finish(
            &trial, attempt: attempt.attempt, report: report, runner: runner, experiment: experiment, now: now, connection)
        else { return false }
        if let settled = try settle([change], experiment: id, connection, now: now) {
            _ = try completeIfDone(settled, connection, now: now)
        }
        return true
    }

    private static func apply(_ batch: EventBatch, now: Date, _ connection: MongoConnection) throws -> BatchOutcome {
        let id = batch.experiment
        for case .finished(let trial, _, let status, _, _, _, _) in batch.events where !status.isFinal {
            throw StoreError.invalid("trial \(trial) cannot finish as \(status.rawValue)")
        }
        // Count changes of an earlier attempt at this batch that died before settling them.
        try settleLeftoverMarkers(experiment: id, connection, now: now)
        guard var experiment = try loadExperiment(connection, id) else { throw StoreError.notFound("experiment \(id)") }
        let marker: BSON.Document = ["experiment": .string(id), "runner": .string(batch.runner), "seq": .int(batch.seq)]
        if try connection.findOne(Collections.batches, marker) != nil {
            experiment = try completeIfDone(experiment, connection, now: now)
            let revoked = try unheld(batch.active, of: batch.runner, in: experiment, connection)
            return BatchOutcome(duplicate: true, experimentStatus: experiment.status, revoked: revoked.sorted())
        }

        let indexes = Set(batch.events.map(\.trial))
        var trials: [Int: StoredTrial] = [:]
        if !indexes.isEmpty {
            for document in try connection.find(Collections.trials, [
                "experiment": .string(id), "index": ["$in": .array(indexes.sorted().map(BSON.int))],
            ]) {
                let trial = try StoredTrial(document: document)
                trials[trial.index] = trial
            }
        }

        var revoked = Set<TrialAttempt>()
        var changes: [CountChange] = []
        var buckets: [BSON.Document] = []
        var chunks: [BSON.Document] = []
        for (position, event) in batch.events.enumerated() {
            let key = BucketKey(batch: batch, trial: event.trial, attempt: event.attempt, event: position)
            switch event {
            case .metrics(let trial, let attempt, let steps, let values):
                guard trials[trial]?.isCurrentAttempt(attempt, of: batch.runner) == true else {
                    revoked.insert(TrialAttempt(trial: trial, attempt: attempt))
                    continue
                }
                buckets += try metricBuckets(key, steps: steps, values: values)
            case .log(let trial, let attempt, let stream, let lines):
                guard trials[trial]?.isCurrentAttempt(attempt, of: batch.runner) == true else {
                    revoked.insert(TrialAttempt(trial: trial, attempt: attempt))
                    continue
                }
                chunks += try logChunks(key, stream: stream, lines: lines)
            case .finished(let index, let attempt, let status, let exitCode, let seconds, let final, let reason):
                guard var trial = trials[index] else {
                    revoked.insert(TrialAttempt(trial: index, attempt: attempt))
                    continue
                }
                let report = AttemptReport(status: status, exitCode: exitCode, seconds: seconds, final: final, reason: reason)
                switch try finish(&trial, attempt: attempt, report: report, runner: batch.runner, experiment: experiment, now: now, connection) {
                case .applied(let change): changes.append(change)
                case .ignored: break
                case .revoked: revoked.insert(TrialAttempt(trial: index, attempt: attempt))
                }
                trials[index] = trial
            }
        }

        try connection.insertMany(Collections.metrics, buckets, ordered: false)
        try connection.insertMany(Collections.logs, chunks, ordered: false)
        try pruneLogs(experiment: id, trials: Set(chunks.compactMap { $0["trial"]?.int }), connection)
        if let settled = try settle(changes, experiment: id, connection, now: now) {
            experiment = try completeIfDone(settled, connection, now: now)
        }
        try connection.update(Collections.trials, filter: [
            "experiment": .string(id), "runner": .string(batch.runner), "status": .string(TrialStatus.running.rawValue),
        ], update: ["$set": ["leaseDeadline": StoredValue.time(now.addingTimeInterval(experiment.leaseDuration))]], many: true)
        var record = marker
        record["appliedAt"] = StoredValue.time(now)
        try connection.insertMany(Collections.batches, [record], ordered: true)
        // Read after the renewal: an expiry that ended a lease first shows here, and none can
        // end one after it (expiry is a compare-and-set on a deadline already past).
        revoked.formUnion(try unheld(batch.active, of: batch.runner, in: experiment, connection))
        return BatchOutcome(duplicate: false, experimentStatus: experiment.status, revoked: revoked.sorted())
    }

    /// The attempts of `active` that `runner` does not hold. It holds an attempt while the
    /// trial runs as that attempt under its name (the leases a batch renews) in an
    /// experiment that is not final.
    private static func unheld(_ active: [TrialAttempt], of runner: RunnerID, in experiment: StoredExperiment,
                               _ connection: MongoConnection) throws -> Set<TrialAttempt> {
        guard !active.isEmpty else { return [] }
        guard experiment.isActive else { return Set(active) }
        let held = try connection.find(Collections.trials, [
            "experiment": .string(experiment.id), "runner": .string(runner), "status": .string(TrialStatus.running.rawValue),
        ]).map(StoredTrial.init(document:))
        return Set(active).subtracting(held.map { TrialAttempt(trial: $0.index, attempt: $0.attempt) })
    }

    struct AttemptReport {
        var status: TrialStatus
        var exitCode: Int32?
        var seconds: Double
        var final: Metrics
        var reason: String?
    }

    enum FinishOutcome {
        case applied(CountChange)
        /// The attempt had already ended (a replayed batch, a repeated report, an expiry).
        case ignored
        /// Not this runner's current attempt: it must stop the trial.
        case revoked
    }

    /// Ends the attempt `runner` holds: `succeeded` and `canceled` are final; `failed` and
    /// `timed_out` requeue the trial while the user's retries remain (`RetryRule`). A trial
    /// of a final experiment counts as canceled, whatever the report.
    private static func finish(_ trial: inout StoredTrial, attempt: Int, report: AttemptReport, runner: RunnerID,
                               experiment: StoredExperiment, now: Date, _ connection: MongoConnection) throws -> FinishOutcome {
        while true {
            guard trial.isCurrentAttempt(attempt, of: runner) else { return .revoked }
            guard trial.status == .running else { return .ignored }
            try settleMarker(of: &trial, connection, now: now)
            var next = trial
            let expected = trial.revision
            next.revision += 1
            let outcome = RetryRule.next(
                after: .reported(report.status), attempt: attempt, lostLeases: trial.lostLeases,
                maxAttempts: experiment.record.maxAttempts, experimentIsFinal: !experiment.isActive)
            if let last = next.attempts.lastIndex(where: { $0.attempt == attempt }) {
                next.attempts[last].status = report.status
                next.attempts[last].exitCode = report.exitCode
                next.attempts[last].reason = report.reason
                next.attempts[last].finishedAt = now
                next.attempts[last].seconds = report.seconds
            }
            next.status = outcome
            // A final trial keeps the runner of its last attempt; a requeued one has none.
            if outcome == .pending { next.runner = nil }
            next.leaseDeadline = nil
            if !report.final.isEmpty { next.final = report.final }
            let change = CountChange(index: trial.index, revision: next.revision, from: .running, to: outcome)
            next.pendingCount = change
            if try compareAndSet(next, expectedRevision: expected, extra: ["status": .string(TrialStatus.running.rawValue)], connection) {
                trial = next
                return .applied(change)
            }
            // Changed meanwhile (an expiry, another call): decide again on the stored state.
            guard let reloaded = try loadTrial(connection, experiment: trial.experiment, index: trial.index) else { return .revoked }
            trial = reloaded
        }
    }
}

extension RunnerEvent {
    var trial: Int {
        switch self {
        case .metrics(let trial, _, _, _), .log(let trial, _, _, _), .finished(let trial, _, _, _, _, _, _): trial
        }
    }

    var attempt: Int {
        switch self {
        case .metrics(_, let attempt, _, _), .log(_, let attempt, _, _), .finished(_, let attempt, _, _, _, _, _): attempt
        }
    }
}
