@testable import AssayCore
import Testing

@Suite("ASHA searcher")
struct ASHASearcherTests {
    static func ashaDeclaration(_ sweep: String, goal: String = "minimize", budget: String = "{type: int, min: 1, max: 9}") -> String {
        """
        name: asha
        command: [run]
        parameters:
          x: {type: float, min: 0, max: 1}
          epochs: \(budget)
        sweep: \(sweep)
        objective: {metric: loss, goal: \(goal)}
        """
    }

    /// Drives a searcher one trial at a time, each finishing before the next
    /// is proposed. Configurations are numbered in order of first appearance
    /// and `outcome(ordinal, budget)` gives each trial's state: a synthetic
    /// table of results. Returns `(ordinal, budget)` per trial.
    static func drive(
        _ searcher: any Searcher, outcome: (Int, Int) -> SearchTrial.State
    ) -> (proposals: [[Int]], history: [SearchTrial]) {
        var history: [SearchTrial] = []
        var ordinals: [Double: Int] = [:]
        var proposals: [[Int]] = []
        while let parameters = searcher.propose(history: history) {
            let x = parameters.value(named: "x")!.number!
            let ordinal = ordinals[x] ?? ordinals.count
            ordinals[x] = ordinal
            guard case .int(let budget)? = parameters.value(named: "epochs") else {
                Issue.record("budget is not an int: \(parameters.jsonObject)")
                break
            }
            proposals.append([ordinal, budget])
            history.append(SearchTrial(index: history.count, parameters: parameters, state: outcome(ordinal, budget)))
        }
        return (proposals, history)
    }

    /// The quality of each configuration, by ordinal (lower is better).
    static let quality = [5, 2, 8, 1, 9, 3, 7, 4, 6, 0, 10, 11, 12]

    /// Worked by hand from Algorithm 2 with η = 3 and rungs 1, 3, 9:
    /// rung k promotes once it holds 3·(promotions + 1) finished trials and
    /// its top ⌊n/3⌋ include an unpromoted configuration; higher rungs first.
    static let handWorked: [[Int]] = [
        [0, 1], [1, 1], [2, 1],
        [1, 3],  // rung 0 holds 3: its best (1, quality 2) goes up
        [3, 1],  // rung 0's top 1 is promoted already, rung 1 has 1 < 3
        [3, 3],  // config 3 (quality 1) is now rung 0's best, not promoted yet
        [4, 1], [5, 1], [6, 1], [7, 1], [8, 1],  // rung 0's top ⌊n/3⌋ (3 and 1) are promoted
        [5, 3],  // rung 0 holds 9: top 3 are 3, 1, 5; 5 is new
        [3, 9],  // rung 1 holds 3 (1, 3, 5): its best, 3, goes to the top rung
        [9, 1],  // nothing promotable
        [9, 3],  // config 9 (quality 0) is rung 0's best
        [9, 9],  // and rung 1's best: rung 1 holds 4, top 1
    ]

    @Test func proposalsFollowThePapersRulesOnASyntheticTable() throws {
        let d = try declaration(Self.ashaDeclaration("{strategy: asha, max_trials: 16, budget: epochs, seed: 1}"))
        let searcher = try #require(Search.searcher(for: d))
        let (proposals, history) = Self.drive(searcher) { ordinal, budget in
            .completed(Double(Self.quality[ordinal]) + 1 / Double(budget))
        }
        #expect(proposals == Self.handWorked)
        #expect(history.count == 16)
        #expect(searcher.propose(history: history) == nil)
    }

    @Test func maximizingRanksTheOtherWay() throws {
        let d = try declaration(Self.ashaDeclaration("{strategy: asha, max_trials: 16, budget: epochs, seed: 1}", goal: "maximize"))
        let (proposals, _) = Self.drive(try #require(Search.searcher(for: d))) { ordinal, budget in
            .completed(-Double(Self.quality[ordinal]) - 1 / Double(budget))
        }
        #expect(proposals == Self.handWorked)
    }

