@testable import AssayCore
import Testing

@Suite("Rendering configs and commands")
struct RenderingTests {
    static let values: [(name: String, value: ParameterValue)] = [
        ("lr", .float(1e-05)), ("layers", .int(3)), ("opt", .string("adam")), ("augment", .bool(true)),
        ("note", .string("it's \"fine\"")), ("scale", .float(2)),
    ]

    @Test func yaml() {
        #expect(ConfigRenderer.render(Self.values, as: .yaml) == """
            lr: 1.0e-05
            layers: 3
            opt: "adam"
            augment: true
            note: "it's \\"fine\\""
            scale: 2.0

            """)
    }

    @Test func json() {
        #expect(ConfigRenderer.render(Self.values, as: .json) == """
            {
              "lr": 1e-05,
              "layers": 3,
              "opt": "adam",
              "augment": true,
              "note": "it's \\"fine\\"",
              "scale": 2.0
            }

            """)
        #expect(ConfigRenderer.render([], as: .json) == "{}\n")
    }

    @Test func ini() {
        #expect(ConfigRenderer.render(Array(Self.values.prefix(3)), as: .ini, section: "train") == """
            [train]
            lr = 1e-05
            layers = 3
            opt = adam

            """)
    }

    @Test func env() {
        #expect(ConfigRenderer.render(Self.values, as: .env) == """
            lr=1e-05
            layers=3
            opt=adam
            augment=true
            note='it'\\''s "fine"'
            scale=2.0

            """)
    }

    @Test func argsExpandInPlaceOfConfig() throws {
        let d = try declaration("""
            name: n
            command: [python, train.py, "{config}", --out, "run-{trial}-{repeat}-{attempt}"]
            config: {format: args}
            parameters: {lr: {type: float, values: [0.5]}, opt: {type: choice, values: [adam]}}
            """)
        let trial = try SweepPlan(d)[0]
        #expect(CommandTemplate.render(d.command, trial: trial, attempt: 2, configPath: nil, config: d.config)
            == ["python", "train.py", "--lr=0.5", "--opt=adam", "--out", "run-0-0-2"])
    }

    @Test func placeholdersForConfigPathParametersAndBraces() throws {
        let d = try declaration("""
            name: n
            command: [run, "{config}", "--lr={lr}", "{h}x{w}", "{{literal}}"]
            config: {file: c.json}
            parameters:
              lr: {type: float, values: [0.25]}
              shape: {type: group, values: [{h: 3, w: 4}]}
            """)
        let trial = try SweepPlan(d)[0]
        #expect(CommandTemplate.render(d.command, trial: trial, attempt: 1, configPath: "/tmp/t/c.json", config: d.config)
            == ["run", "/tmp/t/c.json", "--lr=0.25", "3x4", "{literal}"])
    }

    @Test(arguments: [("{a}", ["a"]), ("x{a}y{b}", ["a", "b"]), ("{{a}}", []), ("plain", [])])
    func placeholderNames(argument: String, names: [String]) throws {
        #expect(try CommandTemplate.placeholders(in: argument) == names)
    }
}
