/// Settings of `sweep.strategy: asha` (asynchronous successive halving).
///
/// Rung *k* runs configurations with the budget parameter set to
/// `minBudget · reductionFactor^k`, capped at `maxBudget`; the best
/// `1/reductionFactor` of each rung run again on the next.
public struct ASHASettings: Sendable, Hashable {
    /// Trials proposed in all (`sweep.max_trials`), promotions included.
    public var maxTrials: Int
    /// Seed of the random configurations (`sweep.seed`).
    public var seed: UInt64
    /// The `int` or `float` parameter the searcher sets per trial (`sweep.budget`), such as epochs.
    public var budget: String
    /// η (`sweep.reduction_factor`): a rung's budget is η times the one below, and 1/η of it is promoted.
    public var reductionFactor: Int
    /// Budget of rung 0 (`sweep.min_budget`); defaults to the budget parameter's smallest value.
    public var minBudget: Double
    /// Budget of the top rung (`sweep.max_budget`); defaults to the budget parameter's largest value.
    public var maxBudget: Double

    public init(maxTrials: Int, seed: UInt64 = 0, budget: String, reductionFactor: Int = 3, minBudget: Double, maxBudget: Double) {
        self.maxTrials = maxTrials
        self.seed = seed
        self.budget = budget
        self.reductionFactor = reductionFactor
        self.minBudget = minBudget
        self.maxBudget = maxBudget
    }
}
