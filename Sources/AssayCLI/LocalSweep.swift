import AssayCore
import AssayEngine
import Foundation

/// Runs a whole sweep on this machine: setup once, then every trial of the
/// plan through the trial engine, `parallel` at a time, retrying failed and
/// timed-out attempts up to `trial.retries`.
struct LocalSweep: Sendable {
    let declaration: Declaration
    let plan: SweepPlan
    let workspace: TrialWorkspace
    let parallel: Int
    let environment: [String: String]
    let engine = TrialEngine()

    /// Why the sweep could not start its trials.
    typealias SetupFailure = AssayEngine.SetupFailure

    /// Runs `setup` in the code folder; throws ``SetupFailure`` with the tail of its output.
    func runSetup() async throws {
        try await SetupStep(declaration: declaration, workspace: workspace, baseEnvironment: environment).run(engine: engine)
    }

    /// Every trial's final record, in plan order. Trials not run because the
    /// sweep was cancelled are `canceled` with 0 attempts.
    func run(progress: ProgressBar, warnings: WarningLog) async -> [TrialResult] {
        var results: [TrialResult?] = Array(repeating: nil, count: plan.count)
        await withTaskGroup(of: TrialResult.self) { group in
            var next = 0
            func startNext() {
                guard next < plan.count, !Task.isCancelled else { return }
                let trial = plan[next]
                next += 1
                group.addTask { await runTrial(trial, progress: progress, warnings: warnings) }
            }
            for _ in 0..<min(parallel, plan.count) { startNext() }
            for await result in group {
                results[result.trial.index] = result
                startNext()
            }
        }
        return results.enumerated().map { index, result in
            result ?? TrialResult(trial: plan[index], status: .canceled, attempts: 0, seconds: 0, metrics: Metrics())
        }
    }

    private func runTrial(_ trial: PlannedTrial, progress: ProgressBar, warnings: WarningLog) async -> TrialResult {
        await progress.trialStarted()
        var attempt = 1
        var result: TrialResult
        while true {
            result = await runAttempt(trial, attempt: attempt, warnings: warnings)
            let retryable = result.status == .failed || result.status == .timedOut
            guard retryable, attempt <= declaration.trial.retries, !Task.isCancelled else { break }
            attempt += 1
            await progress.attemptRetried()
        }
        await progress.trialFinished(result.status)
        return result
    }

    private func runAttempt(_ trial: PlannedTrial, attempt: Int, warnings: WarningLog) async -> TrialResult {
        do {
            let spec = try workspace.prepare(trial, attempt: attempt, declaration: declaration, baseEnvironment: environment)
            let outcome = try await engine.run(spec)
            for warning in outcome.warnings {
                await warnings.add("trial \(trial.index): \(warning)")
            }
            let seconds = outcome.duration.inSeconds
            return TrialResult(trial: trial, status: outcome.status, attempts: attempt, seconds: seconds, metrics: outcome.final)
        } catch {
            await warnings.add("trial \(trial.index): could not start: \(error)")
            return TrialResult(trial: trial, status: Task.isCancelled ? .canceled : .failed, attempts: attempt, seconds: 0, metrics: Metrics())
        }
    }
}

/// Problems worth telling the user after the sweep (malformed metric lines,
/// missing result files, commands that could not start).
actor WarningLog {
    private(set) var messages: [String] = []

    func add(_ message: String) {
        messages.append(message)
    }
}
