import AssayStore
import Foundation
import Logging
import Synchronization

/// Where experiments run: the server hands a queued experiment to its
/// executor, which starts Runners for it (a local process, a Kubernetes Job).
/// The real executors come with their own issues; ``RecordingExecutor`` is the
/// default until then.
public protocol Executor: Sendable {
    /// Starts Runners for a newly queued experiment. `runnerToken` opens the
    /// experiment's runner routes; it is given to the Runners and nowhere else.
    func start(_ experiment: ExperimentRecord, runnerToken: String) async throws
    /// Stops the experiment's Runners (the store has already marked it canceled).
    func cancel(_ experiment: ExperimentRecord) async throws
}

/// Starts nothing; remembers what it was asked to do, so tests can check
/// that the routes dispatch.
public final class RecordingExecutor: Executor {
    /// One request to the executor.
    public enum Call: Sendable, Hashable {
        case start(ExperimentID)
        case cancel(ExperimentID)
    }

    private let recorded = Mutex<[Call]>([])
    private let tokens = Mutex<[ExperimentID: String]>([:])

    public init() {}

    /// Every call so far, oldest first.
    public var calls: [Call] { recorded.withLock { $0 } }

    /// The runner token an experiment was started with.
    public func runnerToken(of experiment: ExperimentID) -> String? {
        tokens.withLock { $0[experiment] }
    }

    public func start(_ experiment: ExperimentRecord, runnerToken: String) async throws {
        recorded.withLock { $0.append(.start(experiment.id)) }
        tokens.withLock { $0[experiment.id] = runnerToken }
    }

    public func cancel(_ experiment: ExperimentRecord) async throws {
        recorded.withLock { $0.append(.cancel(experiment.id)) }
    }
}

/// An executor giving up on an experiment: marks it failed with `reason` (unless it
/// already ended), logs it and tells the experiment's live followers.
func failExperiment(
    _ id: ExperimentID, reason: String, now: Date, store: any ExperimentStore, live: LiveEvents?, logger: Logger
) async {
    do {
        guard let record = try await store.failExperiment(id: id, reason: reason, now: now) else { return }
        logger.warning("experiment failed", metadata: ["experiment": "\(id)", "reason": "\(reason)"])
        await live?.publish(id, [LiveEventPayloads.experiment(record)], final: record.status.isFinal)
    } catch {
        logger.error("could not fail the experiment", metadata: ["experiment": "\(id)", "error": "\(error)"])
    }
}
