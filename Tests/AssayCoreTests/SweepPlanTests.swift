@testable import AssayCore
import Testing

@Suite("Sweep plans")
struct SweepPlanTests {
    /// Each parameter type alone, on a grid: the values it takes, in order.
    @Test(arguments: [
        ("{type: int, min: 1, max: 4, step: 1}", ["1", "2", "3", "4"]),
        ("{type: int, min: 0, max: 10, step: 4}", ["0", "4", "8"]),
        ("{type: int, min: 0, max: 10, count: 3}", ["0", "5", "10"]),
        ("{type: int, min: 1, max: 100, count: 3, scale: log}", ["1", "10", "100"]),
        ("{type: int, min: 1, max: 4, count: 4, scale: log}", ["1", "2", "3", "4"]),
        ("{type: int, values: [8, 2, 5]}", ["8", "2", "5"]),
        ("{type: float, min: 0, max: 1, step: 0.25}", ["0.0", "0.25", "0.5", "0.75", "1.0"]),
        ("{type: float, min: 0.1, max: 0.5, step: 0.1}", ["0.1", "0.2", "0.3", "0.4", "0.5"]),
        ("{type: float, min: 0, max: 1, count: 3}", ["0.0", "0.5", "1.0"]),
        ("{type: float, min: 0.0001, max: 0.1, count: 4, scale: log}", ["0.0001", "0.001", "0.01", "0.1"]),
        ("{type: float, values: [0.5, 1]}", ["0.5", "1.0"]),
        ("{type: choice, values: [adam, sgd, 3]}", ["adam", "sgd", "3"]),
        ("{type: bool}", ["false", "true"]),
        ("{type: const, value: 42}", ["42"]),
    ])
    func parameterType(spec: String, values: [String]) throws {
        let plan = try SweepPlan(try declaration(withParameters("  x: \(spec)")))
        #expect(plan.count == values.count)
        #expect(plan.map { $0.parameters.values[0].value.description } == values)
    }

    @Test func floatStepsIncludeTheEndpointDespiteRounding() throws {
        let plan = try SweepPlan(try declaration(withParameters("  x: {type: float, min: 0, max: 0.3, step: 0.1}")))
        #expect(plan.map { $0.parameters.values[0].value } == [.float(0), .float(0.1), .float(0.2), .float(0.3)])
    }

