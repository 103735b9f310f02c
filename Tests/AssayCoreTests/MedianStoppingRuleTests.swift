import AssayCore
import Testing

@Suite("Median stopping rule")
struct MedianStoppingRuleTests {
    /// Steps 1, 2, … with these values.
    static func curve(_ values: [Double], from first: Int = 1) -> [MetricStep] {
        values.enumerated().map { MetricStep(step: first + $0.offset, value: $0.element) }
    }

    /// Loss curves of completed trials. By step 4 their bests are 0.5, 0.52
    /// and 0.8 (the fourth reported only from step 5 on): median 0.52. By
    /// step 5 all four count: 0.45, 0.5, 0.75, 0.3, median 0.475.
    static let completed = [
        curve([1.0, 0.8, 0.6, 0.5, 0.45, 0.4]),
        curve([0.9, 0.7, 0.55, 0.52, 0.5, 0.48]),
        curve([1.2, 1.0, 0.9, 0.8, 0.75, 0.7]),
        curve([0.3, 0.2], from: 5),
    ]

    static let rule = MedianStoppingRule(EarlyStopping(metric: "loss", graceSteps: 3, minTrials: 3), goal: .minimize)

    @Test func stopsATrialWorseThanTheMedianAtItsStep() {
        #expect(Self.rule.shouldStop(Self.curve([1.0, 0.9, 0.8, 0.71]), completed: Self.completed)
            == "best loss 0.71 by step 4 is worse than the median 0.52 of 3 completed trials by step 4")
        #expect(Self.rule.shouldStop(Self.curve([1, 1, 1, 1, 0.48]), completed: Self.completed)
            == "best loss 0.48 by step 5 is worse than the median 0.475 of 4 completed trials by step 5")
    }

    @Test(arguments: [
        ([1.0, 0.9, 0.8, 0.52], "equal to the median: a tie is not worse"),
        ([1.0, 0.9, 0.8, 0.4], "better than the median"),
        ([0.3, 0.9, 0.9, 0.9], "its best so far counts, not its latest value"),
        ([5.0, 5.0, 5.0], "only 3 steps: still in its grace steps"),
        ([1, 1, 1, 1, 0.47], "better than the step-5 median, the mean of the middle two"),
    ])
    func keepsATrialThatIsNotWorse(values: [Double], why: String) {
        #expect(Self.rule.shouldStop(Self.curve(values), completed: Self.completed) == nil, "\(why)")
    }

    @Test func noDecisionWithoutEnoughCompletedTrialsAtTheStep() {
        let eager = MedianStoppingRule(EarlyStopping(metric: "loss", graceSteps: 0, minTrials: 3), goal: .minimize)
        // Step 1: three completed trials reported (1.0, 0.9, 1.2): median 1.0.
        #expect(eager.shouldStop(Self.curve([2.0]), completed: Self.completed) != nil)
        #expect(eager.shouldStop(Self.curve([2.0]), completed: Array(Self.completed.prefix(2))) == nil)
        let demanding = MedianStoppingRule(EarlyStopping(metric: "loss", graceSteps: 0, minTrials: 4), goal: .minimize)
        #expect(demanding.shouldStop(Self.curve([2.0]), completed: Self.completed) == nil)
        // By step 5 the fourth trial counts too.
        #expect(demanding.shouldStop(Self.curve([2, 2, 2, 2, 2]), completed: Self.completed) != nil)
        #expect(eager.shouldStop([], completed: Self.completed) == nil)
    }

    @Test func graceCountsReportedStepsNotStepNumbers() {
        let rule = MedianStoppingRule(EarlyStopping(metric: "loss", graceSteps: 3, minTrials: 1), goal: .minimize)
        // Steps 4 and 9 only: two reports, within the grace.
        #expect(rule.shouldStop([MetricStep(step: 4, value: 9), MetricStep(step: 9, value: 9)], completed: Self.completed) == nil)
        // Out of order and repeated steps: steps 1…4 reported, latest step 4.
        let shuffled = [MetricStep(step: 4, value: 0.9), MetricStep(step: 1, value: 1.0), MetricStep(step: 2, value: 0.95),
                        MetricStep(step: 2, value: 0.94), MetricStep(step: 3, value: 0.93)]
        #expect(rule.shouldStop(shuffled, completed: Self.completed)?.hasSuffix("by step 4") == true)
    }

    @Test func maximizingStopsTheTrialsBelowTheMedian() {
        let rule = MedianStoppingRule(EarlyStopping(metric: "accuracy", graceSteps: 3, minTrials: 3), goal: .maximize)
        let completed = Self.completed.map { $0.map { MetricStep(step: $0.step, value: 1 - $0.value) } }
        func accuracy(_ losses: [Double]) -> [MetricStep] { Self.curve(losses.map { 1 - $0 }) }
        #expect(rule.shouldStop(accuracy([1.0, 0.9, 0.8, 0.71]), completed: completed)
            == "best accuracy 0.29 by step 4 is worse than the median 0.48 of 3 completed trials by step 4")
        #expect(rule.shouldStop(accuracy([1.0, 0.9, 0.8, 0.52]), completed: completed) == nil)
        #expect(rule.shouldStop(accuracy([1.0, 0.9, 0.8, 0.4]), completed: completed) == nil)
        #expect(rule.shouldStop(accuracy([0.3, 0.9, 0.9, 0.9]), completed: completed) == nil)
    }

    @Test func nonFiniteValuesAreIgnored() {
        let rule = MedianStoppingRule(EarlyStopping(metric: "loss", graceSteps: 3, minTrials: 3), goal: .minimize)
        let trial = Self.curve([1.0, .nan, 0.9, 0.8, 0.75])
        #expect(rule.shouldStop(trial, completed: Self.completed)
            == "best loss 0.75 by step 5 is worse than the median 0.475 of 4 completed trials by step 5")
        #expect(rule.shouldStop(Self.curve([1.0, .nan, .nan, 0.8]), completed: Self.completed) == nil, "two finite steps: grace")
        let noisy = Self.completed + [Self.curve([.infinity, .nan, .nan, .nan, .nan])]
        #expect(rule.shouldStop(trial, completed: noisy)?.contains("of 4 completed trials") == true)
    }
}
