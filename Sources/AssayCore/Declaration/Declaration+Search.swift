import Yams

/// The adaptive strategies' `sweep` keys and the `early_stopping` section.
extension Declaration {
    static let maxTrialsRange = 1...1_000_000

    static func decodeASHA(
        _ fields: Fields, _ path: FieldPath, _ parameters: [Parameter], declared: [String], _ reader: NodeReader
    ) -> ASHASettings? {
        let maxTrials = (fields["max_trials"] ?? missing("max_trials", fields, path, reader))
            .flatMap { bounded($0, path.key("max_trials"), maxTrialsRange, reader) }
        let seed = seed(fields, path, reader)
        let factor = fields["reduction_factor"].flatMap { bounded($0, path.key("reduction_factor"), 2...100, reader) } ?? 3
        guard let budgetNode = fields["budget"] ?? missing("budget", fields, path, reader),
              let budgetName = reader.string(budgetNode, path.key("budget")) else { return nil }
        guard let parameter = parameters.first(where: { $0.name == budgetName }) else {
            if declared.isEmpty {
                reader.fail(path.key("budget"), budgetNode, "names no declared parameter: declare \"\(budgetName)\" under parameters (an int or float range such as epochs)")
            } else if !declared.contains(budgetName) {
                reader.fail(path.key("budget"), budgetNode, Suggestion.unknown("parameter", budgetName, allowed: declared))
            }
            return nil
        }
        guard parameter.kind == .int || parameter.kind == .float, let bounds = parameter.domain.numericBounds else {
            reader.fail(path.key("budget"), budgetNode, "must name an int or float parameter (\"\(budgetName)\" is a \(parameter.kind.rawValue) parameter)")
            return nil
        }
        let isInt = parameter.kind == .int
        // A given budget may lie far outside Int (it is refused then): print it without converting.
        func text(_ value: Double) -> String {
            if isInt, let exact = Int(exactly: value) { return String(exact) }
            return ParameterValue.format(value)
        }
        func budget(_ key: String, default value: Double) -> Double? {
            guard let node = fields[key] else { return value }
            guard let given = isInt ? reader.int(node, path.key(key)).map(Double.init) : reader.double(node, path.key(key)) else {
                return nil
            }
            if given > 0, !bounds.contains(given) {
                reader.fail(path.key(key), node, "must lie within parameters.\(budgetName) (\(text(given)) is outside \(text(bounds.lowerBound))…\(text(bounds.upperBound)))")
                return nil
            }
            return given
        }
        guard let minBudget = budget("min_budget", default: bounds.lowerBound),
              let maxBudget = budget("max_budget", default: bounds.upperBound) else { return nil }
        if minBudget <= 0 {
            let message = fields["min_budget"] == nil
                ? "must be greater than 0: parameters.\(budgetName) starts at \(text(minBudget)), so give sweep.min_budget"
                : "must be greater than 0 (got \(text(minBudget)))"
            reader.fail(path.key("min_budget"), fields["min_budget"] ?? budgetNode, message)
            return nil
        }
        if maxBudget <= minBudget {
            reader.fail(path.key("max_budget"), fields["max_budget"] ?? budgetNode, "must be greater than min_budget (\(text(maxBudget)) ≤ \(text(minBudget)))")
            return nil
        }
        guard let maxTrials else { return nil }
        return ASHASettings(
            maxTrials: maxTrials, seed: seed, budget: budgetName, reductionFactor: factor,
            minBudget: minBudget, maxBudget: maxBudget)
    }

    static func decodeTPE(_ fields: Fields, _ path: FieldPath, _ reader: NodeReader) -> TPESettings? {
        let maxTrials = (fields["max_trials"] ?? missing("max_trials", fields, path, reader))
            .flatMap { bounded($0, path.key("max_trials"), maxTrialsRange, reader) }
        let seed = seed(fields, path, reader)
        let startup = fields["startup_trials"].flatMap { bounded($0, path.key("startup_trials"), 0...1_000_000, reader) } ?? 10
        let candidates = fields["candidates"].flatMap { bounded($0, path.key("candidates"), 1...10_000, reader) } ?? 24
        var gamma = 0.25
        if let gammaNode = fields["gamma"], let value = reader.double(gammaNode, path.key("gamma")) {
            if value > 0, value < 1 {
                gamma = value
            } else {
                reader.fail(path.key("gamma"), gammaNode, "must lie strictly between 0 and 1 (got \(ParameterValue.format(value)))")
            }
        }
        guard let maxTrials else { return nil }
        return TPESettings(maxTrials: maxTrials, seed: seed, startupTrials: startup, candidates: candidates, gamma: gamma)
    }

    /// `early_stopping`; its metric defaults to the objective's, whose goal it needs.
    static func decodeEarlyStopping(
        _ node: Node, _ path: FieldPath, objective: Objective?, objectiveGiven: Bool, _ reader: NodeReader
    ) -> EarlyStopping? {
        guard let fields = reader.fields(node, path, allowed: ["rule", "metric", "grace_steps", "min_trials"]) else { return nil }
        let rule = fields["rule"].flatMap { reader.choice($0, path.key("rule"), EarlyStopping.Rule.self) } ?? .median
        let metric = fields["metric"].flatMap { reader.string($0, path.key("metric")) }
        let graceSteps = fields["grace_steps"].flatMap { bounded($0, path.key("grace_steps"), 0...1_000_000, reader) } ?? 3
        let minTrials = fields["min_trials"].flatMap { bounded($0, path.key("min_trials"), 1...1_000_000, reader) } ?? 3
        if !objectiveGiven {
            reader.fail(FieldPath.root.key("objective"), node, "is required by early_stopping (its goal says which values are worse)")
        }
        guard let objective else { return nil }
        return EarlyStopping(rule: rule, metric: metric ?? objective.metric, graceSteps: graceSteps, minTrials: minTrials)
    }
}
