import AssayCore
import Foundation

/// Metric buckets and log chunks: one document per event of a batch (split into pieces
/// when large), written with a unique key so a replayed batch adds nothing.
///
/// ```
/// metrics: {_id, experiment, trial, attempt, seq, event, piece, runner,
///           steps: [int | null], series: [{name, values: [number | null]}]}
/// logs:    {_id, experiment, trial, attempt, seq, event, piece, runner,
///           stream, lines: [string], count}
/// ```
/// Metric names are values, never field names. Within a trial, (attempt, seq, event,
/// piece) is the order things happened: one runner holds an attempt, and its seq grows.
extension MongoStore {
    /// Log lines kept per trial (at least; whole chunks are dropped).
    static let keptLogLines = 1_000

    static func metricBuckets(_ key: BucketKey, steps: [Int?], values: [String: [Double?]]) throws -> [BSON.Document] {
        let names = values.keys.sorted()
        let points = max(steps.count, values.values.map(\.count).max() ?? 0)
        guard points > 0 else { return [] }
        let header = names.reduce(0) { $0 + $1.utf8.count + 64 }
        guard header < 3 * pieceBytes else { throw StoreError.invalid("metric names of one event exceed \(3 * pieceBytes) bytes") }
        let perPiece = max(1, (pieceBytes - min(header, pieceBytes / 2)) / (16 + 16 * names.count))
        return stride(from: 0, to: points, by: perPiece).enumerated().map { piece, start in
            let range = start..<min(points, start + perPiece)
            var bucket = key.fields(piece: piece)
            bucket["steps"] = .array(range.map { $0 < steps.count ? .optional(steps[$0]) : .null })
            bucket["series"] = .array(names.map { name in
                let column = values[name] ?? []
                return .document(["name": .string(name), "values": .array(range.map { $0 < column.count ? StoredValue.number(column[$0]) : .null })])
            })
            return bucket
        }
    }

    static func logChunks(_ key: BucketKey, stream: LogStream, lines: [String]) throws -> [BSON.Document] {
        var chunks: [BSON.Document] = []
        var current: [String] = []
        var bytes = 0
        func close() {
            guard !current.isEmpty else { return }
            var chunk = key.fields(piece: chunks.count)
            chunk["stream"] = .string(stream.rawValue)
            chunk["lines"] = .array(current.map(BSON.string))
            chunk["count"] = .int(current.count)
            chunks.append(chunk)
            current = []
            bytes = 0
        }
        for line in lines {
            let size = line.utf8.count + 16
            guard size < 3 * pieceBytes else { throw StoreError.invalid("a log line of \(line.utf8.count) bytes is too long to store") }
            if bytes + size > pieceBytes { close() }
            current.append(line)
            bytes += size
        }
        close()
        return chunks
    }

    /// Deletes the oldest log chunks of `trials` beyond each one's newest ``keptLogLines``
    /// lines (one query for all of them).
    static func pruneLogs(experiment: ExperimentID, trials: Set<Int>, _ connection: MongoConnection) throws {
        guard !trials.isEmpty else { return }
        var kept: [Int: Int] = [:]
        var stale: [BSON] = []
        try connection.forEach(Collections.logs, [
            "experiment": .string(experiment), "trial": ["$in": .array(trials.sorted().map(BSON.int))],
        ], .init(sort: newestFirst, projection: ["trial": 1, "count": 1])) { chunk in
            let trial = try chunk.int("trial")
            if kept[trial, default: 0] >= keptLogLines, let id = chunk["_id"] { stale.append(id) }
            kept[trial, default: 0] += chunk.optionalInt("count") ?? 0
            return true
        }
        if !stale.isEmpty {
            try connection.delete(Collections.logs, filter: ["_id": ["$in": .array(stale)]])
        }
    }

    static let oldestFirst: BSON.Document = ["attempt": 1, "seq": 1, "event": 1, "piece": 1]
    static let newestFirst: BSON.Document = ["attempt": -1, "seq": -1, "event": -1, "piece": -1]

    /// Merges a trial's buckets into one columnar series per attempt.
    static func metricSeries(experiment: ExperimentID, trial: Int, _ connection: MongoConnection) throws -> [MetricSeries] {
        var series: [MetricSeries] = []
        try connection.forEach(Collections.metrics, ["experiment": .string(experiment), "trial": .int(trial)], .init(sort: oldestFirst)) { bucket in
            let attempt = try bucket.int("attempt")
            if series.last?.attempt != attempt { series.append(MetricSeries(attempt: attempt, steps: [], values: [:])) }
            let steps = bucket["steps"]?.array ?? []
            let before = series[series.count - 1].steps.count
            series[series.count - 1].steps += steps.map(\.int)
            var seen = Set<String>()
            for column in bucket.documents("series") {
                let name = try column.string("name")
                seen.insert(name)
                let values = (column["values"]?.array ?? []).map(StoredValue.number(from:))
                let padded = values + Array(repeating: nil, count: max(0, steps.count - values.count))
                series[series.count - 1].values[name, default: Array(repeating: nil, count: before)] += padded.prefix(steps.count)
            }
            for name in series[series.count - 1].values.keys where !seen.contains(name) {
                series[series.count - 1].values[name]! += Array(repeating: nil, count: steps.count)
            }
            return true
        }
        return series
    }

    /// The last `limit` lines of a trial, oldest first.
    static func logTail(experiment: ExperimentID, trial: Int, limit: Int, _ connection: MongoConnection) throws -> [LogLine] {
        guard limit > 0 else { return [] }
        var newestChunks: [[LogLine]] = []
        var collected = 0
        try connection.forEach(Collections.logs, ["experiment": .string(experiment), "trial": .int(trial)], .init(sort: newestFirst)) { chunk in
            let attempt = try chunk.int("attempt")
            let stream = try chunk.enumeration("stream", as: LogStream.self)
            let lines = chunk.strings("lines").map { LogLine(attempt: attempt, stream: stream, text: $0) }
            newestChunks.append(lines)
            collected += lines.count
            return collected < limit
        }
        return Array(newestChunks.reversed().joined().suffix(limit))
    }
}

/// Where a metric bucket or log chunk belongs; also its unique key.
struct BucketKey {
    var experiment: ExperimentID
    var trial: Int
    var attempt: Int
    var runner: RunnerID
    var seq: Int
    var event: Int

    init(batch: EventBatch, trial: Int, attempt: Int, event: Int) {
        experiment = batch.experiment
        self.trial = trial
        self.attempt = attempt
        runner = batch.runner
        seq = batch.seq
        self.event = event
    }

    func fields(piece: Int) -> BSON.Document {
        [
            "_id": .string("\(experiment)/\(trial)/\(attempt)/\(seq)/\(event)/\(piece)/\(StoredValue.fieldKey(runner))"),
            "experiment": .string(experiment), "trial": .int(trial), "attempt": .int(attempt), "seq": .int(seq),
            "event": .int(event), "piece": .int(piece), "runner": .string(runner),
        ]
    }
}
