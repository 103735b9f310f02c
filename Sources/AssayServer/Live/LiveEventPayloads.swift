import AssayCore
import AssayStore
import Foundation

/// The JSON of each live event type: `experiment` (state and counts),
/// `metrics` (columnar, as Runners send them), `log` and `trial` (an attempt ended).
enum LiveEventPayloads {
    private struct ExperimentState: Encodable {
        var id: String
        var status: ExperimentStatus
        var reason: String?
        var counts: TrialCounts
    }

    private struct MetricPoints: Encodable {
        var trial: Int
        var attempt: Int
        var steps: [Int?]
        var metrics: [String: [Double?]]
    }

    private struct LogLines: Encodable {
        var trial: Int
        var attempt: Int
        var stream: LogStream
        var lines: [String]
    }

    private struct TrialEnded: Encodable {
        var trial: Int
        var attempt: Int
        var status: TrialStatus
        var exitCode: Int32?
        var seconds: Double
        var metrics: Metrics
        var reason: String?
    }

    static func experiment(_ record: ExperimentRecord) -> (type: String, data: String) {
        ("experiment", encode(ExperimentState(id: record.id, status: record.status, reason: record.reason, counts: record.counts)))
    }

    static func event(_ event: RunnerEvent) -> (type: String, data: String) {
        switch event {
        case .metrics(let trial, let attempt, let steps, let values):
            ("metrics", encode(MetricPoints(trial: trial, attempt: attempt, steps: steps, metrics: values)))
        case .log(let trial, let attempt, let stream, let lines):
            ("log", encode(LogLines(trial: trial, attempt: attempt, stream: stream, lines: lines)))
        case .finished(let trial, let attempt, let status, let exitCode, let seconds, let final, let reason):
            ("trial", encode(TrialEnded(trial: trial, attempt: attempt, status: status, exitCode: exitCode, seconds: seconds, metrics: final, reason: reason)))
        }
    }

    private static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
