import AssayCore
import AssayEngine
import Foundation
import Logging

/// A stateless worker over the server's lease queue: it fetches the experiment's spec and
/// artifact, unpacks it safely, runs `setup`, then leases trials, runs up to
/// ``RunnerConfiguration/slots`` of them at once with the trial engine, and reports what
/// they print and how they end in numbered batches, retrying while the server is away.
/// When the experiment is over it claims the completion mail and, if granted, sends it
/// through the ``CompletionNotifier``.
///
/// A Runner runs once: create one per process.
public actor Runner {
    public let configuration: RunnerConfiguration
    let server: any RunnerServer
    let notifier: (any CompletionNotifier)?
    var logger: Logger
    let engine = TrialEngine()
    let buffer: EventBuffer

    /// Attempts running now.
    var running: [AttemptKey: RunningTrial] = [:]
    /// No more leases: the experiment is over, or the Runner cannot go on.
    var stopping = false
    /// Why the Runner cannot go on, once it cannot.
    var fatal: RunnerServerError?
    /// The experiment's state in the server's latest answer.
    var lastStatus: ExperimentState?
    /// False after an empty lease answer, until a trial ended or an end was reported (a
    /// failed attempt goes back to the queue then).
    var queueMayHaveWork = true
    /// An attempt ended since the last batch went out (adaptive searches report it before leasing).
    var endNotReported = false
    /// The batch being sent (retried as is until the server answers), and the next number.
    var pendingBatch: EventBatch?
    var nextSeq = 1

    /// - Parameters:
    ///   - server: the experiment's runner routes (the transport holds the token).
    ///   - notifier: sends the completion mail; without one the Runner never claims it.
    public init(
        configuration: RunnerConfiguration, server: any RunnerServer, notifier: (any CompletionNotifier)? = nil,
        logger: Logger = Logger(label: "assay-runner")
    ) {
        self.configuration = configuration
        self.server = server
        self.notifier = notifier
        var logger = logger
        logger[metadataKey: "runner"] = "\(configuration.runnerID)"
        self.logger = logger
        buffer = EventBuffer(limitBytes: configuration.eventBufferBytes, linesPerBatch: configuration.logLinesPerBatch)
    }

    /// One leased attempt being run.
    struct RunningTrial {
        var task: Task<TrialEnd, Never>
        /// Stopped by the Runner (revoked, or the experiment is over): its end is not reported.
        var stopped = false
    }

    /// Does the whole job and says how it ended; cancelling the calling task stops the
    /// running trials (their process groups are killed) and ends it.
    public func run() async -> RunnerExit {
        logger.info("runner starting", metadata: ["slots": "\(configuration.slots)"])
        let sweep: PreparedSweep
        switch await prepare() {
        case .ready(let prepared):
            sweep = prepared
        case .nothingToDo(let status):
            logger.info("experiment is \(status.rawValue); nothing to do")
            return .finished
        case .setupFailed(let reason, let spec):
            return await reportSetupFailure(reason, spec: spec)
        case .failed(let reason):
            logger.error("cannot start", metadata: ["reason": "\(reason)"])
            return .failed(reason)
        }
        logger[metadataKey: "experiment"] = "\(sweep.spec.experiment)"
        await runTrials(of: sweep)
        if let fatal {
            logger.error("stopped", metadata: ["reason": "\(fatal)"])
            return .failed(fatal.description)
        }
        if Task.isCancelled { return .failed("interrupted") }
        await sendCompletionMail(spec: sweep.spec, declaration: sweep.declaration)
        logger.info("runner done", metadata: ["status": "\(lastStatus?.rawValue ?? "unknown")"])
        return .finished
    }

    /// Calls `operation` until it succeeds, waiting between tries as ``RunnerConfiguration/backoff``
    /// says while its failures are retryable.
    ///
    /// - Throws: the first ``RunnerServerError`` that is not retryable, or `CancellationError`.
    func retrying<T: Sendable>(_ route: String, _ operation: () async throws -> T) async throws -> T {
        var failures = 0
        while true {
            do {
                return try await operation()
            } catch let error as CancellationError {
                throw error
            } catch {
                let error = RunnerServerError.classify(error)
                guard error.isRetryable else { throw error }
                failures += 1
                let delay = configuration.backoff.delay(afterFailures: failures)
                logger.warning("\(route) failed; retrying", metadata: [
                    "error": "\(error)", "failures": "\(failures)", "delay": "\(delay)",
                ])
                try await Task.sleep(for: delay)
            }
        }
    }
}
