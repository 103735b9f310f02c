/// Asynchronous successive halving (Li et al., "A System for Massively
/// Parallel Hyperparameter Tuning", MLSys 2020, Algorithm 2).
///
/// Rung *k* runs configurations with the budget parameter at
/// ``rungBudgets``[k]. Asked for a trial, the searcher looks from the
/// second-highest rung down for a configuration among the best
/// ⌊n_k/η⌋ of the n_k finished trials of rung *k* that has not run on rung
/// *k*+1 yet, and proposes it there; failing that, a new random
/// configuration on rung 0. A promoted configuration runs again from the
/// start as a new trial with the larger budget (no checkpoint is resumed).
///
/// The searcher keeps no state: rungs are rebuilt from the history on every
/// call, so a restarted server proposes exactly what it would have.
public struct ASHASearcher: Searcher {
    public let parameters: [Parameter]
    public let settings: ASHASettings
    public let goal: Objective.Goal
    /// The budget of each rung, from rung 0 up: `minBudget · η^k` capped at
    /// `maxBudget` (rounded for an `int` budget), each distinct; the last is `maxBudget`.
    public let rungBudgets: [Double]
    private let budgetIsInt: Bool

    /// A searcher over `parameters`, one of which is `settings.budget` (an `int` or `float` parameter).
    public init(parameters: [Parameter], settings: ASHASettings, goal: Objective.Goal) {
        guard let budget = parameters.first(where: { $0.name == settings.budget }) else {
            preconditionFailure("the ASHA budget \"\(settings.budget)\" is not a declared parameter")
        }
        precondition(settings.reductionFactor >= 2 && settings.minBudget > 0 && settings.maxBudget > settings.minBudget,
                      "invalid ASHA settings \(settings)")
        self.parameters = parameters
        self.settings = settings
        self.goal = goal
        budgetIsInt = budget.kind == .int
        rungBudgets = Self.rungBudgets(settings, integer: budgetIsInt)
    }

    static func rungBudgets(_ settings: ASHASettings, integer: Bool) -> [Double] {
        var budgets: [Double] = []
        var raw = settings.minBudget
        while true {
            // The top rung is the max budget exactly (rounding it could leave it below itself forever).
            var budget = raw >= settings.maxBudget ? settings.maxBudget : raw
            if raw < settings.maxBudget { budget = min(integer ? budget.rounded() : budget.trimmedToSignificantDigits, settings.maxBudget) }
            if budgets.last.map({ budget > $0 }) ?? true { budgets.append(budget) }
            if raw >= settings.maxBudget { return budgets }
            raw *= Double(settings.reductionFactor)
        }
    }

    public func propose(history: [SearchTrial]) -> ParameterSet? {
        guard history.count < settings.maxTrials else { return nil }
        var rungs = [Rung](repeating: Rung(), count: rungBudgets.count)
        for trial in history {
            guard let k = rung(of: trial.parameters) else { continue }
            rungs[k].add(trial, as: configuration(of: trial.parameters))
        }
        for k in stride(from: rungBudgets.count - 2, through: 0, by: -1) {
            if let parameters = rungs[k].promotable(notIn: rungs[k + 1].configurations, factor: settings.reductionFactor, goal: goal) {
                return withBudget(rungBudgets[k + 1], parameters)
            }
        }
        return newConfiguration(forTrial: history.count, seen: rungs[0].configurations)
    }

    /// The rung a trial ran on, from its budget; nil when the budget is no rung's.
    public func rung(of parameters: ParameterSet) -> Int? {
        guard let budget = parameters[settings.budget]?.number else { return nil }
        return rungBudgets.firstIndex { abs($0 - budget) <= 1e-9 * max(abs($0), abs(budget)) }
    }

    /// A random configuration on rung 0. In a small discrete space a
    /// configuration already on rung 0 is drawn again only after 32 tries.
    private func newConfiguration(forTrial index: Int, seen: Set<Configuration>) -> ParameterSet {
        var generator = SplitMix64(seed: settings.seed, stream: UInt64(index))
        var candidate = withBudget(rungBudgets[0], .sample(parameters, using: &generator))
        var draws = 1
        while draws < 32, seen.contains(configuration(of: candidate)) {
            candidate = withBudget(rungBudgets[0], .sample(parameters, using: &generator))
            draws += 1
        }
        return candidate
    }

    private func withBudget(_ budget: Double, _ parameters: ParameterSet) -> ParameterSet {
        var result = parameters
        let setting = Setting.scalar(budgetIsInt ? .int(Int(budget)) : .float(budget))
        for index in result.entries.indices where result.entries[index].name == settings.budget {
            result.entries[index].setting = setting
        }
        return result
    }

    /// A configuration's identity: its parameters without the budget, numbers
    /// compared by value (so a stored `1` and `1.0` are the same configuration).
    private func configuration(of parameters: ParameterSet) -> Configuration {
        Configuration(settings: parameters.entries.filter { $0.name != settings.budget }.map { entry in
            switch entry.setting {
            case .scalar(.int(let value)): .number(entry.name, Double(value))
            case .scalar(.float(let value)): .number(entry.name, value)
            default: .other(entry.name, entry.setting)
            }
        })
    }
}

extension ASHASearcher {
    struct Configuration: Hashable {
        enum Value: Hashable {
            case number(String, Double)
            case other(String, Setting)
        }

        var settings: [Value]
    }

    /// The trials of one rung.
    struct Rung {
        private struct Finished {
            var trial: SearchTrial
            var configuration: Configuration
            var value: Double?
        }

        /// Finished trials (with a value or without one), in index order.
        private var finished: [Finished] = []
        /// Every configuration that has a trial here, finished or not.
        private(set) var configurations: Set<Configuration> = []

        mutating func add(_ trial: SearchTrial, as configuration: Configuration) {
            configurations.insert(configuration)
            if trial.isFinished { finished.append(Finished(trial: trial, configuration: configuration, value: trial.value)) }
        }

        /// The best of the top ⌊n/η⌋ finished trials whose configuration is not
        /// in `promoted`. Trials without a value count in n but rank last and are
        /// never promoted; ties go to the earlier trial.
        func promotable(notIn promoted: Set<Configuration>, factor: Int, goal: Objective.Goal) -> ParameterSet? {
            let quota = finished.count / factor
            guard quota > 0 else { return nil }
            let ranked = finished.sorted { a, b in
                switch (a.value, b.value) {
                case let (x?, y?): x == y ? a.trial.index < b.trial.index : goal.isBetter(x, than: y)
                case (.some, nil): true
                case (nil, .some): false
                case (nil, nil): a.trial.index < b.trial.index
                }
            }
            return ranked.prefix(quota).first { $0.value != nil && !promoted.contains($0.configuration) }?.trial.parameters
        }
    }
}
