@testable import AssayCore
import Testing

/// One case per class of error: the field path and the sentence a user sees.
struct ErrorCase: CustomTestStringConvertible, Sendable {
    let text: String
    let path: String
    let message: String
    var testDescription: String { "\(path): \(message)" }
}

@Suite("Validation errors")
struct ValidationTests {
    static func p(_ parameters: String, sweep: String = "{strategy: grid}") -> String {
        withParameters(parameters, sweep: sweep)
    }

    static let cases: [ErrorCase] = [
        // Structure and keys.
        ErrorCase(text: "name: n\ncommand: [x]\nparamters: {}", path: "paramters", message: "unknown top-level key \"paramters\" (did you mean \"parameters\"?)"),
        ErrorCase(text: "name: n", path: "command", message: "is required"),
        ErrorCase(text: "command: [x]", path: "name", message: "is required"),
        ErrorCase(text: "name: n\ncommand: []", path: "command", message: "must not be an empty list"),
        ErrorCase(text: "name: n\ncommand: run.sh", path: "command", message: "must be a list, got the string \"run.sh\""),
        ErrorCase(text: "name: [a]\ncommand: [x]", path: "name", message: "must be a string, got a list"),
        ErrorCase(text: "name: n\ncommand: [x]\nworkers: four", path: "workers", message: "must be an integer, got the string \"four\""),
        ErrorCase(text: "name: n\ncommand: [x]\nworkers: 0", path: "workers", message: "must be between 1 and 10000 (got 0)"),
        // Parameter ranges.
        ErrorCase(text: p("  lr: {type: float, min: 0.5, max: 0.1, count: 3}"), path: "parameters.lr.max", message: "must be greater than min (0.1 ≤ 0.5)"),
        ErrorCase(text: p("  lr: {type: float, min: 0, max: 1, step: -0.1}"), path: "parameters.lr.step", message: "must be greater than 0 (got -0.1)"),
        ErrorCase(text: p("  lr: {type: float, min: 0, max: 1, step: 0.1, count: 3}"), path: "parameters.lr.count", message: "cannot be combined with step: give one of them"),
        ErrorCase(text: p("  lr: {type: float, min: 0, max: 1, scale: log, count: 3}"), path: "parameters.lr.min", message: "must be greater than 0 for scale log (got 0.0)"),
        ErrorCase(text: p("  lr: {type: float, min: 1, max: 2, stpe: 0.1}"), path: "parameters.lr.stpe", message: "unknown key for a float parameter \"stpe\" (did you mean \"step\"?)"),
        ErrorCase(text: p("  n: {type: int, min: 1, max: 5, count: 9}"), path: "parameters.n.count", message: "asks for 9 integers but 1…5 holds only 5"),
        ErrorCase(text: p("  n: {type: int, min: 1.5, max: 5, step: 1}"), path: "parameters.n.min", message: "must be an integer, got the number 1.5"),
        ErrorCase(text: p("  n: {type: int, values: [1, 2], min: 0}"), path: "parameters.n.min", message: "cannot be combined with values: give either values or a range"),
        ErrorCase(text: p("  n: {type: int, min: 1, max: 5, step: 1, default: 9}"), path: "parameters.n.default", message: "must lie between min and max (9 is outside 1…5)"),
        ErrorCase(text: p("  n: {type: int, max: 5, step: 1}"), path: "parameters.n.min", message: "is required"),
        // Value lists.
        ErrorCase(text: p("  opt: {type: choice, values: []}"), path: "parameters.opt.values", message: "must list at least one value"),
        ErrorCase(text: p("  opt: {type: choice, values: [a, b, a]}"), path: "parameters.opt.values[2]", message: "repeats the value a"),
        ErrorCase(text: p("  opt: {type: choice, values: [a, b], default: c}"), path: "parameters.opt.default", message: "must be one of the values (a, b)"),
        ErrorCase(text: p("  opt: {type: choice, values: [a, [b]]}"), path: "parameters.opt.values[1]", message: "must be a single value (string, number or boolean), got a list"),
        ErrorCase(text: p("  flag: {type: bool, default: maybe}"), path: "parameters.flag.default", message: "must be true or false, got the string \"maybe\""),
        ErrorCase(text: p("  k: {type: const}"), path: "parameters.k.value", message: "is required"),
        // Types and names.
        ErrorCase(text: p("  lr: {type: flaot, min: 0, max: 1}"), path: "parameters.lr.type", message: "unknown value \"flaot\" (did you mean \"float\"?)"),
        ErrorCase(text: p("  lr: {min: 0, max: 1}"), path: "parameters.lr.type", message: "is required (one of int, float, choice, bool, const, group)"),
        ErrorCase(text: p("  lr: 0.1"), path: "parameters.lr", message: "must be a mapping such as {type: float, min: 0, max: 1, count: 5}, got the number 0.1"),
        ErrorCase(text: p("  trial: {type: const, value: 1}"), path: "parameters.trial", message: "\"trial\" is reserved for the command template; choose another name"),
        ErrorCase(text: p("  9lives: {type: const, value: 1}"), path: "parameters.9lives", message: "is not a valid parameter name (letters, digits, _, - and ., starting with a letter or _)"),
        // Groups.
        ErrorCase(text: p("  shape: {type: group, values: [{h: 1, w: 1}, {h: 2}]}"), path: "parameters.shape.values[1]", message: "must set the same keys as values[0] (h, w)"),
        ErrorCase(text: p("  h: {type: const, value: 3}\n  shape: {type: group, values: [{h: 1}, {h: 2}]}"), path: "parameters.shape", message: "\"h\" is already set by parameter \"h\""),
        ErrorCase(text: p("  shape: {type: group, values: [{h: 1}, {h: 1}]}"), path: "parameters.shape.values[1]", message: "repeats an earlier entry"),
        // Strategies.
        ErrorCase(text: p("  lr: {type: float, min: 0, max: 1}"), path: "parameters.lr", message: "needs step, count or values: a grid sweep cannot enumerate a continuous range (strategies random, asha and tpe sample one)"),
        ErrorCase(text: p("  lr: {type: float, values: [1, 2]}", sweep: "{strategy: one-at-a-time}"), path: "parameters.lr.default", message: "is required by sweep strategy one-at-a-time (the value it sits at while others vary)"),
        ErrorCase(text: p("  lr: {type: float, values: [1, 2]}", sweep: "{strategy: grdi}"), path: "sweep.strategy", message: "unknown strategy \"grdi\" (did you mean \"grid\"?)"),
        ErrorCase(text: p("  lr: {type: float, values: [1, 2]}", sweep: "{strategy: random}"), path: "sweep.samples", message: "is required"),
        ErrorCase(text: p("  lr: {type: float, values: [1, 2]}", sweep: "{strategy: grid, samples: 3}"), path: "sweep.samples", message: "is only used by strategy random (strategy is grid)"),
        ErrorCase(text: p("  lr: {type: float, values: [1, 2]}", sweep: "{repeats: 0}"), path: "sweep.repeats", message: "must be between 1 and 10000 (got 0)"),
        // Command and config.
        ErrorCase(text: "name: n\ncommand: [x, \"{lrr}\"]\nparameters: {lr: {type: float, values: [1]}}", path: "command[1]", message: "unknown placeholder \"{lrr}\" (did you mean \"{lr}\"?)"),
        ErrorCase(text: "name: n\ncommand: [x, \"{config\"]", path: "command[1]", message: "has a \"{\" without its \"}\" (write {{ for a literal brace)"),
        ErrorCase(text: "name: n\ncommand: [x, \"a}\"]", path: "command[1]", message: "has a \"}\" without its \"{\" (write }} for a literal brace)"),
        ErrorCase(text: "name: n\ncommand: [x, \"{config}\"]", path: "command[1]", message: "{config} needs a config section"),
        ErrorCase(text: "name: n\ncommand: [x, \"--c={config}\"]\nconfig: {format: args}", path: "command[1]", message: "with config format args, {config} must be a whole argument (it expands into several)"),
        ErrorCase(text: "name: n\ncommand: [x]\nconfig: {file: params.txt}", path: "config.format", message: "is required: the format cannot be told from \"params.txt\" (yaml, json, ini, env or args)"),
        ErrorCase(text: "name: n\ncommand: [x]\nconfig: {file: ../up.yaml}", path: "config.file", message: "must be a relative path inside the trial's folder, without \"..\" (got \"../up.yaml\")"),
        ErrorCase(text: "name: n\ncommand: [x]\nconfig: {file: p.env}\nparameters: {a.b: {type: const, value: 1}}", path: "config.format", message: "env needs parameter names that are environment variable names; \"a.b\" is not"),
        ErrorCase(text: "name: n\ncommand: [x]\nenv: {ASSAY_TOKEN: x}", path: "env.ASSAY_TOKEN", message: "names starting with ASSAY_ are reserved for Assay"),
        ErrorCase(text: "name: n\ncommand: [x]\nenv: {1X: x}", path: "env.1X", message: "is not a valid environment variable name (letters, digits and _, not starting with a digit)"),
        // Results, objective, trial policy, resources, notify.
        ErrorCase(text: "name: n\ncommand: [x]\nresult: {file: out.txt}", path: "result.format", message: "is required: the format cannot be told from \"out.txt\" (csv or json)"),
        ErrorCase(text: "name: n\ncommand: [x]\nresult: {file: r.csv, line: 0}", path: "result.line", message: "must be between 1 and 1000000 (got 0)"),
        ErrorCase(text: "name: n\ncommand: [x]\nobjective: {metric: acc, goal: max}", path: "objective.goal", message: "unknown value \"max\" (did you mean \"maximize\"?)"),
        ErrorCase(text: "name: n\ncommand: [x]\nobjective: {goal: minimize}", path: "objective.metric", message: "is required"),
        ErrorCase(text: "name: n\ncommand: [x]\ntrial: {timeout: soon}", path: "trial.timeout", message: "must be a duration such as 90s, 10m or 1h30m, got the string \"soon\""),
        ErrorCase(text: "name: n\ncommand: [x]\ntrial: {retries: -1}", path: "trial.retries", message: "must be between 0 and 100 (got -1)"),
        ErrorCase(text: "name: n\ncommand: [x]\nresources: {memory: 2GB}", path: "resources.memory", message: "must be a Kubernetes quantity such as \"512Mi\" or \"2Gi\", got \"2GB\""),
        ErrorCase(text: "name: n\ncommand: [x]\nnotify: {email: [me-at-example.org]}", path: "notify.email[0]", message: "\"me-at-example.org\" is not an email address"),
    ]

