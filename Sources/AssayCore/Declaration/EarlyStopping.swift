/// When to stop a running trial early (`early_stopping`), for any sweep strategy.
public struct EarlyStopping: Sendable, Hashable {
    /// How a running trial is compared with the others.
    public enum Rule: String, Sendable, Hashable, CaseIterable {
        /// Stop a trial whose best value so far is worse than the median of the
        /// completed trials' best values at the same step.
        case median
    }

    public var rule: Rule
    /// The `@assay` metric compared (`early_stopping.metric`); defaults to the objective's.
    public var metric: String
    /// A trial is judged only once it has reported more than this many steps.
    public var graceSteps: Int
    /// Completed trials needed at a step before any trial is stopped there.
    public var minTrials: Int

    public init(rule: Rule = .median, metric: String, graceSteps: Int = 3, minTrials: Int = 3) {
        self.rule = rule
        self.metric = metric
        self.graceSteps = graceSteps
        self.minTrials = minTrials
    }
}
