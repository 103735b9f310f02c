import AssayCore
import Foundation

/// The lease queue: every hand-out is a compare-and-set, so no trial is ever held by two
/// Runners. Order (docs/storage.md): expired leases, requeued trials, fresh indexes.
extension MongoStore {
    public func lease(experiment: ExperimentID, runner: RunnerID, max: Int, proposals: TrialProposals?, now: Date) async throws -> [TrialLease] {
        guard max > 0 else { return [] }
        return try await run { connection in
            try Self.lease(experiment: experiment, runner: runner, max: max, proposals: proposals, now: now, connection)
        }
    }

    public func expireLeases(now: Date) async throws -> ExpiredLeases {
        try await run { connection in try Self.expireLeases(now: now, connection) }
    }

    private static func lease(experiment id: ExperimentID, runner: RunnerID, max: Int, proposals: TrialProposals?, now: Date,
                              _ connection: MongoConnection) throws -> [TrialLease] {
        guard let experiment = try loadExperiment(connection, id) else { throw StoreError.notFound("experiment \(id)") }
        guard experiment.isActive else { return [] }
        let max = min(max, experiment.record.trialCount)
        let deadline = now.addingTimeInterval(experiment.leaseDuration)
        var leases: [TrialLease] = []
        var changes: [CountChange] = []

        // 1. Expired leases: the attempt fails; the trial comes back as its next attempt or, having
        //    lost too many Runners, stays failed (then the next expired one is looked at).
        while leases.count < max {
            let expired = try connection.find(Collections.trials, [
                "experiment": .string(id), "status": .string(TrialStatus.running.rawValue),
                "leaseDeadline": ["$lte": StoredValue.time(now)], "index": ["$lt": .int(experiment.nextIndex)],
            ], .init(sort: ["index": 1], limit: max - leases.count)).map(StoredTrial.init(document:))
            var ended = 0
            for var trial in expired where leases.count < max {
                guard let outcome = try expire(&trial, experiment: experiment, handOutTo: runner, deadline: deadline, now: now, connection) else { continue }
                ended += 1
                if let change = outcome.change { changes.append(change) }
                if outcome.handedOut {
                    leases.append(TrialLease(index: trial.index, attempt: trial.attempt, deadline: deadline, parameters: trial.parameters))
                }
            }
            if ended == 0 { break }
        }

        // 2. Requeued trials (a failed attempt with attempts left), lowest index first.
        if leases.count < max {
            let requeued = try connection.find(Collections.trials, [
                "experiment": .string(id), "status": .string(TrialStatus.pending.rawValue),
            ], .init(sort: ["index": 1], limit: max - leases.count)).map(StoredTrial.init(document:))
            for var trial in requeued where leases.count < max {
                try settleMarker(of: &trial, connection, now: now)
                let expected = trial.revision
                trial.revision += 1
                trial.attempt += 1
                trial.status = .running
                trial.runner = runner
                trial.leaseDeadline = deadline
                trial.attempts.append(AttemptRecord(attempt: trial.attempt, runner: runner, status: .running, leasedAt: now))
                let change = CountChange(index: trial.index, revision: trial.revision, from: .pending, to: .running)
                trial.pendingCount = change
                if try compareAndSet(trial, expectedRevision: expected, extra: ["status": .string(TrialStatus.pending.rawValue)], connection) {
                    changes.append(change)
                    leases.append(TrialLease(index: trial.index, attempt: trial.attempt, deadline: deadline, parameters: trial.parameters))
                }
            }
        }

        // 3. Fresh indexes from the counter (or the searcher's proposals).
        if leases.count < max {
            leases += try leaseFresh(
                experiment: id, runner: runner, count: max - leases.count, proposals: proposals, deadline: deadline, now: now, connection)
        }

        if let settled = try settle(changes, experiment: id, connection, now: now) {
            try completeIfDone(settled, connection, now: now)
        }
        return leases
    }

