import Foundation

/// One reported value of a trial's metric, at a step (`@assay {"step": 4, "loss": 0.7}`).
public struct MetricStep: Sendable, Hashable {
    public var step: Int
    public var value: Double

    public init(step: Int, value: Double) {
        self.step = step
        self.value = value
    }
}

/// The median stopping rule (Golovin et al., "Google Vizier", KDD 2017):
/// stop a running trial whose best value so far is worse than the median of
/// what the completed trials had reached by the same step.
public struct MedianStoppingRule: Sendable, Hashable {
    public let settings: EarlyStopping
    public let goal: Objective.Goal

    public init(_ settings: EarlyStopping, goal: Objective.Goal) {
        self.settings = settings
        self.goal = goal
    }

    /// Whether to stop a running trial now: its best value over steps ≤ s (s = its latest step) is strictly worse than
    /// the median, over the completed trials that reported a step ≤ s, of each one's best value up to s.
    /// Only after grace_steps steps of the trial and with at least min_trials completed trials to compare with.
    /// Returns the human reason, e.g. "best loss 0.71 by step 4 is worse than the median 0.52 of 5 completed trials by step 4".
    ///
    /// "After grace_steps steps" means the trial has reported values at more
    /// than `graceSteps` distinct steps. Non-finite values are ignored.
    public func shouldStop(_ trial: [MetricStep], completed: [[MetricStep]]) -> String? {
        let points = trial.filter(\.value.isFinite)
        guard Set(points.map(\.step)).count > settings.graceSteps,
              let step = points.map(\.step).max(),
              let value = best(points, through: step) else { return nil }
        let others = completed.compactMap { best($0.filter(\.value.isFinite), through: step) }.sorted()
        guard others.count >= settings.minTrials, !others.isEmpty else { return nil }
        let middle = others.count / 2
        let median = others.count % 2 == 1 ? others[middle] : (others[middle - 1] + others[middle]) / 2
        guard goal.isBetter(median, than: value) else { return nil }
        return "best \(settings.metric) \(Self.text(value)) by step \(step) is worse than the median \(Self.text(median)) "
            + "of \(others.count) completed trial\(others.count == 1 ? "" : "s") by step \(step)"
    }

    /// The best value reported at steps up to `step`, if any.
    private func best(_ points: [MetricStep], through step: Int) -> Double? {
        points.lazy.filter { $0.step <= step }.map(\.value).reduce(nil) { best, value in
            guard let best else { return value }
            return goal.isBetter(value, than: best) ? value : best
        }
    }

    /// Four significant digits: enough to see why, short enough to read.
    static func text(_ value: Double) -> String {
        String(format: "%.4g", value)
    }
}
