@testable import AssayCore
import Foundation
import Testing

@Suite("TPE searcher")
struct TPESearcherTests {
    /// Branin on x1 ∈ [-5, 10], x2 ∈ [0, 15]: three global minima of 0.397887.
    static func branin(_ x1: Double, _ x2: Double) -> Double {
        let b = 5.1 / (4 * Double.pi * Double.pi), c = 5 / Double.pi, t = 1 / (8 * Double.pi)
        return pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * cos(x1) + 10
    }

    static func braninDeclaration(_ sweep: String) -> String {
        """
        name: branin
        command: [run, "{x1}", "{x2}"]
        parameters:
          x1: {type: float, min: -5, max: 10}
          x2: {type: float, min: 0, max: 15}
        sweep: \(sweep)
        objective: {metric: f, goal: minimize}
        """
    }

    static func braninValue(_ parameters: ParameterSet) -> Double? {
        branin(parameters.value(named: "x1")!.number!, parameters.value(named: "x2")!.number!)
    }

    /// Runs a searcher to the end, each trial finishing before the next is proposed (nil: the trial failed).
    static func run(_ searcher: any Searcher, _ objective: (ParameterSet) -> Double?) -> [SearchTrial] {
        var history: [SearchTrial] = []
        while let parameters = searcher.propose(history: history) {
            let state: SearchTrial.State = objective(parameters).map { .completed($0) } ?? .failed
            history.append(SearchTrial(index: history.count, parameters: parameters, state: state))
        }
        return history
    }

    static func bestFound(_ history: [SearchTrial]) -> Double {
        history.compactMap(\.value).min() ?? .infinity
    }

    /// The issue's acceptance test: over 20 fixed seeds and 60 trials each, the
    /// mean best value TPE finds is well below random search's (measured:
    /// about 0.48 against 1.06, TPE ahead on 17 of the 20 seeds).
    @Test func beatsRandomSearchOnBraninWithinTheSameBudget() throws {
        let budget = 60
        var tpe: [Double] = [], random: [Double] = []
        for seed in 1...20 {
            let d = try declaration(Self.braninDeclaration("{strategy: tpe, max_trials: \(budget), seed: \(seed)}"))
            let history = Self.run(try #require(Search.searcher(for: d)), Self.braninValue)
            #expect(history.count == budget)
            tpe.append(Self.bestFound(history))
            let baseline = RandomSearcher(parameters: d.parameters, maxTrials: budget, seed: UInt64(seed))
            random.append(Self.bestFound(Self.run(baseline, Self.braninValue)))
        }
        let meanTPE = tpe.reduce(0, +) / Double(tpe.count)
        let meanRandom = random.reduce(0, +) / Double(random.count)
        #expect(meanTPE < 0.7 * meanRandom, "mean best found: TPE \(meanTPE), random \(meanRandom)")
        #expect(zip(tpe, random).filter { $0 < $1 }.count >= 14, "TPE \(tpe), random \(random)")
    }

    @Test func theSameSeedAndHistoryGiveTheSameProposals() throws {
        let d = try declaration(Self.braninDeclaration("{strategy: tpe, max_trials: 30, seed: 5}"))
        let first = Self.run(try #require(Search.searcher(for: d)), Self.braninValue)
        // A new searcher (a restarted server) proposes the same next trial from every prefix.
        let rebuilt = try #require(Search.searcher(for: try declaration(Self.braninDeclaration("{strategy: tpe, max_trials: 30, seed: 5}"))))
        for count in 0..<first.count {
            #expect(rebuilt.propose(history: Array(first.prefix(count))) == first[count].parameters)
        }
        #expect(rebuilt.propose(history: first) == nil)
        let other = Self.run(try #require(Search.searcher(for: try declaration(Self.braninDeclaration("{strategy: tpe, max_trials: 30, seed: 6}")))), Self.braninValue)
        #expect(other.map(\.parameters) != first.map(\.parameters))
    }

    @Test func startupTrialsAreTheRandomPlansTrials() throws {
        let d = try declaration(Self.braninDeclaration("{strategy: tpe, max_trials: 20, seed: 3, startup_trials: 7}"))
        let history = Self.run(try #require(Search.searcher(for: d)), Self.braninValue)
        let plan = try SweepPlan(try declaration(Self.braninDeclaration("{strategy: random, samples: 20, seed: 3}")))
        #expect(history.prefix(7).map(\.parameters) == plan.prefix(7).map(\.parameters))
        #expect(history[7].parameters != plan[7].parameters)
    }

    /// Discrete, listed, grouped and integer parameters: proposals stay inside
    /// their domains, and the model finds the one choice that matters.
    @Test func everyKindOfParameterAndCategoricalLearning() throws {
        let d = try declaration("""
            name: mixed
            command: [run]
            parameters:
              opt: {type: choice, values: [adam, sgd, rmsprop, lion]}
              depth: {type: int, min: 1, max: 64, scale: log}
              width: {type: int, min: 8, max: 64, step: 8}
              rate: {type: float, min: 0.0001, max: 1, count: 9, scale: log}
              shape: {type: group, values: [{h: 1, w: 2}, {h: 3, w: 4}]}
              fast: {type: bool}
              seed: {type: const, value: 7}
            sweep: {strategy: tpe, max_trials: 60, seed: 11}
            objective: {metric: score, goal: maximize}
            """)
        let history = Self.run(try #require(Search.searcher(for: d))) { parameters in
            parameters.value(named: "opt") == .string("rmsprop") ? 1 : 0
        }
        #expect(history.count == 60)
        for trial in history {
            for parameter in d.parameters {
                let setting = try #require(trial.parameters[parameter.name])
                switch parameter.domain {
                case .intRange(let min, let max, _):
                    guard case .scalar(.int(let value)) = setting else { Issue.record("\(setting) is not an int"); continue }
                    #expect((min...max).contains(value))
                default:
                    #expect(parameter.domain.index(of: setting) != nil, "\(parameter.name) = \(setting)")
                }
            }
        }
        let modelled = history.dropFirst(10)
        let chosen = modelled.filter { $0.parameters.value(named: "opt") == .string("rmsprop") }.count
        #expect(chosen > modelled.count * 3 / 4, "rmsprop in \(chosen) of \(modelled.count) modelled trials")
    }

    /// Trials proposed while others run avoid them (the pending ones count as bad).
    @Test func pendingTrialsPushNewProposalsAway() throws {
        let d = try declaration(Self.braninDeclaration("{strategy: tpe, max_trials: 40, seed: 2, startup_trials: 10}"))
        let searcher = try #require(Search.searcher(for: d))
        let finished = Array(Self.run(searcher, Self.braninValue).prefix(20))
        let next = try #require(searcher.propose(history: finished))
        var pending = finished
        for index in 20..<26 {
            pending.append(SearchTrial(index: index, parameters: next, state: .pending))
        }
        let sameIndexWithoutPending = try #require(searcher.propose(history: Array(pending.prefix(25)).map { trial in
            var trial = trial
            if case .pending = trial.state { trial.state = .failed }
            return trial
        }))
        let withPending = try #require(searcher.propose(history: Array(pending.prefix(25))))
        func distance(_ a: ParameterSet, _ b: ParameterSet) -> Double {
            hypot(a.value(named: "x1")!.number! - b.value(named: "x1")!.number!, a.value(named: "x2")!.number! - b.value(named: "x2")!.number!)
        }
        #expect(distance(withPending, next) > distance(sameIndexWithoutPending, next),
                "with 5 pending trials at \(next.jsonObject): \(withPending.jsonObject); ignoring them: \(sameIndexWithoutPending.jsonObject)")
    }

