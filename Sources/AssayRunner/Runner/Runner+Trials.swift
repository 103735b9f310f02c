import AssayCore
import AssayEngine
import Foundation
import Logging

/// The lease loop: keep the slots busy, post a batch every flush interval, stop trials the
/// server takes back, end once the experiment is final and nothing runs.
extension Runner {
    /// What wakes the loop.
    enum Wake: Sendable {
        case tick
        case ended(AttemptKey, TrialEnd)
    }

    func runTrials(of sweep: PreparedSweep) async {
        let interval = configuration.flushInterval
        await withTaskGroup(of: Wake.self) { group in
            group.addTask { await Self.tick(after: interval) }
            while !Task.isCancelled {
                // Before leasing with nothing running, report every end: a failed attempt
                // goes back to the queue only once the server has heard of it. An adaptive
                // search proposes the next trials from the results: it hears of each end first.
                if running.isEmpty {
                    await flushAll()
                    endNotReported = false
                } else if endNotReported, sweep.plan.isAdaptive, !stopping, running.count < configuration.slots {
                    await flush()
                    endNotReported = false
                }
                if fatal != nil { break }
                if !stopping, queueMayHaveWork, running.count < configuration.slots {
                    guard let answer = await lease() else { break }
                    queueMayHaveWork = !answer.leases.isEmpty
                    for grant in answer.leases { start(grant, of: sweep, in: &group) }
                    observe(answer.status)
                }
                // With nothing to run the Runner stays until the experiment is final: a trial
                // held by a Runner that died comes back to the queue when its lease expires,
                // and someone must be there to run it. Idle, it asks again every tick.
                if running.isEmpty, stopping {
                    await flushAll()
                    break
                }
                guard let wake = await group.next() else { break }
                switch wake {
                case .tick:
                    await flush()
                    if running.isEmpty { queueMayHaveWork = true }
                    group.addTask { await Self.tick(after: interval) }
                case .ended(let key, let end):
                    ended(key, end)
                    queueMayHaveWork = true
                    endNotReported = true
                }
            }
            for key in running.keys { stop(key) }
            group.cancelAll()
            while let wake = await group.next() {
                if case .ended(let key, _) = wake { running[key] = nil }
            }
        }
    }

    private static func tick(after interval: Duration) async -> Wake {
        try? await Task.sleep(for: interval)
        return .tick
    }

    /// Leases up to the free slots; nil when the Runner cannot go on.
    private func lease() async -> LeaseAnswer? {
        let max = min(configuration.leaseBatchSize, configuration.slots - running.count)
        do {
            return try await retrying("lease") { try await server.lease(runner: configuration.runnerID, max: max) }
        } catch is CancellationError {
            return nil
        } catch {
            giveUp(RunnerServerError.classify(error))
            return nil
        }
    }

    /// Starts one leased attempt in a task of its own (cancelling it kills the trial's
    /// process group) and a group child that waits for it.
    private func start(_ grant: LeaseAnswer.Grant, of sweep: PreparedSweep, in group: inout TaskGroup<Wake>) {
        let key = AttemptKey(trial: grant.index, attempt: grant.attempt)
        logger.info("trial leased", metadata: ["trial": "\(grant.index)", "attempt": "\(grant.attempt)"])
        // The server handed the trial out again: an older attempt still running here lost it.
        for older in running.keys where older.trial == key.trial { stop(older) }
        let task = Task { [engine, buffer, environment = configuration.baseEnvironment] in
            await Self.runAttempt(key, parameters: grant.parameters, of: sweep, environment: environment, engine: engine, buffer: buffer)
        }
        running[key] = RunningTrial(task: task)
        group.addTask {
            await withTaskCancellationHandler {
                .ended(key, await task.value)
            } onCancel: {
                task.cancel()
            }
        }
    }

    /// Prepares the trial's folder and runs it, its events going into `buffer`.
    private nonisolated static func runAttempt(
        _ key: AttemptKey, parameters proposed: StoredParameters?, of sweep: PreparedSweep, environment: [String: String],
        engine: TrialEngine, buffer: EventBuffer
    ) async -> TrialEnd {
        func ending(_ status: TrialStatus, _ reason: String) -> TrialEnd {
            TrialEnd(trial: key.trial, attempt: key.attempt, status: status, seconds: 0, reason: reason)
        }
        guard sweep.plan.indices.contains(key.trial) else {
            return ending(.failed, "trial \(key.trial) is not in the plan of \(sweep.plan.count) trials")
        }
        let trial: PlannedTrial
        switch (sweep.plan.isAdaptive, proposed) {
        case (false, _):
            trial = sweep.plan[key.trial]
        case (true, nil):
            return ending(.failed, "trial \(key.trial) of an adaptive search was leased without its parameters")
        case (true, let proposed?):
            do {
                trial = .proposed(index: key.trial, parameters: try proposed.parameterSet(for: sweep.declaration.parameters))
            } catch {
                return ending(.failed, "trial \(key.trial): \(error)")
            }
        }
        var spec: TrialSpec
        do {
            spec = try sweep.workspace.prepare(trial, attempt: key.attempt, declaration: sweep.declaration, baseEnvironment: environment)
        } catch {
            return ending(.failed, "could not prepare the trial folder: \(error)")
        }
        spec.reportsOutputLines = true
        do {
            let outcome = try await engine.run(spec) { event in buffer.record(event, of: key) }
            return TrialEnd(trial: key.trial, attempt: key.attempt, outcome: outcome, timeout: spec.timeout)
        } catch is CancellationError {
            return ending(.canceled, "canceled")
        } catch {
            return ending(.failed, "could not start: \(error)")
        }
    }

    /// Takes note of an attempt's end; it is reported unless the Runner stopped it.
    private func ended(_ key: AttemptKey, _ end: TrialEnd) {
        guard let trial = running.removeValue(forKey: key) else { return }
        var metadata: Logger.Metadata = ["trial": "\(key.trial)", "attempt": "\(key.attempt)", "status": "\(end.status.rawValue)"]
        if let reason = end.reason { metadata["reason"] = "\(reason)" }
        logger.info("trial ended", metadata: metadata)
        if !trial.stopped { buffer.end(end) }
    }

    /// Stops a running attempt without reporting its end.
    func stop(_ key: AttemptKey) {
        guard running[key]?.stopped == false else { return }
        running[key]?.stopped = true
        running[key]?.task.cancel()
    }

    /// Acts on the experiment's state in an answer: once it is final nothing more is leased
    /// and what still runs is stopped.
    func observe(_ status: ExperimentState) {
        lastStatus = status
        guard status.isFinal, !stopping else { return }
        logger.info("experiment is \(status.rawValue); stopping", metadata: ["running": "\(running.count)"])
        stopping = true
        for key in running.keys { stop(key) }
    }

    /// The server refused the Runner: stop everything.
    func giveUp(_ error: RunnerServerError) {
        fatal = fatal ?? error
        stopping = true
        for key in running.keys { stop(key) }
    }
}
