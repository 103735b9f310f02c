@testable import AssayCore
import Testing

@Suite("Declaration parsing")
struct DeclarationTests {
    static let full = """
        name: mnist-lr-sweep
        description: learning rates and depth
        tags: [vision, baseline]
        artifact: ./code
        setup: [pip, install, -r, requirements.txt]
        command: [python, train.py, "{config}", --trial, "{trial}"]
        env: {OMP_NUM_THREADS: 1, MODE: fast}
        config: {file: config.yaml, format: yaml}
        parameters:
          lr:       {type: float, min: 0.0001, max: 0.1, scale: log, count: 4, default: 0.001}
          layers:   {type: int, min: 1, max: 4, step: 1, default: 2}
          opt:      {type: choice, values: [adam, sgd], default: adam}
          augment:  {type: bool, default: true}
          seed:     {type: const, value: 42}
          shape:    {type: group, values: [{h: 32, w: 32}, {h: 64, w: 64}]}
        sweep: {strategy: grid, repeats: 2}
        trial: {timeout: 10m, retries: 1}
        result: {file: result.csv, line: 1}
        objective: {metric: accuracy, goal: maximize}
        workers: 4
        resources: {cpu: "1", memory: 2Gi, gpu: 0}
        notify: {email: [me@example.org]}
        """

    @Test func everyFieldOfTheDesignExample() throws {
        let d = try declaration(Self.full)
        #expect(d.name == "mnist-lr-sweep")
        #expect(d.tags == ["vision", "baseline"])
        #expect(d.artifact == "./code")
        #expect(d.setup == ["pip", "install", "-r", "requirements.txt"])
        #expect(d.command == ["python", "train.py", "{config}", "--trial", "{trial}"])
        #expect(d.environment == ["OMP_NUM_THREADS": "1", "MODE": "fast"])
        #expect(d.config == ConfigFile(file: "config.yaml", format: .yaml, section: "parameters"))
        #expect(d.parameters.map(\.name) == ["lr", "layers", "opt", "augment", "seed", "shape"])
        #expect(d.parameters.map(\.kind) == [.float, .int, .choice, .bool, .const, .group])
        #expect(d.sweep == Sweep(strategy: .grid, repeats: 2))
        #expect(d.trial == TrialPolicy(timeout: .seconds(600), retries: 1, grace: .seconds(5)))
        #expect(d.result == ResultSource(file: "result.csv", format: .csv, line: 1))
        #expect(d.objective == Objective(metric: "accuracy", goal: .maximize))
        #expect(d.workers == 4)
        #expect(d.resources == Resources(cpu: "1", memory: "2Gi", gpu: 0))
        #expect(d.notify.email == ["me@example.org"])
        let plan = try SweepPlan(d)
        #expect(plan.count == 4 * 4 * 2 * 2 * 1 * 2 * 2)
    }

    @Test func jsonIsAcceptedToo() throws {
        let d = try declaration("""
            {"name": "j", "command": ["run", "{lr}"],
             "parameters": {"lr": {"type": "float", "values": [0.1, 0.2]}, "b": {"type": "choice", "values": ["x"]}}}
            """)
        #expect(d.parameters.map(\.name) == ["lr", "b"])
        #expect(try SweepPlan(d).count == 2)
    }

    @Test func defaultsWhenOptionalSectionsAreMissing() throws {
        let d = try declaration("name: n\ncommand: [true]")
        #expect(d.artifact == ".")
        #expect(d.parameters.isEmpty)
        #expect(d.sweep == Sweep(strategy: .grid, repeats: 1))
        #expect(d.trial.timeout == nil)
        #expect(d.workers == 1)
        #expect(d.deadline == nil)
        #expect(try SweepPlan(d).count == 1)
    }

    @Test func aDeadlineIsADurationOfAtLeastOneSecond() throws {
        #expect(try declaration("name: n\ncommand: [true]\ndeadline: 1h30m").deadline == .seconds(5400))
        for bad in ["0s", "500ms", "soon", "[1h]"] {
            #expect(throws: DeclarationError.self, "deadline: \(bad)") {
                try Declaration.parse("name: n\ncommand: [true]\ndeadline: \(bad)")
            }
        }
        do {
            _ = try Declaration.parse("name: n\ncommand: [true]\ndeadline: 0s")
        } catch {
            #expect(error.errors.map(\.path) == ["deadline"])
        }
    }

    @Test func yesNoAndDatesStayStrings() throws {
        let d = try declaration(withParameters("  country: {type: choice, values: [no, se, yes]}\n  day: {type: const, value: 2024-01-01}"))
        #expect(d.parameters[0].domain == .list([.scalar(.string("no")), .scalar(.string("se")), .scalar(.string("yes"))]))
        #expect(d.parameters[1].domain == .list([.scalar(.string("2024-01-01"))]))
    }

    @Test(arguments: [
        ("90", 90.0), ("90s", 90), ("10m", 600), ("1h30m", 5400), ("250ms", 0.25), ("1.5h", 5400),
    ])
    func durations(text: String, seconds: Double) {
        #expect(DurationText.parse(text) == .milliseconds(Int64(seconds * 1000)))
    }

    @Test(arguments: ["", "m", "10x", "1h-3m", "-5", "ten"])
    func badDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func configFormatIsInferredFromTheFileName() throws {
        for (file, format) in [("p.json", ConfigFile.Format.json), ("p.ini", .ini), ("p.env", .env), ("p.yml", .yaml)] {
            let d = try declaration("name: n\ncommand: [x, \"{config}\"]\nconfig: {file: \(file)}")
            #expect(d.config?.format == format)
        }
    }
}
