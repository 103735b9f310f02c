import AssayCore
import Foundation
import Subprocess
import SystemPackage

/// Runs one attempt of a trial as a process: no shell, its own session and process group,
/// exactly the given environment, live `@assay` metrics, capped logs, a timeout that stops
/// the whole group, and the result file read at the end.
///
/// Status: exit code 0 is `succeeded`; any other exit code, or death by a signal the engine
/// did not send, is `failed` (output on stderr alone is not a failure). A trial stopped at
/// its timeout is `timedOut`, one whose task was cancelled is `canceled`; either way its
/// group gets SIGTERM, then SIGKILL after the grace period. When the leader exits, whatever
/// it left running in its group is killed, so a background process holding stdout open
/// cannot keep a trial alive.
public struct TrialEngine: Sendable {
    public init() {}

    /// Runs `spec` to its end and reports what happened; `onEvent` hears metric points,
    /// warnings and (if the spec asks) output lines as they are printed, from more than one
    /// task at a time.
    ///
    /// - Throws: ``LaunchError`` if the trial cannot start (nothing ran then), and
    ///   `CancellationError` if the task was cancelled before it started. Once the trial has
    ///   started, cancelling the task stops it and returns a `canceled` outcome.
    public func run(
        _ spec: TrialSpec,
        onEvent: @escaping @Sendable (TrialEvent) -> Void = { _ in }
    ) async throws -> TrialOutcome {
        try Task.checkCancellation()
        guard let command = spec.arguments.first else { throw LaunchError.emptyCommand }
        guard FileKind(of: spec.workingDirectory) == .directory else {
            throw LaunchError.workingDirectoryMissing(spec.workingDirectory)
        }
        let executable = try ExecutablePath.resolve(
            command, environment: spec.environment, workingDirectory: spec.workingDirectory)

        let stdoutLog = try CappedLog.open(spec.stdoutLog)
        defer { close(stdoutLog) }
        let stderrLog = try CappedLog.open(spec.stderrLog)
        defer { close(stderrLog) }

        let requests = StopRequests(grace: spec.killGrace)
        // The process runs in a task of its own so that cancelling ours reaches it only as a
        // stop request: swift-subprocess would otherwise answer cancellation itself by killing
        // the leader alone, leaving its children running and the outcome unknown.
        let execution = Task {
            try await Self.execute(
                spec, executable: executable, logs: (stdoutLog, stderrLog), requests: requests, onEvent: onEvent)
        }
        return try await withTaskCancellationHandler {
            try await execution.value
        } onCancel: {
            requests.request(.canceled)
        }
    }

    /// What the body that watches the running process hands back.
    private struct Watch: Sendable {
        var stdout = StreamReport()
        var stderr = StreamReport()
        var stopReason: StopReason?
    }

    private static func execute(
        _ spec: TrialSpec,
        executable: String,
        logs: (stdout: Int32, stderr: Int32),
        requests: StopRequests,
        onEvent: @escaping @Sendable (TrialEvent) -> Void
    ) async throws -> TrialOutcome {
        var options = PlatformOptions()
        options.createSession = true
        // Used by swift-subprocess only if the watching body itself throws.
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: spec.killGrace)]
        let configuration = Configuration(
            executable: .path(FilePath(executable)),
            arguments: Arguments(executablePathOverride: spec.arguments[0], remainingValues: Array(spec.arguments.dropFirst())),
            // Raw entries must be NUL-terminated: swift-subprocess strdup()s them.
            environment: .custom(spec.environment.map { Array("\($0.key)=\($0.value)\0".utf8) }),
            workingDirectory: FilePath(spec.workingDirectory),
            platformOptions: options
        )

        let startedAt = Date()
        let clock = ContinuousClock()
        let start = clock.now
        var started = false
        var launched: ExecutionResult<Watch, SequenceOutput, SequenceOutput>?
        var tries = 0
        while launched == nil {
            do {
                launched = try await Subprocess.run(configuration, input: .none, output: .sequence, error: .sequence) { execution in
                    started = true
                    let group = ProcessGroup(leader: execution.processIdentifier.value)
                    onEvent(.started(pid: group.leader))
                    return try await watch(
                        execution, group: group, spec: spec, logs: logs, requests: requests, onEvent: onEvent)
                }
            } catch let error as SubprocessError where !started {
                // ETXTBSY: a script written just before (by setup, or a test) is still open for
                // writing in a child another thread forked and has not exec'd yet. It passes.
                tries += 1
                guard error.underlyingError == .textFileBusy, tries < 5 else { throw LaunchError.spawnFailed("\(error)") }
                try await Task.sleep(for: .milliseconds(20 * tries))
            }
        }
        guard let result = launched else { throw LaunchError.spawnFailed("not started") }
        let duration = clock.now - start
        let watched = result.closureResult

        var outcome = TrialOutcome(
            status: .failed, exitCode: nil, signal: nil, startedAt: startedAt, duration: duration,
            metrics: watched.stdout.metrics, final: finalValues(of: watched.stdout.metrics), resultError: nil,
            warnings: watched.stdout.warnings,
            stdoutBytes: watched.stdout.bytes, stderrBytes: watched.stderr.bytes,
            logTruncated: watched.stdout.logTruncated || watched.stderr.logTruncated)
        func warn(_ warning: String) {
            outcome.warnings.append(warning)
            onEvent(.warning(warning))
        }
        for (stream, report) in [("stdout", watched.stdout), ("stderr", watched.stderr)] {
            if let logError = report.logError { warn("writing the \(stream) log failed: \(logError)") }
        }
        switch result.terminationStatus {
        case .exited(let code):
            outcome.exitCode = code
            outcome.status = code == 0 ? .succeeded : .failed
        case .signaled(let signal):
            outcome.signal = signal
        }
        switch watched.stopReason {
        case .timedOut?: outcome.status = .timedOut
        case .canceled?: outcome.status = .canceled
        case nil: break
        }
        if let resultFile = spec.result {
            switch readResultFile(resultFile, in: spec.workingDirectory) {
            case .success(let values):
                outcome.final.merge(values)
            case .failure(let error):
                outcome.resultError = error.message
                warn(error.message)
            }
        }
        return outcome
    }

    /// Reads both streams into their logs until they end, enforcing the stop requests and
    /// the timeout meanwhile; then waits for the leader to exit and kills what it left behind.
    private static func watch(
        _ execution: Execution<NoInput, SequenceOutput, SequenceOutput>,
        group: ProcessGroup,
        spec: TrialSpec,
        logs: (stdout: Int32, stderr: Int32),
        requests: StopRequests,
        onEvent: @escaping @Sendable (TrialEvent) -> Void
    ) async throws -> Watch {
        requests.attach(group, timeout: spec.timeout)
        // On every way out, also when reading fails: swift-subprocess reaps the leader once this returns.
        defer { _ = requests.detach() }
        async let stdout = copyStdout(
            execution.standardOutput, to: logs.stdout, limit: spec.logLimitBytes, lines: spec.reportsOutputLines, onEvent: onEvent)
        // Read here rather than in a child task of its own: one task fewer to start and wait for.
        let stderr = try await copyStderr(
            execution.standardError, to: logs.stderr, limit: spec.logLimitBytes, lines: spec.reportsOutputLines, onEvent: onEvent)
        var watch = Watch(stdout: try await stdout, stderr: stderr)
        await group.waitForLeaderExit()
        watch.stopReason = requests.detach()
        group.send(SIGKILL)
        return watch
    }
}