    /// Hands out never-leased indexes. The trial records are inserted first (the unique
    /// (experiment, index) key decides who gets an index), then the experiment's
    /// `nextIndex` is moved past them with a compare-and-set that also moves their counts
    /// from pending to running. A caller that finds an index taken whose counter was not
    /// moved (its leaser died in between) moves it on its behalf, so no index is ever
    /// lost or counted twice.
    /// With proposals, only the indexes they were proposed for, and only while no other
    /// lease created trials since (`nextIndex` is where this call's own inserts left it).
    private static func leaseFresh(experiment id: ExperimentID, runner: RunnerID, count: Int, proposals: TrialProposals?,
                                   deadline: Date, now: Date, _ connection: MongoConnection) throws -> [TrialLease] {
        var leases: [TrialLease] = []
        while leases.count < count {
            guard let experiment = try loadExperiment(connection, id), experiment.isActive else { break }
            let first = experiment.nextIndex
            var wanted = min(count - leases.count, experiment.record.trialCount - first)
            if let proposals {
                guard first == proposals.firstIndex + leases.count else { break }
                wanted = min(wanted, proposals.parameters.count - leases.count)
            }
            guard wanted > 0 else { break }
            let trials = (first..<first + wanted).map { index in
                StoredTrial(
                    experiment: id, index: index, runner: runner, now: now, deadline: deadline,
                    parameters: proposals.map { $0.parameters[index - $0.firstIndex] })
            }
            let inserted = try connection.insertMany(Collections.trials, trials.map(\.document), ordered: true).inserted
            guard inserted > 0 else {
                // Index `first` has a record: its leaser may not have moved the counter yet.
                try advance(experiment: id, to: first + 1, now: now, connection)
                continue
            }
            guard let after = try advance(experiment: id, to: first + inserted, now: now, connection) else { break }
            let counted = min(after.nextIndex, first + inserted)
            if !after.isActive {
                // Canceled or failed meanwhile: records the counter never reached are not trials
                // yet; the ones it did reach are ended like any lease of a final experiment.
                try connection.delete(Collections.trials, filter: [
                    "experiment": .string(id), "index": ["$gte": .int(counted), "$lt": .int(first + inserted)],
                    "runner": .string(runner), "rev": 0,
                ])
                let reached = trials[0..<Swift.max(0, counted - first)]
                try connection.update(Collections.trials, filter: [
                    "_id": ["$in": .array(reached.map { .string($0.id) })], "runner": .string(runner), "rev": 0,
                ], update: ["$set": ["leaseDeadline": StoredValue.time(now)]], many: true)
                var changes: [CountChange] = []
                for var trial in reached {
                    trial.leaseDeadline = now
                    if let change = try expire(&trial, experiment: after, handOutTo: nil, deadline: deadline, now: now, connection)?.change {
                        changes.append(change)
                    }
                }
                try settle(changes, experiment: id, connection, now: now)
                break
            }
            leases += trials[0..<inserted].map { TrialLease(index: $0.index, attempt: 1, deadline: deadline, parameters: $0.parameters) }
        }
        return leases
    }

    /// Moves `nextIndex` up to `target` (records [nextIndex, target) exist), counting those
    /// trials as running; the first lease also starts the experiment. Returns the experiment
    /// afterwards, which may have become final instead.
    @discardableResult
    static func advance(experiment id: ExperimentID, to target: Int, now: Date, _ connection: MongoConnection) throws -> StoredExperiment? {
        while true {
            guard let experiment = try loadExperiment(connection, id) else { return nil }
            guard experiment.isActive, experiment.nextIndex < target else { return experiment }
            let moved = target - experiment.nextIndex
            var set: BSON.Document = ["nextIndex": .int(target), "status": .string(ExperimentStatus.running.rawValue)]
            if experiment.record.startedAt == nil { set["startedAt"] = StoredValue.time(now) }
            let updated = try connection.findAndModify(Collections.experiments, query: [
                "_id": .string(id), "nextIndex": .int(experiment.nextIndex), "status": .string(experiment.status.rawValue),
            ], update: [
                "$set": .document(set),
                "$inc": [StoredExperiment.countField(.pending): .int(-moved), StoredExperiment.countField(.running): .int(moved)],
            ], projection: StoredExperiment.projection)
            if let updated { return try StoredExperiment(document: updated) }
        }
    }

