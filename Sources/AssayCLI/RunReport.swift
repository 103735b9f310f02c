import AssayCore
import Foundation

/// The files a finished sweep leaves behind and the lines that sum it up.
struct RunReport {
    let declaration: Declaration
    let results: [TrialResult]

    struct Written {
        let table: ResultsTable
        let csv: URL
        let json: URL
        let plot: URL?
        let countsLine: String
    }

    func write(to folder: URL) throws -> Written {
        let table = ResultsTable(results: results, parameters: declaration.parameters, objective: declaration.objective)
        let csv = folder.appending(path: "results.csv")
        let json = folder.appending(path: "results.json")
        try Data(table.csv().utf8).write(to: csv)
        try Data(table.json(experiment: declaration.name).utf8).write(to: json)
        var plotURL: URL?
        if let plot = SweepPlot(title: declaration.name, results: results, parameters: declaration.parameters, objective: declaration.objective) {
            let url = folder.appending(path: "plot.svg")
            try Data(plot.svg().utf8).write(to: url)
            plotURL = url
        }
        return Written(table: table, csv: csv, json: json, plot: plotURL, countsLine: countsLine(table))
    }

    /// `24 trials: 22 succeeded, 1 failed, 1 timed_out — best accuracy 0.93 (trial 7)`
    private func countsLine(_ table: ResultsTable) -> String {
        var counts: [TrialStatus: Int] = [:]
        for result in results { counts[result.status, default: 0] += 1 }
        let parts = TrialStatus.allCases.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }
        var line = "\(results.count) trial\(results.count == 1 ? "" : "s"): " + parts.joined(separator: ", ")
        if let objective = declaration.objective, let best = table.rows.first,
           let value = ResultsTable.objectiveValue(best, objective) {
            line += " — best \(objective.metric) \(ResultsTable.text(.number(value))) (trial \(best.trial.index))"
        }
        return line
    }
}
