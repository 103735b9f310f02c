/// What a searcher knows of one trial it proposed earlier.
public struct SearchTrial: Sendable, Hashable {
    /// Where the trial stands, as far as the search is concerned.
    public enum State: Sendable, Hashable {
        /// Proposed, not finished (queued or running).
        case pending
        /// The final objective value (nil: the trial succeeded without reporting the metric).
        case completed(Double?)
        /// Failed, timed out or canceled: no result.
        case failed
        /// Stopped by the early-stopping rule, with its best objective value so far.
        case stoppedEarly(Double?)
    }

    public var index: Int
    public var parameters: ParameterSet
    public var state: State

    public init(index: Int, parameters: ParameterSet, state: State) {
        self.index = index
        self.parameters = parameters
        self.state = state
    }

    /// The objective value the trial ranks by: a finite final or best-so-far
    /// value; nil while pending, after a failure, or when none was reported.
    var value: Double? {
        switch state {
        case .completed(let value?), .stoppedEarly(let value?): value.isFinite ? value : nil
        case .pending, .failed, .completed(nil), .stoppedEarly(nil): nil
        }
    }

    /// Whether the trial has ended, with or without a result.
    var isFinished: Bool {
        if case .pending = state { return false }
        return true
    }
}

/// Proposes the parameters of an adaptive sweep's trials, one at a time, from the results so far.
public protocol Searcher: Sendable {
    /// The parameters of trial `history.count` (history holds every trial proposed so far, in index order),
    /// or nil when `maxTrials` have been proposed. Deterministic: the same declaration, seed and history
    /// give the same answer on any machine (so the server rebuilds the searcher's state from stored results after a restart).
    func propose(history: [SearchTrial]) -> ParameterSet?
}

/// The searchers behind the adaptive sweep strategies.
public enum Search {
    /// The searcher of an adaptive declaration (asha, tpe); nil for grid,
    /// one-at-a-time and random, whose trials are planned (``SweepPlan``).
    ///
    /// The declaration must have been validated: adaptive strategies need its objective.
    public static func searcher(for declaration: Declaration) -> (any Searcher)? {
        guard declaration.sweep.strategy.isAdaptive else { return nil }
        guard let objective = declaration.objective else {
            preconditionFailure("sweep strategy \(declaration.sweep.strategy.name) needs an objective; Declaration.parse requires one")
        }
        switch declaration.sweep.strategy {
        case .asha(let settings):
            return ASHASearcher(parameters: declaration.parameters, settings: settings, goal: objective.goal)
        case .tpe(let settings):
            return TPESearcher(parameters: declaration.parameters, settings: settings, goal: objective.goal)
        case .grid, .oneAtATime, .random:
            return nil
        }
    }
}

extension Objective.Goal {
    /// Whether `value` is strictly better than `other` under this goal.
    func isBetter(_ value: Double, than other: Double) -> Bool {
        self == .minimize ? value < other : value > other
    }

    /// `value` as a loss: smaller is better under either goal.
    func loss(_ value: Double) -> Double {
        self == .minimize ? value : -value
    }
}
