import AssayCore
import Foundation

/// What a Runner reports about its trials. Every event names the attempt it
/// belongs to: events for an attempt the Runner no longer holds (its lease
/// expired and the trial moved on) are ignored.
public enum RunnerEvent: Sendable, Hashable {
    /// Metric points, columnar (`values[name][k]` belongs to `steps[k]`).
    case metrics(trial: Int, attempt: Int, steps: [Int?], values: [String: [Double?]])
    /// Output lines of a trial.
    case log(trial: Int, attempt: Int, stream: LogStream, lines: [String])
    /// The attempt ended. `failed` and `timedOut` attempts are requeued while
    /// attempts remain (`maxAttempts`); the trial is final otherwise.
    case finished(trial: Int, attempt: Int, status: TrialStatus, exitCode: Int32?, seconds: Double, final: Metrics, reason: String?)
}

/// One POST of a Runner: events in order, numbered per Runner. Applying the
/// same `(runner, seq)` twice changes nothing the second time.
public struct EventBatch: Sendable, Hashable {
    public var experiment: ExperimentID
    public var runner: RunnerID
    public var seq: Int
    public var events: [RunnerEvent]

    public init(experiment: ExperimentID, runner: RunnerID, seq: Int, events: [RunnerEvent]) {
        self.experiment = experiment
        self.runner = runner
        self.seq = seq
        self.events = events
    }
}

/// What the store tells the Runner after a batch.
public struct BatchOutcome: Sendable, Hashable {
    /// The batch had been applied before; nothing changed now.
    public var duplicate: Bool
    public var experimentStatus: ExperimentStatus
    /// Trials this Runner reported on but no longer holds (stop them).
    public var revoked: [Int]

    public init(duplicate: Bool, experimentStatus: ExperimentStatus, revoked: [Int]) {
        self.duplicate = duplicate
        self.experimentStatus = experimentStatus
        self.revoked = revoked
    }
}

/// The result of sending the completion mail.
public enum NotificationOutcome: Sendable, Hashable {
    case sent
    case failed(String)
}
