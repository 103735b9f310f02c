@testable import AssayCore
import Testing

@Suite("Best-so-far plot")
struct BestSoFarPlotTests {
    func result(_ index: Int, _ status: TrialStatus, loss: Double?) -> TrialResult {
        TrialResult(
            trial: .proposed(index: index, parameters: ParameterSet(entries: [])), status: status, attempts: 1, seconds: 1,
            metrics: Metrics(loss.map { [("loss", ResultValue.number($0))] } ?? []))
    }

    @Test func theBestFollowsTheGoalAndCountsTrialsStoppedEarly() throws {
        let results = [
            result(3, .succeeded, loss: 0.5), result(0, .succeeded, loss: 0.9), result(1, .failed, loss: 0.1),
            result(2, .stoppedEarly, loss: 0.7), result(4, .succeeded, loss: nil), result(5, .succeeded, loss: 0.2),
        ]
        let minimize = try #require(BestSoFarPlot(title: "t", results: results, objective: Objective(metric: "loss", goal: .minimize)))
        #expect(minimize.points.map(\.index) == [0, 2, 3, 5])
        #expect(minimize.points.map(\.best) == [0.9, 0.7, 0.5, 0.2])
        let maximize = try #require(BestSoFarPlot(title: "t", results: results, objective: Objective(metric: "loss", goal: .maximize)))
        #expect(maximize.points.map(\.best) == [0.9, 0.9, 0.9, 0.9])
        let svg = minimize.svg()
        #expect(svg.hasPrefix("<svg") && svg.contains("class=\"best\""))
        #expect(svg.components(separatedBy: "<circle").count - 1 == 4)
    }

    @Test func nothingToDrawWithoutAnObjectiveOrAResult() {
        #expect(BestSoFarPlot(title: "t", results: [result(0, .succeeded, loss: 1)], objective: nil) == nil)
        #expect(BestSoFarPlot(title: "t", results: [result(0, .failed, loss: 1)], objective: Objective(metric: "loss", goal: .minimize)) == nil)
    }
}
