import Foundation

extension SQLiteStore {
    /// Metric points of one attempt, columnar: `values[name][k]` belongs to
    /// `steps[k]`. A batch's points for one attempt are stored as one bucket of
    /// this shape (JSON in `metric_buckets.columns`); reading merges the buckets.
    struct MetricColumns: Codable, Sendable {
        var steps: [Int?] = []
        var values: [String: [Double?]] = [:]

        /// Appends points. A column shorter than the others, or a name missing on
        /// either side, is padded with nulls, so every column keeps `steps`' length.
        mutating func append(steps newSteps: [Int?], values newValues: [String: [Double?]]) {
            let start = steps.count
            let added = newValues.values.reduce(newSteps.count) { Swift.max($0, $1.count) }
            steps += newSteps + Array(repeating: nil, count: added - newSteps.count)
            for (name, column) in newValues {
                values[name, default: Array(repeating: nil, count: start)] += column + Array(repeating: nil, count: added - column.count)
            }
            for name in values.keys where newValues[name] == nil {
                values[name]! += Array(repeating: nil, count: added)
            }
        }

        mutating func append(_ other: MetricColumns) {
            append(steps: other.steps, values: other.values)
        }
    }
}
