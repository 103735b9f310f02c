import Foundation

/// An experiment's trials as a table, best first by the objective: the text
/// table the CLI prints, `results.csv` and `results.json`.
public struct ResultsTable: Sendable {
    public let objective: Objective?
    /// Parameter (and group member) columns, in declaration order.
    public let parameterColumns: [String]
    /// Metric columns, in first-seen order.
    public let metricColumns: [String]
    /// Sorted: trials with an objective value first, best first; then the rest by index.
    public let rows: [TrialResult]

    public init(results: [TrialResult], parameters: [Parameter], objective: Objective?) {
        self.objective = objective
        parameterColumns = parameters.flatMap(\.settingNames)
        var metrics: [String] = []
        for result in results {
            for name in result.metrics.names where !metrics.contains(name) { metrics.append(name) }
        }
        if let objective, let position = metrics.firstIndex(of: objective.metric) {
            metrics.insert(metrics.remove(at: position), at: 0)
        }
        metricColumns = metrics
        rows = results.sorted { Self.ranks($0, before: $1, objective: objective) }
    }

    /// The objective value of a succeeded trial, if it reported one.
    public static func objectiveValue(_ result: TrialResult, _ objective: Objective?) -> Double? {
        guard let objective, result.status == .succeeded,
              let value = result.metrics[objective.metric]?.number, value.isFinite else { return nil }
        return value
    }

    static func ranks(_ a: TrialResult, before b: TrialResult, objective: Objective?) -> Bool {
        switch (objectiveValue(a, objective), objectiveValue(b, objective)) {
        case (let x?, let y?) where x != y:
            return objective?.goal == .maximize ? x > y : x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a.trial.index < b.trial.index
        }
    }

    static let fixedColumns = ["trial", "repeat", "status", "attempts", "duration_s"]

    /// Column titles. A metric named like a parameter or a fixed column
    /// (a result file that echoes `epochs`) is titled `metric.<name>`.
    public var columns: [String] {
        let taken = Set(parameterColumns + Self.fixedColumns)
        let metricTitles = metricColumns.map { taken.contains($0) ? "metric.\($0)" : $0 }
        return ["trial", "repeat", "status", "attempts"] + parameterColumns + metricTitles + ["duration_s"]
    }

    private func cells(_ row: TrialResult) -> [String] {
        let values = row.trial.parameters.values
        let parameterCells = parameterColumns.map { name in values.first { $0.name == name }?.value.description ?? "" }
        let metricCells = metricColumns.map { name in row.metrics[name].map(Self.text) ?? "" }
        return [String(row.trial.index), String(row.trial.repetition), row.status.rawValue, String(row.attempts)]
            + parameterCells + metricCells + [String(format: "%.3f", row.seconds)]
    }

    /// RFC 4180 CSV with a header line.
    public func csv() -> String {
        var lines = [columns.map(Self.csvField).joined(separator: ",")]
        for row in rows { lines.append(cells(row).map(Self.csvField).joined(separator: ",")) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `{"objective": …, "columns": […], "trials": [{…}]}`, trials in table order.
    public func json(experiment: String) -> String {
        var out = "{\n  \"experiment\": \(JSONText.quote(experiment)),\n"
        if let objective {
            out += "  \"objective\": {\"metric\": \(JSONText.quote(objective.metric)), \"goal\": \"\(objective.goal.rawValue)\"},\n"
        } else {
            out += "  \"objective\": null,\n"
        }
        out += "  \"trials\": ["
        out += rows.map { row in
            let metrics = row.metrics.entries
                .map { "\(JSONText.quote($0.name)): \(Self.json($0.value))" }.joined(separator: ", ")
            return "\n    {\"trial\": \(row.trial.index), \"repeat\": \(row.trial.repetition), "
                + "\"status\": \"\(row.status.rawValue)\", \"attempts\": \(row.attempts), "
                + "\"duration_s\": \(String(format: "%.3f", row.seconds)), "
                + "\"parameters\": \(row.trial.parameters.jsonObject), \"metrics\": {\(metrics)}}"
        }.joined(separator: ",")
        out += rows.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
        return out
    }

    /// An aligned text table of the first `limit` rows; the repeat column only
    /// when there are repeats.
    public func text(limit: Int = 20) -> String {
        let showRepeat = rows.contains { $0.trial.repetition > 0 }
        var header = columns
        var body = rows.prefix(limit).map(cells)
        if !showRepeat {
            header.remove(at: 1)
            body = body.map { var cells = $0; cells.remove(at: 1); return cells }
        }
        let widths = header.indices.map { column in
            ([header[column]] + body.map { $0[column] }).map(\.count).max() ?? 0
        }
        // Numeric columns are right-aligned, header included; text left-aligned.
        let numeric = header.indices.map { column in
            body.contains { !$0[column].isEmpty } && body.allSatisfy { $0[column].isEmpty || Double($0[column]) != nil }
        }
        func line(_ cells: [String]) -> String {
            cells.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - cells[column].count)
                return numeric[column] ? padding + cells[column] : cells[column] + padding
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var lines = [line(header), widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")]
        lines += body.map(line)
        if rows.count > limit {
            lines.append("… \(rows.count - limit) more rows in results.csv")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func text(_ value: ResultValue) -> String {
        switch value {
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(format: "%.6g", number)
        case .text(let text): text
        }
    }

    static func json(_ value: ResultValue) -> String {
        switch value {
        case .number(let number): number.isFinite ? "\(number)" : "null"
        case .text(let text): JSONText.quote(text)
        }
    }

    public static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