    @Test(arguments: cases)
    func reportsPathAndMessage(_ errorCase: ErrorCase) {
        let found = errors(errorCase.text)
        #expect(found.contains { $0.path == errorCase.path && $0.message == errorCase.message },
                "got: \(found.map(\.description))")
    }

    @Test func syntaxErrorsNameTheLine() {
        let found = errors("name: n\ncommand: [x\nworkers: 2\n")
        #expect(found.count == 1)
        #expect(found.first?.path == "")
        #expect(found.first?.message.hasPrefix("not valid YAML or JSON:") == true)
        #expect(found.first?.line == 3)
    }

    @Test func duplicateKeysAreRefused() {
        let found = errors("name: a\nname: b\ncommand: [x]")
        #expect(found.map(\.message) == ["duplicate key \"name\""])
    }

    @Test func emptyAndNonMappingDocuments() {
        #expect(errors("").map(\.message) == ["the declaration is empty"])
        #expect(errors("- a\n- b").map(\.message) == ["must be a mapping, got a list"])
    }

    @Test func everyErrorIsReportedAtOnceWithLines() {
        let found = errors("""
            name: n
            command: [x, "{nope}"]
            workers: 0
            parameters:
              lr: {type: float, min: 1, max: 0, count: 3}
              opt: {type: choice, values: []}
            objective: {metric: acc, goal: up}
            """)
        #expect(Set(found.map(\.path)) == ["command[1]", "workers", "parameters.lr.max", "parameters.opt.values", "objective.goal"])
        #expect(found.first { $0.path == "workers" }?.line == 3)
        #expect(found.first { $0.path == "parameters.lr.max" }?.line == 5)
        let text = DeclarationError(found).formatted(source: "assay.yaml")
        #expect(text.contains("assay.yaml:3: workers: must be between 1 and 10000 (got 0)"))
    }

    @Test func absurdCountsAreRefusedByThePlan() throws {
        let d = try declaration(Self.p("  a: {type: int, min: 1, max: 1000000, step: 1}\n  b: {type: int, min: 1, max: 1000000, step: 1}"))
        #expect(throws: PlanError.tooManyTrials(count: 1_000_000_000_000, limit: 1_000_000)) { try SweepPlan(d) }
        #expect(PlanError.tooManyTrials(count: 1_000_000_000_000, limit: 1_000_000).description
            == "sweep: the plan has 1,000,000,000,000 trials, more than the limit of 1,000,000 (raise it with --max-trials or ASSAY_MAX_TRIALS)")
        let huge = try declaration(Self.p((0..<7).map { "  p\($0): {type: int, min: 1, max: 1000000, step: 1}" }.joined(separator: "\n")))
        #expect(throws: PlanError.tooManyTrials(count: nil, limit: nil)) { try SweepPlan(huge, maxTrials: nil) }
    }

    @Test(arguments: [("lrr", ["lr", "layers"], "lr"), ("laers", ["lr", "layers"], "layers"), ("xyz", ["lr", "layers"], nil)])
    func suggestions(word: String, candidates: [String], expected: String?) {
        #expect(Suggestion.closest(to: word, in: candidates) == expected)
    }
}
