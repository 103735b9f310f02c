import AssayCore
import Foundation

/// How one attempt of a trial ended and what it reported.
public struct TrialOutcome: Sendable, Hashable {
    public var status: TrialStatus
    /// The exit code, if the process exited rather than being killed by a signal.
    public var exitCode: Int32?
    /// The signal that killed the process, if any.
    public var signal: Int32?
    public var startedAt: Date
    public var duration: Duration
    /// Every `@assay` point, in the order printed.
    public var metrics: [MetricPoint]
    /// The last non-null value of every `@assay` metric, then the result file's values over them.
    public var final: Metrics
    /// Why the result file could not be read, if one was expected and could not be.
    public var resultError: String?
    public var warnings: [String]
    /// Bytes the trial wrote to each stream, including any past the log limit.
    public var stdoutBytes: Int
    public var stderrBytes: Int
    /// Whether either log was cut at the limit.
    public var logTruncated: Bool
}