    @Test func failedTrialsAndMissingValuesAreLeftOutOfTheModel() throws {
        let d = try declaration(Self.braninDeclaration("{strategy: tpe, max_trials: 25, seed: 4, startup_trials: 5}"))
        // Everything fails: nothing to model, so every trial is the random plan's.
        let history = Self.run(try #require(Search.searcher(for: d))) { _ in nil }
        let plan = try SweepPlan(try declaration(Self.braninDeclaration("{strategy: random, samples: 25, seed: 4}")))
        #expect(history.map(\.parameters) == plan.map(\.parameters))
    }

    @Test func parzenDensitiesIntegrateToOneInsideTheRange() {
        var generator = SplitMix64(seed: 1)
        for observations in [[], [0.2], [0.1, 0.11, 0.12, 0.9], (0..<40).map { _ in generator.nextDouble(in: -3...2) }] {
            let estimator = ParzenEstimator(observations: observations, low: -3, high: 2)
            let steps = 20_000
            let width = 5.0 / Double(steps)
            let mass = (0..<steps).reduce(0.0) { sum, step in
                sum + exp(estimator.logDensity(-3 + (Double(step) + 0.5) * width)) * width
            }
            #expect(abs(mass - 1) < 1e-3, "mass \(mass) for \(observations.count) observations")
            for _ in 0..<200 {
                #expect((-3...2).contains(estimator.sample(using: &generator)))
            }
        }
        let categorical = CategoricalEstimator(categories: 4, observations: [2, 2, 2, 0])
        #expect(abs((0..<4).map { exp(categorical.logProbability($0)) }.reduce(0, +) - 1) < 1e-12)
        #expect(categorical.logProbability(2) > categorical.logProbability(0))
        #expect(categorical.logProbability(0) > categorical.logProbability(1))
        #expect(categorical.logProbability(1) == categorical.logProbability(3))
    }
}
