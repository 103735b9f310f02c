/// Independent random draws: trial *i* gets exactly what trial *i* of a
/// random plan with the same seed gets, so random search can be driven like
/// the adaptive strategies (and is their baseline).
public struct RandomSearcher: Searcher {
    public let parameters: [Parameter]
    public let maxTrials: Int
    public let seed: UInt64

    public init(parameters: [Parameter], maxTrials: Int, seed: UInt64) {
        self.parameters = parameters
        self.maxTrials = maxTrials
        self.seed = seed
    }

    public func propose(history: [SearchTrial]) -> ParameterSet? {
        guard history.count < maxTrials else { return nil }
        var generator = SplitMix64(seed: seed, stream: UInt64(history.count))
        return .sample(parameters, using: &generator)
    }
}
