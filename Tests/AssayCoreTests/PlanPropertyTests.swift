@testable import AssayCore
import PropertyBased
import Testing

/// Properties that must hold for any plan, checked on generated declarations.
@Suite("Sweep plan properties")
struct PlanPropertyTests {
    /// A generated parameter block: up to 4 parameters of assorted kinds.
    static let parameterBlocks = Gen.int(in: 0...5).array(of: 1...4).map { kinds in
        kinds.enumerated().map { offset, kind -> String in
            switch kind {
            case 0: "  p\(offset): {type: int, min: 0, max: \(offset + 3), step: 1, default: 1}"
            case 1: "  p\(offset): {type: float, min: 0.01, max: 1, count: \(offset + 2), scale: log, default: 0.1}"
            case 2: "  p\(offset): {type: choice, values: [a, b, c], default: b}"
            case 3: "  p\(offset): {type: bool, default: false}"
            case 4: "  p\(offset): {type: const, value: \(offset)}"
            default: "  p\(offset): {type: group, values: [{x\(offset): 1, y\(offset): 2}, {x\(offset): 3, y\(offset): 4}], default: {x\(offset): 3, y\(offset): 4}}"
            }
        }.joined(separator: "\n")
    }

    static let strategies = Gen.int(in: 0...2).map { choice in
        ["{strategy: grid, repeats: 2}", "{strategy: one-at-a-time}", "{strategy: random, samples: 20, seed: 9}"][choice]
    }

    @Test func countEqualsDistinctIndexesAndIndexingIsStable() async {
        await propertyCheck(count: 60, input: Self.parameterBlocks, Self.strategies) { block, sweep in
            let text = withParameters(block, sweep: sweep)
            guard let plan = try? SweepPlan(try Declaration.parse(text)) else {
                Issue.record("generated declaration did not plan:\n\(text)")
                return
            }
            let trials = Array(plan)
            #expect(trials.count == plan.count)
            #expect(Set(trials.map(\.index)) == Set(0..<plan.count))
            // plan[i] is a pure function of i.
            for index in [0, plan.count / 2, plan.count - 1] {
                #expect(plan[index] == plan[index])
                #expect(plan[index] == trials[index])
            }
            if case .grid = plan.strategy {
                // Grid points within one repeat are all different.
                let points = Set(trials.filter { $0.repetition == 0 }.map(\.parameters))
                #expect(points.count == plan.pointCount)
            }
            if case .oneAtATime = plan.strategy {
                #expect(Set(trials.map(\.parameters)).count == plan.count)
            }
        }
    }

    @Test func equalSeedsGiveEqualPlansAndOtherSeedsDiffer() async {
        await propertyCheck(count: 40, input: Gen.int(in: 0...1_000_000)) { seed in
            func plan(_ seed: Int) throws -> [PlannedTrial] {
                Array(try SweepPlan(try Declaration.parse(withParameters(
                    "  lr: {type: float, min: 0.0001, max: 1, scale: log}\n  n: {type: int, min: 1, max: 1000}",
                    sweep: "{strategy: random, samples: 16, seed: \(seed)}"))))
            }
            let first = try plan(seed), again = try plan(seed), other = try plan(seed + 1)
            #expect(first == again)
            #expect(first != other)
        }
    }
}
