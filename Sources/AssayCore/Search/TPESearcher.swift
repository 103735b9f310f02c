import Foundation

/// Tree-structured Parzen estimators (Bergstra et al., "Algorithms for
/// Hyper-Parameter Optimization", NeurIPS 2011).
///
/// The first `startupTrials` trials are drawn at random (exactly as a random
/// sweep with the same seed would draw them). After that, the finished trials
/// with a value are split into the best `gamma` fraction, *l*, and the rest,
/// *g*. For each parameter independently, `candidates` points are drawn from
/// a density fitted to *l* and the one where l(x)/g(x) is largest is kept.
///
/// Pending trials join *g* (a pessimistic "constant liar"), so trials proposed
/// while others run are pushed away from them rather than piling up on the
/// same spot. Failed trials and trials without a value are left out.
public struct TPESearcher: Searcher {
    public let parameters: [Parameter]
    public let settings: TPESettings
    public let goal: Objective.Goal

    public init(parameters: [Parameter], settings: TPESettings, goal: Objective.Goal) {
        precondition(settings.gamma > 0 && settings.gamma < 1 && settings.candidates > 0, "invalid TPE settings \(settings)")
        self.parameters = parameters
        self.settings = settings
        self.goal = goal
    }

    public func propose(history: [SearchTrial]) -> ParameterSet? {
        let index = history.count
        guard index < settings.maxTrials else { return nil }
        var generator = SplitMix64(seed: settings.seed, stream: UInt64(index))
        // Best first; ties go to the earlier trial.
        let observed: [SearchTrial] = history.filter { $0.value != nil }.sorted { a, b in
            let (x, y) = (goal.loss(a.value!), goal.loss(b.value!))
            return x == y ? a.index < b.index : x < y
        }
        guard index >= settings.startupTrials, !observed.isEmpty else {
            return .sample(parameters, using: &generator)
        }
        let goodCount = min(observed.count, max(1, Int((settings.gamma * Double(observed.count)).rounded(.up))))
        let good = observed.prefix(goodCount).map(\.parameters)
        let pending = history.filter { $0.state == .pending }.map(\.parameters)
        let bad = observed.dropFirst(goodCount).map(\.parameters) + pending
        return ParameterSet(entries: parameters.map { parameter in
            ParameterSet.Entry(name: parameter.name, setting: suggest(parameter, good: good, bad: bad, using: &generator))
        })
    }

    /// The candidate drawn from the good trials' density that is most likely under it relative to the bad trials'.
    private func suggest(_ parameter: Parameter, good: [ParameterSet], bad: [ParameterSet], using generator: inout SplitMix64) -> Setting {
        let domain = parameter.domain
        if domain.count == 1 { return domain.setting(at: 0) }
        if case .list(let settings) = domain {
            func indexes(_ trials: [ParameterSet]) -> [Int] {
                trials.compactMap { $0[parameter.name].flatMap(domain.index(of:)) }
            }
            let l = CategoricalEstimator(categories: settings.count, observations: indexes(good))
            let g = CategoricalEstimator(categories: settings.count, observations: indexes(bad))
            let chosen = best(using: &generator, draw: { l.sample(using: &$0) }, score: { l.logProbability($0) - g.logProbability($0) })
            return settings[chosen]
        }
        let axis = Axis(domain)
        func coordinates(_ trials: [ParameterSet]) -> [Double] {
            trials.compactMap { $0[parameter.name].flatMap(axis.coordinate) }
        }
        let l = ParzenEstimator(observations: coordinates(good), low: axis.low, high: axis.high)
        let g = ParzenEstimator(observations: coordinates(bad), low: axis.low, high: axis.high)
        let chosen = best(using: &generator, draw: { l.sample(using: &$0) }, score: { l.logDensity($0) - g.logDensity($0) })
        return axis.setting(chosen)
    }

    /// The first of `settings.candidates` draws with the highest score.
    private func best<Value>(
        using generator: inout SplitMix64, draw: (inout SplitMix64) -> Value, score: (Value) -> Double
    ) -> Value {
        var chosen = draw(&generator)
        var chosenScore = score(chosen)
        for _ in 1..<settings.candidates {
            let candidate = draw(&generator)
            let candidateScore = score(candidate)
            if candidateScore > chosenScore {
                (chosen, chosenScore) = (candidate, candidateScore)
            }
        }
        return chosen
    }
}

/// How a numeric parameter's values map to the real line its Parzen
/// estimators work on: the logarithm for `scale: log`, the point's index for
/// stepped and spaced domains, with integers given the whole unit around them.
private struct Axis {
    let low: Double
    let high: Double
    let coordinate: (Setting) -> Double?
    let setting: (Double) -> Setting

    init(_ domain: Domain) {
        switch domain {
        case .intRange(let min, let max, let scale):
            let log = scale == .log
            low = log ? Foundation.log(Double(min) - 0.5) : Double(min) - 0.5
            high = log ? Foundation.log(Double(max) + 0.5) : Double(max) + 0.5
            coordinate = { $0.number.map { log ? Foundation.log($0) : $0 } }
            setting = { x in
                let value = (log ? exp(x) : x).rounded()
                return .scalar(.int(Swift.min(max, Swift.max(min, Int(value)))))
            }
        case .floatRange(let min, let max, let scale):
            let log = scale == .log
            low = log ? Foundation.log(min) : min
            high = log ? Foundation.log(max) : max
            coordinate = { $0.number.map { log ? Foundation.log($0) : $0 } }
            setting = { x in .scalar(.float(Swift.min(max, Swift.max(min, log ? exp(x) : x)).trimmedToSignificantDigits)) }
        default:
            let count = domain.count ?? 1
            low = -0.5
            high = Double(count) - 0.5
            coordinate = { domain.index(of: $0).map(Double.init) }
            setting = { x in domain.setting(at: Swift.min(count - 1, Swift.max(0, Int(x.rounded())))) }
        }
    }
}
