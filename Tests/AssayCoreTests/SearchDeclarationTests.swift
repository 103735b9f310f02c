@testable import AssayCore
import Testing

@Suite("Adaptive strategies and early stopping in the declaration")
struct SearchDeclarationTests {
    /// A declaration with an epochs budget, the given sweep and extra top-level lines.
    static func text(_ sweep: String, objective: Bool = true, extra: String = "", epochs: String = "{type: int, min: 1, max: 27}") -> String {
        """
        name: logreg-asha
        command: [python3, train.py, "{config}"]
        config: {file: params.json}
        parameters:
          lr: {type: float, min: 0.001, max: 1, scale: log}
          epochs: \(epochs)
          l2: {type: choice, values: [0.0, 0.01]}
          opt: {type: choice, values: [adam, sgd]}
        sweep: \(sweep)
        \(objective ? "objective: {metric: loss, goal: minimize}" : "")
        \(extra)
        """
    }

    @Test func ashaSettingsAndTheirDefaults() throws {
        let d = try declaration(Self.text("{strategy: asha, max_trials: 50, budget: epochs}"))
        #expect(d.sweep == Sweep(strategy: .asha(ASHASettings(
            maxTrials: 50, seed: 0, budget: "epochs", reductionFactor: 3, minBudget: 1, maxBudget: 27)), repeats: 1))
        let given = try declaration(Self.text(
            "{strategy: asha, max_trials: 9, seed: 4, budget: epochs, reduction_factor: 2, min_budget: 2, max_budget: 16}"))
        #expect(given.sweep.strategy == .asha(ASHASettings(
            maxTrials: 9, seed: 4, budget: "epochs", reductionFactor: 2, minBudget: 2, maxBudget: 16)))
        #expect(given.sweep.strategy.name == "asha")
        #expect(given.sweep.strategy.isAdaptive)
        let float = try declaration(Self.text("{strategy: asha, max_trials: 9, budget: epochs, min_budget: 0.5}", epochs: "{type: float, min: 0.1, max: 8}"))
        guard case .asha(let settings) = float.sweep.strategy else { Issue.record("not asha"); return }
        #expect((settings.minBudget, settings.maxBudget) == (0.5, 8))
    }

    @Test func tpeSettingsAndTheirDefaults() throws {
        let d = try declaration(Self.text("{strategy: tpe, max_trials: 40}"))
        #expect(d.sweep.strategy == .tpe(TPESettings(maxTrials: 40, seed: 0, startupTrials: 10, candidates: 24, gamma: 0.25)))
        let given = try declaration(Self.text("{strategy: tpe, max_trials: 40, seed: 8, startup_trials: 5, candidates: 64, gamma: 0.1}"))
        #expect(given.sweep.strategy == .tpe(TPESettings(maxTrials: 40, seed: 8, startupTrials: 5, candidates: 64, gamma: 0.1)))
        #expect(given.sweep.strategy.name == "tpe")
    }

    @Test func earlyStoppingDefaultsToTheObjectivesMetric() throws {
        let d = try declaration(Self.text("{strategy: tpe, max_trials: 40}", extra: "early_stopping: {rule: median}"))
        #expect(d.earlyStopping == EarlyStopping(rule: .median, metric: "loss", graceSteps: 3, minTrials: 3))
        let given = try declaration(Self.text("{strategy: grid}", extra: "early_stopping: {metric: val_loss, grace_steps: 0, min_trials: 5}", epochs: "{type: int, values: [1, 2]}")
            .replacingOccurrences(of: "lr: {type: float, min: 0.001, max: 1, scale: log}", with: "lr: {type: float, values: [0.1]}"))
        #expect(given.earlyStopping == EarlyStopping(rule: .median, metric: "val_loss", graceSteps: 0, minTrials: 5))
        #expect(try declaration(Self.text("{strategy: tpe, max_trials: 4}")).earlyStopping == nil)
    }

    @Test func adaptivePlansKnowOnlyTheirTrialCount() throws {
        let plan = try SweepPlan(try declaration(Self.text("{strategy: asha, max_trials: 50, budget: epochs}")))
        #expect(plan.isAdaptive)
        #expect(plan.count == 50)
        #expect(plan.repeats == 1)
        #expect(plan.parameters(forTrial: 49) == nil)
        #expect(try SweepPlan(try declaration(Self.text("{strategy: tpe, max_trials: 7}"))).count == 7)
        #expect(throws: PlanError.tooManyTrials(count: 50, limit: 10)) {
            try SweepPlan(try declaration(Self.text("{strategy: asha, max_trials: 50, budget: epochs}")), maxTrials: 10)
        }
        let random = try SweepPlan(try declaration(Self.text("{strategy: random, samples: 5, seed: 2}")))
        #expect(!random.isAdaptive)
        #expect(random.indices.map { random.parameters(forTrial: $0) } == random.map(\.parameters))
    }

    @Test func onlyAdaptiveStrategiesHaveASearcher() throws {
        #expect(Search.searcher(for: try declaration(Self.text("{strategy: asha, max_trials: 5, budget: epochs}"))) is ASHASearcher)
        #expect(Search.searcher(for: try declaration(Self.text("{strategy: tpe, max_trials: 5}"))) is TPESearcher)
        #expect(Search.searcher(for: try declaration(Self.text("{strategy: random, samples: 5}"))) == nil)
        let grid = withParameters("  a: {type: int, values: [1, 2]}")
        #expect(Search.searcher(for: try declaration(grid)) == nil)
        #expect(Search.searcher(for: try declaration(withParameters("  a: {type: int, values: [1, 2], default: 1}", sweep: "{strategy: one-at-a-time}"))) == nil)
    }

    @Test func submissionKeepsTheNewFields() throws {
        let text = Self.text("{strategy: asha, max_trials: 20, seed: 3, budget: epochs, reduction_factor: 2, min_budget: 2}",
                             extra: "early_stopping: {rule: median, grace_steps: 1, min_trials: 4}")
        let original = try declaration(text)
        let submitted = try Declaration.parse(try Declaration.submissionText(text, artifact: "01xyz"))
        #expect(submitted.sweep == original.sweep)
        #expect(submitted.earlyStopping == original.earlyStopping)
        #expect(submitted.objective == original.objective)
        let json = #"{"name": "j", "command": ["true"], "parameters": {"x": {"type": "float", "min": 0, "max": 1}}, "sweep": {"strategy": "tpe", "max_trials": 12, "gamma": 0.2}, "objective": {"metric": "m", "goal": "maximize"}, "early_stopping": {"min_trials": 2}}"#
        let fromJSON = try Declaration.parse(try Declaration.submissionText(json, artifact: "a"))
        #expect(fromJSON.sweep.strategy == .tpe(TPESettings(maxTrials: 12, gamma: 0.2)))
        #expect(fromJSON.earlyStopping == EarlyStopping(metric: "m", minTrials: 2))
    }

    /// What a store keeps of a proposed trial reads back as the same parameters, every kind typed as declared.
    @Test func proposedParametersSurviveTheirJSONText() throws {
        let d = try declaration("""
            name: kinds
            command: [run]
            parameters:
              lr: {type: float, min: 0.0001, max: 1, scale: log}
              whole: {type: float, values: [1, 2.5]}
              epochs: {type: int, min: 1, max: 27}
              width: {type: int, min: 8, max: 64, step: 8}
              opt: {type: choice, values: [adam, "3", 3, true]}
              fast: {type: bool}
              seed: {type: const, value: 7}
              shape: {type: group, values: [{h: 32, w: 32}, {h: 64, w: 48.5}]}
            sweep: {strategy: tpe, max_trials: 30, startup_trials: 5}
            objective: {metric: loss, goal: minimize}
            """)
        let history = TPESearcherTests.run(try #require(Search.searcher(for: d))) { parameters in
            parameters.value(named: "lr")!.number!
        }
        for trial in history {
            #expect(ParameterSet(jsonObject: trial.parameters.jsonObject, parameters: d.parameters) == trial.parameters)
        }
        let text = #"{"lr": 0.5, "whole": 1, "epochs": 3, "width": 16, "opt": 3, "fast": false, "seed": 7, "h": 64, "w": 48.5}"#
        let read = try #require(ParameterSet(jsonObject: text, parameters: d.parameters))
        #expect(read["whole"] == .scalar(.float(1)))
        #expect(read["opt"] == .scalar(.int(3)))
        #expect(read["shape"] == d.parameters[7].domain.setting(at: 1))
        #expect(read.jsonObject == #"{"lr": 0.5, "whole": 1.0, "epochs": 3, "width": 16, "opt": 3, "fast": false, "seed": 7, "h": 64, "w": 48.5}"#)
        for bad in [#"{"lr": 0.5}"#, text.replacingOccurrences(of: #""epochs": 3"#, with: #""epochs": 3.5"#),
                    text.replacingOccurrences(of: #""opt": 3"#, with: #""opt": "sgd""#), text.replacingOccurrences(of: #""w": 48.5"#, with: #""w": 48"#), "[1]"] {
            #expect(ParameterSet(jsonObject: bad, parameters: d.parameters) == nil, "\(bad)")
        }
    }

    static let cases: [ErrorCase] = [
        // Strategy choice and keys.
        ErrorCase(text: text("{strategy: ahsa, max_trials: 5}"), path: "sweep.strategy", message: "unknown strategy \"ahsa\" (did you mean \"asha\"?)"),
        ErrorCase(text: text("{strategy: asha, max_trials: 5, budget: epochs, reduction_factr: 2}"), path: "sweep.reduction_factr", message: "unknown field \"reduction_factr\" (did you mean \"reduction_factor\"?)"),
        ErrorCase(text: text("{strategy: asha, max_trials: 5, budget: epochs, samples: 3}"), path: "sweep.samples", message: "is only used by strategy random (strategy is asha)"),
        ErrorCase(text: text("{strategy: tpe, max_trials: 5, budget: epochs}"), path: "sweep.budget", message: "is only used by strategy asha (strategy is tpe)"),
        ErrorCase(text: text("{strategy: random, samples: 5, max_trials: 5}"), path: "sweep.max_trials", message: "is only used by strategies asha and tpe (strategy is random)"),
        ErrorCase(text: withParameters("  a: {type: int, values: [1]}", sweep: "{strategy: grid, seed: 1}"), path: "sweep.seed", message: "is only used by strategies random, asha and tpe (strategy is grid)"),
        ErrorCase(text: text("{strategy: asha, max_trials: 5, budget: epochs, gamma: 0.2}"), path: "sweep.gamma", message: "is only used by strategy tpe (strategy is asha)"),
        // What adaptive strategies need.
        ErrorCase(text: text("{strategy: asha, max_trials: 5, budget: epochs}", objective: false), path: "objective", message: "is required by sweep strategy asha (the searcher ranks trials by it)"),
        ErrorCase(text: text("{strategy: tpe, max_trials: 5}", objective: false), path: "objective", message: "is required by sweep strategy tpe (the searcher ranks trials by it)"),
        ErrorCase(text: text("{strategy: tpe}"), path: "sweep.max_trials", message: "is required"),
        ErrorCase(text: text("{strategy: asha, budget: epochs}"), path: "sweep.max_trials", message: "is required"),
        ErrorCase(text: text("{strategy: asha, max_trials: 0, budget: epochs}"), path: "sweep.max_trials", message: "must be between 1 and 1000000 (got 0)"),
        ErrorCase(text: text("{strategy: tpe, max_trials: 1000001}"), path: "sweep.max_trials", message: "must be between 1 and 1000000 (got 1000001)"),
        ErrorCase(text: text("{strategy: tpe, max_trials: 5, repeats: 2}"), path: "sweep.repeats", message: "must be 1 with strategy tpe (the searcher decides which configurations run again)"),
        ErrorCase(text: text("{strategy: tpe, max_trials: 5, seed: -1}"), path: "sweep.seed", message: "must not be negative (got -1)"),
        // ASHA's budget.
        ErrorCase(text: text("{strategy: asha, max_trials: 5}"), path: "sweep.budget", message: "is required"),
        ErrorCase(text: text("{strategy: asha, max_trials: 5, budget: epoch}"), path: "sweep.budget", message: "unknown parameter \"epoch\" (did you mean \"epochs\"?)"),
        ErrorCase(text: "name: n\ncommand: [x]\nsweep: {strategy: asha, max_trials: 5, budget: epochs}\nobjective: {metric: m, goal: minimize}", path: "sweep.budget", message: "names no declared parameter: declare \"epochs\" under parameters (an int or float range such as epochs)"),
        ErrorCase(text: text("{strategy: asha, max_trials: 5, budget: opt}"), path: "sweep.budget", message: "must name an int or float parameter (\"opt\" is a choice parameter)"),
        ErrorCase(text: text("{strategy: asha, max_trials: 5, budget: epochs, reduction_factor: 1}"), path: "sweep.reduction_factor", message: "must be between 2 and 100 (got 1)"),
        ErrorCase(text: text("{strategy: asha, max_trials: 5, budget: epochs, min_budget: 1.5}"), path: "sweep.min_budget", message: "must be an integer, got the number 1.5"),
        ErrorCase(text: text("{strategy: asha, max_trials: 5, budget: epochs, min_budget: 0}", epochs: "{type: int, min: 0, max: 27}"), path: "sweep.min_budget", message: "must be greater than 0 (got 0)"),
        ErrorCase(text: text("{strategy: asha, max_trials: 5, budget: epochs}", epochs: "{type: int, min: 0, max: 27}"), path: "sweep.min_budget", message: "must be greater than 0: parameters.epochs starts at 0, so give sweep.min_budget"),
        ErrorCase(text: text("{strategy: asha, max_trials: 5, budget: epochs, min_budget: 9, max_budget: 3}"), path: "sweep.max_budget", message: "must be greater than min_budget (3 ≤ 9)"),
        ErrorCase(text: text("{strategy: asha, max_trials: 5, budget: epochs, max_budget: 30}"), path: "sweep.max_budget", message: "must lie within parameters.epochs (30 is outside 1…27)"),
        ErrorCase(text: text("{strategy: asha, max_trials: 5, budget: epochs, min_budget: 0.05}", epochs: "{type: float, min: 0.1, max: 1}"), path: "sweep.min_budget", message: "must lie within parameters.epochs (0.05 is outside 0.1…1.0)"),
        // TPE's settings.
        ErrorCase(text: text("{strategy: tpe, max_trials: 5, gamma: 1}"), path: "sweep.gamma", message: "must lie strictly between 0 and 1 (got 1.0)"),
        ErrorCase(text: text("{strategy: tpe, max_trials: 5, gamma: high}"), path: "sweep.gamma", message: "must be a number, got the string \"high\""),
        ErrorCase(text: text("{strategy: tpe, max_trials: 5, candidates: 0}"), path: "sweep.candidates", message: "must be between 1 and 10000 (got 0)"),
        ErrorCase(text: text("{strategy: tpe, max_trials: 5, startup_trials: -1}"), path: "sweep.startup_trials", message: "must be between 0 and 1000000 (got -1)"),
        // Early stopping.
        ErrorCase(text: text("{strategy: tpe, max_trials: 5}", extra: "early_stoping: {rule: median}"), path: "early_stoping", message: "unknown top-level key \"early_stoping\" (did you mean \"early_stopping\"?)"),
        ErrorCase(text: "name: n\ncommand: [x]\nearly_stopping: {rule: median}", path: "objective", message: "is required by early_stopping (its goal says which values are worse)"),
        ErrorCase(text: text("{strategy: tpe, max_trials: 5}", extra: "early_stopping: {rule: mean}"), path: "early_stopping.rule", message: "unknown value \"mean\" (did you mean \"median\"?)"),
        ErrorCase(text: text("{strategy: tpe, max_trials: 5}", extra: "early_stopping: {grace_steps: -1}"), path: "early_stopping.grace_steps", message: "must be between 0 and 1000000 (got -1)"),
        ErrorCase(text: text("{strategy: tpe, max_trials: 5}", extra: "early_stopping: {min_trials: 0}"), path: "early_stopping.min_trials", message: "must be between 1 and 1000000 (got 0)"),
        ErrorCase(text: text("{strategy: tpe, max_trials: 5}", extra: "early_stopping: {metric: \"\"}"), path: "early_stopping.metric", message: "must not be empty"),
        ErrorCase(text: text("{strategy: tpe, max_trials: 5}", extra: "early_stopping: {patience: 3}"), path: "early_stopping.patience", message: "unknown field \"patience\" (expected one of: rule, metric, grace_steps, min_trials)"),
        ErrorCase(text: text("{strategy: tpe, max_trials: 5}", extra: "early_stopping: median"), path: "early_stopping", message: "must be a mapping, got the string \"median\""),
    ]

    @Test(arguments: cases)
    func reportsPathAndMessage(_ errorCase: ErrorCase) {
        let found = errors(errorCase.text)
        #expect(found.contains { $0.path == errorCase.path && $0.message == errorCase.message },
                "got: \(found.map(\.description))")
    }

    @Test func errorsNameTheirLines() {
        let found = errors(Self.text("{strategy: asha, max_trials: 0, budget: epoch}", objective: false, extra: "early_stopping: {min_trials: 0}"))
        #expect(Set(found.map(\.path)) == ["sweep.max_trials", "sweep.budget", "objective", "early_stopping.min_trials"])
        #expect(found.first { $0.path == "sweep.budget" }?.line == 9)
        #expect(found.first { $0.path == "early_stopping.min_trials" }?.line == 11)
    }

    /// Continuous ranges, which a grid refuses, are what the searchers sample.
    @Test func adaptiveStrategiesTakeContinuousRanges() throws {
        let d = try declaration(Self.text("{strategy: tpe, max_trials: 5}"))
        #expect(d.parameters[0].domain == .floatRange(min: 0.001, max: 1, scale: .log))
    }
}
