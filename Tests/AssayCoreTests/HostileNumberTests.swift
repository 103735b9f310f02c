@testable import AssayCore
import Testing

/// Numbers that used to trap (found by the declaration fuzz, Tests/system/test_declaration_fuzz.py):
/// each is now a field error naming the problem, never a crash.
@Suite("Hostile numbers")
struct HostileNumberTests {
    @Test(arguments: [
        ("  n: {type: int, min: 0, max: 9223372036854775000}", "parameters.n.max", "must be between"),
        ("  n: {type: int, min: -9000000000000000000, max: 9000000000000000000, step: 1}", "parameters.n.min", "must be between"),
        ("  n: {type: int, values: [1, 9007199254740993]}", "parameters.n.values[1]", "must be between"),
        ("  f: {type: float, min: -1.7e308, max: 1.7e308}", "parameters.f.max", "is too far from min"),
        ("  n: {type: int, values: [-9223372036854775808]}", "parameters.n.values[0]", "must be between"),  // abs(Int.min) trapped
        ("  n: {type: int, min: -9223372036854775808, max: 1}", "parameters.n.min", "must be between"),
    ])
    func aNumberBeyondWhatARangeCanHoldIsAFieldError(parameters: String, path: String, message: String) {
        let found = errors(withParameters(parameters, sweep: "{strategy: random, samples: 3}"))
        #expect(found.contains { $0.path == path && $0.message.contains(message) }, "\(found)")
    }

    @Test func integersUpTo2To53AreFine() throws {
        let plan = try SweepPlan(try declaration(withParameters("  n: {type: int, min: -9007199254740992, max: 9007199254740992}",
                                                                sweep: "{strategy: random, samples: 50}")))
        #expect(plan.count == 50)
        for trial in plan { _ = trial.parameters }
    }

    @Test(arguments: ["1e300", "9999999999999d", "1000000000h", "36600000000"])
    func anAbsurdDurationIsNotADuration(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    /// An int budget beyond Int, read through Double, was printed with `String(Int(…))`, which trapped.
    @Test(arguments: ["9223372036854775807", "9223372036854775000", "-9223372036854775808"])
    func anASHABudgetBeyondIntIsAFieldError(budget: String) {
        let text = withParameters("  epochs: {type: int, min: 1, max: 9}",
                                  sweep: "{strategy: asha, max_trials: 3, budget: epochs, max_budget: \(budget)}")
        let found = errors(text + "\nobjective: {metric: loss, goal: minimize}")
        #expect(found.contains { $0.path.hasPrefix("sweep.") }, "\(found)")
    }

    @Test func aCenturyIsStillADuration() {
        #expect(DurationText.parse("36500d") == .seconds(36_500 * 86_400))
    }

    @Test func rungBudgetsEndWhenTheMaxHasMoreDigitsThanTheyKeep() {
        let settings = ASHASettings(maxTrials: 3, budget: "epochs", minBudget: 1, maxBudget: 2.0000000000001)
        #expect(ASHASearcher.rungBudgets(settings, integer: false) == [1, 2.0000000000001])
        let wide = ASHASettings(maxTrials: 3, budget: "epochs", reductionFactor: 3, minBudget: 1, maxBudget: 27.000000000000004)
        #expect(ASHASearcher.rungBudgets(wide, integer: false).last == 27.000000000000004)
    }

    @Test func groupEntriesMaySetTheirKeysInAnyOrder() throws {
        let parameter = try declaration(withParameters("  shape: {type: group, values: [{h: 32, w: 32}, {w: 64, h: 64}]}")).parameters[0]
        guard case .list(let settings) = parameter.domain, case .group(_, let second) = settings[1] else {
            Issue.record("not a group list: \(parameter.domain)")
            return
        }
        #expect(second.map(\.name) == ["h", "w"])
    }

    @Test func aLongUnknownNameGetsNoSuggestionAndCostsNothing() {
        let long = String(repeating: "b", count: 20_000)
        let names = (0..<50).map { "p\($0)" + String(repeating: "-", count: 995) }
        #expect(Suggestion.closest(to: long, in: names) == nil)
        #expect(Suggestion.closest(to: "lrr", in: ["lr", "momentum"]) == "lr")
    }
}

/// Text the declaration fuzz found mishandled: a NUL passed validation and the store refused it,
/// JSON's surrogate-pair escapes were refused, a quoted line break split a problem over two lines.
@Suite("Hostile text")
struct HostileTextTests {
    @Test(arguments: [
        ("name: x\ncommand: [a]\ntags: [\"a\\0b\"]", "tags[0]"),
        ("name: x\ncommand: [a, \"b\\0\"]", "command[1]"),
        ("name: x\ncommand: [a]\nsetup: [\"\\0\"]", "setup[0]"),
        ("name: x\ncommand: [a]\nenv: {K: \"v\\0\"}", "env.K"),
        ("name: x\ncommand: [a]\nparameters:\n  c: {type: choice, values: [\"a\\0\"]}", "parameters.c.values[0]"),
    ])
    func aNulCharacterIsRefusedWhereverTextGoes(text: String, path: String) {
        let found = errors(text)
        #expect(found.contains { $0.path == path && $0.message == "must not contain NUL characters" }, "\(found)")
    }

    @Test func jsonSurrogatePairEscapesReadAsTheirCharacter() throws {
        let parsed = try declaration(#"{"name": "smile \ud83d\ude00", "command": ["a", "\\ud83d\\ude00"], "tags": ["\u00e9"]}"#)
        #expect(parsed.name == "smile 😀")
        #expect(parsed.command == ["a", #"\ud83d\ude00"#])  // an escaped backslash starts no escape
        #expect(parsed.tags == ["é"])
    }

    @Test func aLoneSurrogateIsStillASyntaxError() {
        let found = errors(#"{"name": "\ud83d", "command": ["a"]}"#)
        #expect(found.count == 1 && found[0].message.hasPrefix("not valid YAML or JSON"), "\(found)")
    }

    @Test func aTextThatParsesIsNotRewritten() throws {
        // A plain scalar holding what looks like an escaped pair keeps it as written.
        let parsed = try declaration("name: x\ncommand: [a, b\\ud83d\\ude00]")
        #expect(parsed.command == ["a", #"b\ud83d\ude00"#])
    }

    @Test func problemsQuotingLineBreaksStayOnOneLine() {
        let found = errors("{\"name\": \"x\", \"command\": [\"a\"], \"a\\nb\\u2028c\": 1}")
        #expect(found.map(\.description) == [#"a\nb\u{2028}c: unknown top-level key "a\nb\u{2028}c" (expected one of: "# +
            Declaration.fieldNames.joined(separator: ", ") + ")"])
        #expect(!DeclarationError(found).formatted(source: "x.json").contains("\n"))
    }
}
