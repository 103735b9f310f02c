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
    /// The attempt ended. After a `failed` or `timedOut` attempt the trial is
    /// requeued while retries remain (``RetryRule``); it is final otherwise.
    case finished(trial: Int, attempt: Int, status: TrialStatus, exitCode: Int32?, seconds: Double, final: Metrics, reason: String?)
}

/// One attempt of one trial: what a lease hands out and what a Runner runs.
public struct TrialAttempt: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var trial: Int
    /// 1-based.
    public var attempt: Int

    public init(trial: Int, attempt: Int) {
        self.trial = trial
        self.attempt = attempt
    }

    public static func < (lhs: TrialAttempt, rhs: TrialAttempt) -> Bool {
        (lhs.trial, lhs.attempt) < (rhs.trial, rhs.attempt)
    }

    public var description: String { "\(trial).\(attempt)" }
}

/// One POST of a Runner: events in order, numbered per Runner. Applying the
/// same `(runner, seq)` twice changes nothing the second time.
public struct EventBatch: Sendable, Hashable {
    public var experiment: ExperimentID
    public var runner: RunnerID
    public var seq: Int
    public var events: [RunnerEvent]
    /// The attempts the Runner is still running. Each one whose lease it does not hold
    /// any more (the lease expired and the trial moved on, the experiment is final) comes
    /// back in ``BatchOutcome/revoked`` even though no event names it, so a Runner that
    /// lost the server for longer than a lease stops what another Runner now runs.
    public var active: [TrialAttempt]

    public init(experiment: ExperimentID, runner: RunnerID, seq: Int, events: [RunnerEvent], active: [TrialAttempt] = []) {
        self.experiment = experiment
        self.runner = runner
        self.seq = seq
        self.events = events
        self.active = active
    }
}

/// What the store tells the Runner after a batch.
public struct BatchOutcome: Sendable, Hashable {
    /// The batch had been applied before; nothing changed now.
    public var duplicate: Bool
    public var experimentStatus: ExperimentStatus
    /// The attempts the Runner must stop, in order: those the batch's events name that are
    /// not the current attempt of their trial leased to this Runner, and those it lists as
    /// ``EventBatch/active`` that it does not hold running in an experiment still going
    /// (the leases the batch renewed). A duplicate batch answers for `active` only.
    public var revoked: [TrialAttempt]

    /// The trials of ``revoked``, each once, in order (what Runners that send no `active` read).
    public var revokedTrials: [Int] { Array(Set(revoked.map(\.trial))).sorted() }

    public init(duplicate: Bool, experimentStatus: ExperimentStatus, revoked: [TrialAttempt]) {
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

/// What one pass of the lease reaper did.
public struct ExpiredLeases: Sendable, Hashable {
    /// Trials whose lease ran out.
    public var trials: Int
    /// The experiments those trials belong to.
    public var experiments: Set<ExperimentID>

    public init(trials: Int = 0, experiments: Set<ExperimentID> = []) {
        self.trials = trials
        self.experiments = experiments
    }
}
