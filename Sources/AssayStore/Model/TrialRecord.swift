import AssayCore
import Foundation

/// One attempt at a trial, as it ended (or is running).
public struct AttemptRecord: Sendable, Hashable, Codable {
    public var attempt: Int
    public var runner: RunnerID
    public var status: TrialStatus
    public var exitCode: Int32?
    /// Why it ended that way, for people ("lease expired", "exit code 3").
    public var reason: String?
    public var leasedAt: Date
    public var finishedAt: Date?
    public var seconds: Double?

    public init(
        attempt: Int, runner: RunnerID, status: TrialStatus, exitCode: Int32? = nil, reason: String? = nil,
        leasedAt: Date, finishedAt: Date? = nil, seconds: Double? = nil
    ) {
        self.attempt = attempt
        self.runner = runner
        self.status = status
        self.exitCode = exitCode
        self.reason = reason
        self.leasedAt = leasedAt
        self.finishedAt = finishedAt
        self.seconds = seconds
    }
}

/// A trial that has been leased at least once. Trials never leased exist only
/// as the experiment's pending count and their index in the plan.
public struct TrialRecord: Sendable, Hashable, Codable {
    public var experiment: ExperimentID
    public var index: Int
    public var status: TrialStatus
    /// The current (or last) attempt number, 1-based.
    public var attempt: Int
    /// The Runner holding the lease while running.
    public var runner: RunnerID?
    public var leaseDeadline: Date?
    /// Every attempt, oldest first.
    public var attempts: [AttemptRecord]
    /// Final metrics of the last attempt that reported any.
    public var final: Metrics
    /// What an adaptive searcher proposed; nil for a trial of a fixed plan (its index says it).
    public var parameters: StoredParameters?

    public init(
        experiment: ExperimentID, index: Int, status: TrialStatus, attempt: Int, runner: RunnerID?, leaseDeadline: Date?,
        attempts: [AttemptRecord], final: Metrics, parameters: StoredParameters? = nil
    ) {
        self.experiment = experiment
        self.index = index
        self.status = status
        self.attempt = attempt
        self.runner = runner
        self.leaseDeadline = leaseDeadline
        self.attempts = attempts
        self.final = final
        self.parameters = parameters
    }
}

/// A trial handed to a Runner: run attempt `attempt` of trial `index`, and
/// report (which renews the lease) before `deadline`.
public struct TrialLease: Sendable, Hashable, Codable {
    public var index: Int
    public var attempt: Int
    public var deadline: Date
    /// The trial's parameters when a searcher proposed them (the plan cannot tell).
    public var parameters: StoredParameters?

    public init(index: Int, attempt: Int, deadline: Date, parameters: StoredParameters? = nil) {
        self.index = index
        self.attempt = attempt
        self.deadline = deadline
        self.parameters = parameters
    }
}

/// Trials a searcher proposed for an adaptive experiment, to be created at the
/// next lease from `firstIndex` on. The store uses them only if `firstIndex` is
/// still its next fresh index (no other lease created trials meanwhile), and
/// only as many as it hands out: the rest are proposed again from newer results.
public struct TrialProposals: Sendable, Hashable {
    public var firstIndex: Int
    public var parameters: [StoredParameters]

    public init(firstIndex: Int, parameters: [StoredParameters]) {
        self.firstIndex = firstIndex
        self.parameters = parameters
    }
}

/// Which trials to list, and in what order.
public struct TrialQuery: Sendable, Hashable {
    public enum Order: Sendable, Hashable {
        case index
        /// By a final metric; trials without it come last, ties by index.
        case metric(String, descending: Bool)
    }

    public var order: Order
    public var status: TrialStatus?
    public var offset: Int
    public var limit: Int

    public init(order: Order = .index, status: TrialStatus? = nil, offset: Int = 0, limit: Int = 100) {
        self.order = order
        self.status = status
        self.offset = offset
        self.limit = limit
    }
}

/// The metric points of one attempt, columnar: `values[name][k]` belongs to `steps[k]`.
public struct MetricSeries: Sendable, Hashable, Codable {
    public var attempt: Int
    public var steps: [Int?]
    public var values: [String: [Double?]]

    public init(attempt: Int, steps: [Int?], values: [String: [Double?]]) {
        self.attempt = attempt
        self.steps = steps
        self.values = values
    }
}

public enum LogStream: String, Sendable, Hashable, Codable, CaseIterable {
    case stdout, stderr
}

/// A line a trial printed (the store keeps the tail of each attempt's logs).
public struct LogLine: Sendable, Hashable, Codable {
    public var attempt: Int
    public var stream: LogStream
    public var text: String

    public init(attempt: Int, stream: LogStream, text: String) {
        self.attempt = attempt
        self.stream = stream
        self.text = text
    }
}