    /// Ends an expired lease (compare-and-set; nil if the trial changed meanwhile): the
    /// attempt fails with "lease expired"; where `RetryRule` gives the trial another attempt
    /// it is handed out again to `runner` (or requeued when there is none), else it stays
    /// failed. A trial of a final experiment counts as canceled instead.
    static func expire(_ trial: inout StoredTrial, experiment: StoredExperiment, handOutTo runner: RunnerID?, deadline: Date,
                       now: Date, _ connection: MongoConnection) throws -> (handedOut: Bool, change: CountChange?)? {
        guard trial.status == .running, let leaseDeadline = trial.leaseDeadline, leaseDeadline <= now else { return nil }
        try settleMarker(of: &trial, connection, now: now)
        let expected = trial.revision
        trial.revision += 1
        trial.lostLeases += 1
        if let last = trial.attempts.indices.last {
            trial.attempts[last].status = .failed
            trial.attempts[last].reason = RetryRule.lostLeaseReason(lostLeases: trial.lostLeases)
            trial.attempts[last].finishedAt = now
        }
        var handedOut = false
        var next = RetryRule.next(
            after: .leaseLost, attempt: trial.attempt, lostLeases: trial.lostLeases, maxAttempts: experiment.record.maxAttempts,
            experimentIsFinal: !experiment.isActive)
        if next == .pending, let runner {
            trial.attempt += 1
            trial.attempts.append(AttemptRecord(attempt: trial.attempt, runner: runner, status: .running, leasedAt: now))
            handedOut = true
            next = .running
        }
        trial.status = next
        // A final trial keeps the runner of its last attempt; a requeued one has none.
        trial.runner = handedOut ? runner : next == .pending ? nil : trial.runner
        trial.leaseDeadline = handedOut ? deadline : nil
        let change = next == .running ? nil : CountChange(index: trial.index, revision: trial.revision, from: .running, to: next)
        trial.pendingCount = change
        // Only an expired lease: a renewal since the read makes this fail.
        guard try compareAndSet(trial, expectedRevision: expected, extra: [
            "status": .string(TrialStatus.running.rawValue), "leaseDeadline": ["$lte": StoredValue.time(now)],
        ], connection) else { return nil }
        return (handedOut, change)
    }

    /// The reaper: settles leftover count markers, then ends every overdue lease of every
    /// experiment (requeue, failed, or canceled for a final experiment) and completes the
    /// experiments whose last trial that was. Works in pages, so a long outage does not load
    /// every running trial at once.
    static func expireLeases(now: Date, _ connection: MongoConnection) throws -> ExpiredLeases {
        try settleLeftoverMarkers(experiment: nil, connection, now: now)
        var expired = ExpiredLeases()
        var skipped: Set<String> = []
        while true {
            let overdue = try connection.find(Collections.trials, [
                "status": .string(TrialStatus.running.rawValue), "leaseDeadline": ["$lte": StoredValue.time(now)],
                "_id": ["$nin": .array(skipped.sorted().map(BSON.string))],
            ], .init(sort: ["leaseDeadline": 1], limit: 500)).map(StoredTrial.init(document:))
            guard !overdue.isEmpty else { return expired }
            for (id, trials) in Dictionary(grouping: overdue, by: \.experiment) {
                guard let loaded = try loadExperiment(connection, id) else {
                    // Its experiment was deleted by a call that died before deleting its trials.
                    try deleteContents(of: id, connection)
                    continue
                }
                let experiment = try repairAllocation(loaded, orphans: trials.filter { $0.index >= loaded.nextIndex }, now: now, connection)
                var changes: [CountChange] = []
                for var trial in trials where trial.index < experiment.nextIndex {
                    guard let outcome = try expire(&trial, experiment: experiment, handOutTo: nil, deadline: now, now: now, connection) else {
                        skipped.insert(trial.id)  // renewed or changed meanwhile: not overdue any more
                        continue
                    }
                    expired.trials += 1
                    expired.experiments.insert(id)
                    if let change = outcome.change { changes.append(change) }
                }
                if let settled = try settle(changes, experiment: id, connection, now: now) {
                    try completeIfDone(settled, connection, now: now)
                }
            }
        }
    }

    /// Records past `nextIndex` whose leaser died before moving the counter: counted now if
    /// the experiment still runs (they then expire like any lease), deleted if it is final
    /// (its cancel already counted them as never leased).
    private static func repairAllocation(_ experiment: StoredExperiment, orphans: [StoredTrial], now: Date,
                                         _ connection: MongoConnection) throws -> StoredExperiment {
        guard !orphans.isEmpty else { return experiment }
        var current = experiment
        while current.isActive, try loadTrial(connection, experiment: current.id, index: current.nextIndex) != nil {
            guard let advanced = try advance(experiment: current.id, to: current.nextIndex + 1, now: now, connection) else { return current }
            current = advanced
        }
        if !current.isActive {
            try connection.delete(Collections.trials, filter: [
                "experiment": .string(current.id), "index": ["$gte": .int(current.nextIndex)], "rev": 0,
            ])
        }
        return current
    }
}
