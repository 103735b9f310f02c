/// The final record of one trial: what it ran with and how it ended.
public struct TrialResult: Sendable, Hashable {
    public var trial: PlannedTrial
    public var status: TrialStatus
    /// Attempts made (1 when the first one ended it).
    public var attempts: Int
    /// Wall time of the last attempt, in seconds.
    public var seconds: Double
    /// Final metrics: last `@assay` values, overwritten by the result file.
    public var metrics: Metrics

    public init(trial: PlannedTrial, status: TrialStatus, attempts: Int, seconds: Double, metrics: Metrics) {
        self.trial = trial
        self.status = status
        self.attempts = attempts
        self.seconds = seconds
        self.metrics = metrics
    }
}