    @Test func gridIsTheCartesianProductLastParameterFastest() throws {
        let plan = try SweepPlan(try declaration(withParameters("""
              a: {type: int, values: [1, 2]}
              b: {type: choice, values: [x, y, z]}
            """)))
        #expect(plan.count == 6)
        #expect(table(plan) == [
            ["a=1", "b=x"], ["a=1", "b=y"], ["a=1", "b=z"],
            ["a=2", "b=x"], ["a=2", "b=y"], ["a=2", "b=z"],
        ])
    }

    @Test func groupsApplyTheirValuesTogether() throws {
        let plan = try SweepPlan(try declaration(withParameters("""
              shape: {type: group, values: [{h: 32, w: 32}, {h: 64, w: 48}]}
              lr: {type: float, values: [0.1, 0.2]}
            """)))
        #expect(table(plan) == [
            ["h=32", "w=32", "lr=0.1"], ["h=32", "w=32", "lr=0.2"],
            ["h=64", "w=48", "lr=0.1"], ["h=64", "w=48", "lr=0.2"],
        ])
        #expect(plan[2].parameters["shape"] == .group(index: 1, members: [
            GroupMember(name: "h", value: .int(64)), GroupMember(name: "w", value: .int(48)),
        ]))
    }

    /// GLADOS's default mode: the all-defaults point once, then each
    /// parameter varied alone, never repeating the default point.
    @Test func oneAtATime() throws {
        let plan = try SweepPlan(try declaration(withParameters("""
              lr: {type: float, values: [0.1, 0.01, 0.001], default: 0.01}
              opt: {type: choice, values: [adam, sgd], default: adam}
              seed: {type: const, value: 7}
              depth: {type: int, min: 1, max: 5, step: 2, default: 4}
              shape: {type: group, values: [{h: 1}, {h: 2}], default: {h: 2}}
            """, sweep: "{strategy: one-at-a-time}")))
        #expect(table(plan) == [
            ["lr=0.01", "opt=adam", "seed=7", "depth=4", "h=2"],
            ["lr=0.1", "opt=adam", "seed=7", "depth=4", "h=2"],
            ["lr=0.001", "opt=adam", "seed=7", "depth=4", "h=2"],
            ["lr=0.01", "opt=sgd", "seed=7", "depth=4", "h=2"],
            // depth's default (4) is not on its grid (1, 3, 5): every point is new.
            ["lr=0.01", "opt=adam", "seed=7", "depth=1", "h=2"],
            ["lr=0.01", "opt=adam", "seed=7", "depth=3", "h=2"],
            ["lr=0.01", "opt=adam", "seed=7", "depth=5", "h=2"],
            ["lr=0.01", "opt=adam", "seed=7", "depth=4", "h=1"],
        ])
    }

    @Test func oneAtATimeSkipsDefaultsOnLazyDomains() throws {
        let plan = try SweepPlan(try declaration(withParameters("""
              lr: {type: float, min: 0.001, max: 0.1, count: 3, scale: log, default: 0.01}
              n: {type: int, min: 0, max: 100, count: 3, default: 50}
            """, sweep: "{strategy: one-at-a-time}")))
        #expect(table(plan) == [
            ["lr=0.01", "n=50"], ["lr=0.001", "n=50"], ["lr=0.1", "n=50"], ["lr=0.01", "n=0"], ["lr=0.01", "n=100"],
        ])
    }

    @Test func repeatsAreTheOutermostLoop() throws {
        let plan = try SweepPlan(try declaration(withParameters("  a: {type: int, values: [1, 2]}", sweep: "{repeats: 3}")))
        #expect(plan.count == 6)
        #expect(plan.map(\.repetition) == [0, 0, 1, 1, 2, 2])
        #expect(plan.map { $0.parameters.values[0].value } == [.int(1), .int(2), .int(1), .int(2), .int(1), .int(2)])
    }

    @Test func randomSamplesStayInsideTheirDomains() throws {
        let plan = try SweepPlan(try declaration(withParameters("""
              lr: {type: float, min: 0.0001, max: 0.1, scale: log}
              width: {type: int, min: 8, max: 512, scale: log}
              drop: {type: float, min: 0, max: 0.5}
              layers: {type: int, min: 1, max: 4}
              opt: {type: choice, values: [adam, sgd]}
              steps: {type: int, min: 0, max: 100, step: 10}
            """, sweep: "{strategy: random, samples: 500, seed: 3}")))
        #expect(plan.count == 500)
        var optimizers = Set<String>()
        var lowLearningRates = 0
        for trial in plan {
            let v = Dictionary(uniqueKeysWithValues: trial.parameters.values.map { ($0.name, $0.value) })
            let lr = v["lr"]!.number!, width = v["width"]!.number!, drop = v["drop"]!.number!
            #expect((0.0001...0.1).contains(lr))
            #expect((8...512).contains(width))
            #expect((0...0.5).contains(drop))
            #expect((1...4).contains(v["layers"]!.number!))
            #expect(Int(v["steps"]!.number!) % 10 == 0)
            optimizers.insert(v["opt"]!.description)
            if lr < 0.00316 { lowLearningRates += 1 }
        }
        #expect(optimizers == ["adam", "sgd"])
        // Log-uniform: about half of the samples lie below the geometric midpoint.
        #expect((175...325).contains(lowLearningRates))
    }

    /// A 10^12-point grid is described and indexed without materialising it.
    @Test func trillionPointGridIsIndexable() throws {
        let parameters = (0..<12).map { "  p\($0): {type: int, min: 0, max: 9, step: 1}" }.joined(separator: "\n")
        let plan = try SweepPlan(try declaration(withParameters(parameters)), maxTrials: nil)
        #expect(plan.count == 1_000_000_000_000)
        let last = plan[plan.count - 1]
        #expect(last.parameters.values.allSatisfy { $0.value == .int(9) })
        let middle = plan[123_456_789_012]
        #expect(middle.parameters.values.map(\.value.description).joined() == "123456789012")
    }

    @Test func limitIsConfigurable() throws {
        let d = try declaration(withParameters("  a: {type: int, min: 1, max: 100, step: 1}"))
        #expect(throws: PlanError.tooManyTrials(count: 100, limit: 50)) { try SweepPlan(d, maxTrials: 50) }
        #expect(try SweepPlan(d, maxTrials: 100).count == 100)
    }
}
