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
