@testable import AssayCore
import Testing

@Suite("Results table, CSV, JSON and plot")
struct ResultsTableTests {
    static func results() throws -> (Declaration, [TrialResult]) {
        let d = try declaration(withParameters("""
              lr: {type: float, values: [0.1, 0.01, 0.001]}
              opt: {type: choice, values: [adam, "s,gd"]}
            """) + "\nobjective: {metric: acc, goal: maximize}")
        let plan = try SweepPlan(d)
        let accuracy = [0.5, 0.9, 0.7, 0.6, 0.95, 0.8]
        let results = plan.map { trial in
            TrialResult(
                trial: trial, status: trial.index == 3 ? .failed : .succeeded, attempts: trial.index == 3 ? 2 : 1,
                seconds: 0.25, metrics: trial.index == 3 ? Metrics() : Metrics([("loss", .number(1 - accuracy[trial.index])), ("acc", .number(accuracy[trial.index]))]))
        }
        return (d, results)
    }

    @Test func sortedByTheObjectiveWithFailuresLast() throws {
        let (d, results) = try Self.results()
        let table = ResultsTable(results: results, parameters: d.parameters, objective: d.objective)
        #expect(table.rows.map(\.trial.index) == [4, 1, 5, 2, 0, 3])
        #expect(table.columns == ["trial", "repeat", "status", "attempts", "lr", "opt", "acc", "loss", "duration_s"])
        let minimizing = ResultsTable(results: results, parameters: d.parameters, objective: Objective(metric: "loss", goal: .minimize))
        #expect(minimizing.rows.map(\.trial.index) == [4, 1, 5, 2, 0, 3])
    }

    @Test func csvQuotesWhatNeedsQuoting() throws {
        let (d, results) = try Self.results()
        let lines = ResultsTable(results: results, parameters: d.parameters, objective: d.objective).csv().split(separator: "\n")
        #expect(lines.count == 7)
        #expect(lines[0] == "trial,repeat,status,attempts,lr,opt,acc,loss,duration_s")
        #expect(lines[1] == "4,0,succeeded,1,0.001,adam,0.95,0.05,0.250")
        #expect(lines[6] == "3,0,failed,2,0.01,\"s,gd\",,,0.250")
    }

    @Test func jsonHasEveryTrialInTableOrder() throws {
        let (d, results) = try Self.results()
        let json = ResultsTable(results: results, parameters: d.parameters, objective: d.objective).json(experiment: d.name)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        let trials = object["trials"] as! [[String: Any]]
        #expect(trials.count == 6)
        #expect(trials[0]["trial"] as? Int == 4)
        #expect((trials[0]["parameters"] as! [String: Any])["opt"] as? String == "adam")
        #expect((trials[5]["parameters"] as! [String: Any])["opt"] as? String == "s,gd")
        #expect((trials[0]["metrics"] as! [String: Any])["acc"] as? Double == 0.95)
        #expect((object["objective"] as! [String: Any])["goal"] as? String == "maximize")
    }

    @Test func textTableIsAlignedAndCut() throws {
        let (d, results) = try Self.results()
        let text = ResultsTable(results: results, parameters: d.parameters, objective: d.objective).text(limit: 3)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2 + 3 + 1)
        #expect(lines[0].hasPrefix("trial  status"))
        #expect(lines.last == "… 3 more rows in results.csv")
    }

    @Test func plotHasOnePanelPerVariedParameterAndMarksTheBest() throws {
        let (d, results) = try Self.results()
        let plot = try #require(SweepPlot(title: d.name, results: results, parameters: d.parameters, objective: d.objective))
        #expect(plot.panels.map(\.parameter) == ["lr", "opt"])
        #expect(plot.panels[0].points.count == 5)
        #expect(plot.panels[1].categories == ["adam", "s,gd"])
        let svg = plot.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.components(separatedBy: "<circle").count - 1 == 10)
        #expect(svg.components(separatedBy: "★").count - 1 == 2 + 1)  // one per panel, plus the legend
        let parsed = XMLParserDelegateCheck.isWellFormed(svg)
        #expect(parsed)
    }

    @Test func metricsNamedLikeParametersGetTheirOwnColumn() throws {
        let (d, results) = try Self.results()
        let echoing = results.map { var r = $0; r.metrics["lr"] = .number(9); r.metrics["status"] = .text("ok"); return r }
        let table = ResultsTable(results: echoing, parameters: d.parameters, objective: d.objective)
        #expect(table.columns == ["trial", "repeat", "status", "attempts", "lr", "opt", "acc", "loss", "metric.lr", "metric.status", "duration_s"])
        #expect(table.csv().split(separator: "\n")[1].hasSuffix(",0.001,adam,0.95,0.05,9,ok,0.250"))
    }

    @Test func noPlotWithoutNumbers() throws {
        let (d, results) = try Self.results()
        let failed = results.map { var r = $0; r.status = .failed; return r }
        #expect(SweepPlot(title: "x", results: failed, parameters: d.parameters, objective: d.objective) == nil)
    }
}

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

enum XMLParserDelegateCheck {
    static func isWellFormed(_ text: String) -> Bool {
        XMLParser(data: Data(text.utf8)).parse()
    }
}
