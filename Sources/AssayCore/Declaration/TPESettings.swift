/// Settings of `sweep.strategy: tpe` (tree-structured Parzen estimators).
public struct TPESettings: Sendable, Hashable {
    /// Trials proposed in all (`sweep.max_trials`).
    public var maxTrials: Int
    /// Seed of every random draw (`sweep.seed`).
    public var seed: UInt64
    /// Trials drawn at random before the model is used (`sweep.startup_trials`).
    public var startupTrials: Int
    /// Points drawn from the good trials' density per parameter, of which the
    /// most promising is kept (`sweep.candidates`).
    public var candidates: Int
    /// The fraction of finished trials that counts as good (`sweep.gamma`), in (0, 1).
    public var gamma: Double

    public init(maxTrials: Int, seed: UInt64 = 0, startupTrials: Int = 10, candidates: Int = 24, gamma: Double = 0.25) {
        self.maxTrials = maxTrials
        self.seed = seed
        self.startupTrials = startupTrials
        self.candidates = candidates
        self.gamma = gamma
    }
}