    /// Failed trials count in their rung's n without a result, rank last and
    /// are never promoted; stopped-early trials rank by their best value.
    @Test func failuresCountWithoutAResultAndStoppedTrialsWithTheirBest() throws {
        let d = try declaration(Self.ashaDeclaration("{strategy: asha, max_trials: 12, budget: epochs, seed: 2}"))
        let (proposals, _) = Self.drive(try #require(Search.searcher(for: d))) { ordinal, budget in
            switch ordinal {
            case 0: .failed
            case 1: .completed(nil)
            case 2: .stoppedEarly(4)
            default: .completed(Double(ordinal) + 1 / Double(budget))
            }
        }
        #expect(Array(proposals.prefix(4)) == [[0, 1], [1, 1], [2, 1], [2, 3]])
        #expect(!proposals.dropFirst(3).contains { $0[0] < 2 }, "a configuration without a result was proposed again: \(proposals)")
    }

    /// Trials finishing out of order can make two rungs promotable at once:
    /// the higher rung goes first.
    @Test func higherRungsPromoteFirst() throws {
        let d = try declaration(Self.ashaDeclaration("{strategy: asha, max_trials: 20, budget: epochs}"))
        let searcher = try #require(Search.searcher(for: d))
        var history: [SearchTrial] = []
        func add(_ config: Int, _ epochs: Int, _ value: Double) {
            history.append(SearchTrial(index: history.count, parameters: ParameterSet(entries: [
                .init(name: "x", setting: .scalar(.float(Double(config) / 10))), .init(name: "epochs", setting: .scalar(.int(epochs))),
            ]), state: .completed(value)))
        }
        // Rung 0: configurations 0…8, best first except 3, promoted while it led.
        for config in 0..<9 { add(config, 1, [0.1, 0.2, 0.3, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9][config]) }
        add(3, 3, 0.05)
        add(0, 3, 0.09)
        add(1, 3, 0.15)
        // Rung 0's top 3 holds an unpromoted configuration (2), rung 1's top 1 (3) too.
        let next = try #require(searcher.propose(history: history))
        #expect(next.jsonObject == #"{"x": 0.3, "epochs": 9}"#)
        add(3, 9, 0.01)
        #expect(try #require(searcher.propose(history: history)).jsonObject == #"{"x": 0.2, "epochs": 3}"#)
    }

    @Test func aRungOfFailuresPromotesNothing() throws {
        let d = try declaration(Self.ashaDeclaration("{strategy: asha, max_trials: 10, budget: epochs}"))
        let (proposals, _) = Self.drive(try #require(Search.searcher(for: d))) { _, _ in .failed }
        #expect(proposals == (0..<10).map { [$0, 1] })
    }

    @Test(arguments: [
        ("{type: int, min: 1, max: 27}", "", [1.0, 3, 9, 27]),
        ("{type: int, min: 1, max: 20}", "", [1, 3, 9, 20]),
        ("{type: int, min: 0, max: 200}", ", min_budget: 2, max_budget: 100, reduction_factor: 4", [2, 8, 32, 100]),
        ("{type: int, min: 1, max: 2}", "", [1, 2]),
        ("{type: float, min: 0.5, max: 10}", ", reduction_factor: 2", [0.5, 1, 2, 4, 8, 10]),
        ("{type: float, min: 0.1, max: 0.9}", "", [0.1, 0.3, 0.9]),
        ("{type: int, min: 1, max: 81, step: 1}", ", max_budget: 30", [1, 3, 9, 27, 30]),
    ])
    func rungBudgets(budget: String, settings: String, expected: [Double]) throws {
        let d = try declaration(Self.ashaDeclaration("{strategy: asha, max_trials: 5, budget: epochs\(settings)}", budget: budget))
        let searcher = try #require(Search.searcher(for: d) as? ASHASearcher)
        #expect(searcher.rungBudgets == expected)
        let first = try #require(searcher.propose(history: []))
        let isInt = d.parameters[1].kind == .int
        #expect(first["epochs"] == .scalar(isInt ? .int(Int(expected[0])) : .float(expected[0])))
        #expect(searcher.rung(of: first) == 0)
    }

    /// Many trials in flight, finishing in a shuffled order: every proposal
    /// obeys the rules, and a searcher rebuilt from the history at any point
    /// proposes the same next trial.
    @Test(arguments: [1, 2, 3])
    func asynchronousRunsKeepTheRules(seed: UInt64) throws {
        let d = try declaration(Self.ashaDeclaration(
            "{strategy: asha, max_trials: 150, budget: epochs, seed: \(seed)}", budget: "{type: int, min: 1, max: 27}"))
        let searcher = try #require(Search.searcher(for: d) as? ASHASearcher)
        let rebuilt = try #require(Search.searcher(for: try declaration(Self.ashaDeclaration(
            "{strategy: asha, max_trials: 150, budget: epochs, seed: \(seed)}", budget: "{type: int, min: 1, max: 27}"))))
        var random = SplitMix64(seed: seed)
        var history: [SearchTrial] = []
        func loss(_ parameters: ParameterSet) -> Double {
            let x = parameters.value(named: "x")!.number!, epochs = parameters.value(named: "epochs")!.number!
            return (x - 0.3) * (x - 0.3) + 1 / epochs
        }
        while true {
            let running = history.indices.filter { history[$0].state == .pending }
            // Keep 4 trials in flight; finish a random one of them before proposing more.
            if running.count == 4 || (history.count == 150 && !running.isEmpty) {
                let done = running[Int(random.next(below: UInt64(running.count)))]
                let failed = random.next(below: 10) == 0
                history[done].state = failed ? .failed : .completed(loss(history[done].parameters))
                continue
            }
            guard let next = searcher.propose(history: history) else { break }
            #expect(rebuilt.propose(history: history) == next)
            try checkRules(next, history, searcher)
            history.append(SearchTrial(index: history.count, parameters: next, state: .pending))
        }
        #expect(history.count == 150)
        let rungs = history.map { searcher.rung(of: $0.parameters)! }
        #expect(Set(rungs) == [0, 1, 2, 3], "every rung is reached: \(rungs)")
    }

    /// A proposal on rung k+1 is a configuration among the best ⌊n_k/η⌋
    /// finished trials of rung k, with a value, not on rung k+1 before.
    private func checkRules(_ proposal: ParameterSet, _ history: [SearchTrial], _ searcher: ASHASearcher) throws {
        let rung = try #require(searcher.rung(of: proposal))
        let x = proposal.value(named: "x")
        let onRung = { (k: Int) in history.filter { searcher.rung(of: $0.parameters) == k } }
        guard rung > 0 else { return }
        #expect(!onRung(rung).contains { $0.parameters.value(named: "x") == x }, "promoted twice: \(proposal.jsonObject)")
        let finished = onRung(rung - 1).filter { $0.state != .pending }
        let ranked = finished.filter { $0.value != nil }.sorted { ($0.value!, $0.index) < ($1.value!, $1.index) }
        let top = ranked.prefix(finished.count / 3)
        #expect(top.contains { $0.parameters.value(named: "x") == x }, "\(proposal.jsonObject) is not in rung \(rung - 1)'s top")
    }

    @Test func newConfigurationsAvoidOnesAlreadyTriedInASmallSpace() throws {
        let d = try declaration("""
            name: small
            command: [run]
            parameters:
              opt: {type: choice, values: [adam, sgd, lion]}
              epochs: {type: int, min: 1, max: 9}
            sweep: {strategy: asha, max_trials: 3, budget: epochs}
            objective: {metric: loss, goal: minimize}
            """)
        let history = TPESearcherTests.run(try #require(Search.searcher(for: d))) { _ in 1 }
        #expect(Set(history.map { $0.parameters.value(named: "opt")! }) == [.string("adam"), .string("sgd"), .string("lion")])
    }

    /// A configuration is known by its parameters without the budget, numbers by value.
    @Test func aStoredIntegerAndFloatAreTheSameConfiguration() throws {
        let d = try declaration(Self.ashaDeclaration("{strategy: asha, max_trials: 10, budget: epochs}"))
        let searcher = try #require(Search.searcher(for: d))
        func trial(_ index: Int, _ x: ParameterValue, _ epochs: Int, _ state: SearchTrial.State) -> SearchTrial {
            SearchTrial(index: index, parameters: ParameterSet(entries: [
                .init(name: "x", setting: .scalar(x)), .init(name: "epochs", setting: .scalar(.int(epochs))),
            ]), state: state)
        }
        let history = [
            trial(0, .float(1), 1, .completed(0.1)), trial(1, .float(0.5), 1, .completed(0.5)),
            trial(2, .float(0.2), 1, .completed(0.7)), trial(3, .int(1), 3, .pending),
        ]
        let next = try #require(searcher.propose(history: history))
        #expect(next["epochs"] == .scalar(.int(1)), "config x=1 is on rung 1 already: \(next.jsonObject)")
    }
}
