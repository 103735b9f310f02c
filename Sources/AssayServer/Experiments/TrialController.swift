import AssayCore
import AssayStore
import Foundation
import Hummingbird
import Synchronization

/// An experiment's trials, their logs, and its results as CSV, JSON or a
/// ZIP bundle with the logs.
/// Parameters are recomputed from the stored declaration's plan (an adaptive
/// search's trials store what their searcher proposed).
struct TrialController: Sendable {
    let store: any ExperimentStore
    let experiments: ExperimentController

    func addRoutes(to group: RouterGroup<AssayRequestContext>) {
        group.get("experiments/{id}/trials", use: trials)
        group.get("experiments/{id}/trials/{index}/logs", use: logs)
        group.get("experiments/{id}/results.csv", use: resultsCSV)
        group.get("experiments/{id}/results.json", use: resultsJSON)
        group.get("experiments/{id}/bundle.zip", use: bundle)
        group.get("experiments/{id}/trials/{index}/metrics", use: metrics)
    }

    /// `?metric=loss&order=asc|desc&status=&offset=&limit=` (index order without `metric`).
    @Sendable func trials(_ request: Request, context: AssayRequestContext) async throws -> TrialListResponse {
        let (record, scope) = try await experiments.readable(context)
        let query = request.uri.queryParameters
        var trialQuery = TrialQuery()
        let descending: Bool
        switch query["order"].map(String.init) {
        case nil, "asc": descending = false
        case "desc": descending = true
        default: throw APIError.badRequest("order must be asc or desc")
        }
        if let metric = query["metric"].map(String.init), !metric.isEmpty {
            trialQuery.order = .metric(metric, descending: descending)
        }
        if let status = query["status"].map(String.init) {
            guard let value = TrialStatus(rawValue: status) else {
                throw APIError.badRequest("status must be one of \(TrialStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            trialQuery.status = value
        }
        if let offset = query["offset"].map(String.init) {
            guard let value = Int(offset), value >= 0 else { throw APIError.badRequest("offset must be 0 or more") }
            trialQuery.offset = value
        }
        if let limit = query["limit"].map(String.init) {
            guard let value = Int(limit), (1...1000).contains(value) else { throw APIError.badRequest("limit must be 1 to 1000") }
            trialQuery.limit = value
        }
        let planned = PlannedTrials(record)
        let found = try await store.trials(experiment: record.id, owner: scope, query: trialQuery)
        return TrialListResponse(items: found.map { TrialResponse($0, planned: planned?.trial($0)) })
    }

    /// `?limit=` lines (default 1000, at most 10000), the last ones, oldest first.
    @Sendable func logs(_ request: Request, context: AssayRequestContext) async throws -> LogListResponse {
        let (record, scope) = try await experiments.readable(context)
        guard let index = context.parameters.get("index", as: Int.self), (0..<record.trialCount).contains(index) else {
            throw APIError.notFound("trial")
        }
        var limit = 1000
        if let text = request.uri.queryParameters["limit"].map(String.init) {
            guard let value = Int(text), (1...10_000).contains(value) else { throw APIError.badRequest("limit must be 1 to 10000") }
            limit = value
        }
        let lines = try await store.logs(experiment: record.id, trial: index, owner: scope, limit: limit)
        return LogListResponse(lines: lines)
    }

    /// Every metric series the trial reported (`@assay` lines), by step, for charts.
    @Sendable func metrics(_ request: Request, context: AssayRequestContext) async throws -> MetricSeriesResponse {
        let (record, scope) = try await experiments.readable(context)
        guard let index = context.parameters.get("index", as: Int.self), (0..<record.trialCount).contains(index) else {
            throw APIError.notFound("trial")
        }
        let series = try await store.metricSeries(experiment: record.id, trial: index, owner: scope)
        return MetricSeriesResponse(trial: index, series: series.flatMap { attempt in
            attempt.values.keys.sorted().map { name in
                MetricSeriesResponse.Series(name: name, attempt: attempt.attempt, steps: attempt.steps, values: attempt.values[name] ?? [])
            }
        })
    }

    @Sendable func resultsCSV(_ request: Request, context: AssayRequestContext) async throws -> Response {
        let (record, table) = try await results(context)
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(record.id).csv\""],
            body: .init(byteBuffer: ByteBuffer(string: table.csv())))
    }

    @Sendable func resultsJSON(_ request: Request, context: AssayRequestContext) async throws -> Response {
        let (record, table) = try await results(context)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: table.json(experiment: record.id))))
    }

    /// `results.csv`, `results.json`, the declaration (`assay.yaml`: JSON is
    /// YAML too) and `logs/trial-<index>.log` for every leased trial, written
    /// into the response one entry at a time.
    @Sendable func bundle(_ request: Request, context: AssayRequestContext) async throws -> Response {
        let (record, table) = try await results(context)
        let scope = try await experiments.readable(context).scope
        let indexes = table.rows.map(\.trial.index).sorted()
        let store = self.store
        let modified = record.finishedAt ?? record.createdAt
        let body = ResponseBody { writer in
            var zip = ZipStream(modified: modified)
            try await writer.write(zip.entry(named: "results.csv", contents: Array(table.csv().utf8)))
            try await writer.write(zip.entry(named: "results.json", contents: Array(table.json(experiment: record.id).utf8)))
            try await writer.write(zip.entry(named: "assay.yaml", contents: Array(record.declaration.utf8)))
            for index in indexes where zip.entryCount < ZipStream.maxEntries {
                let lines = try await store.logs(experiment: record.id, trial: index, owner: scope, limit: Self.bundleLogLines)
                let text = lines.map { "[\($0.attempt) \($0.stream.rawValue)] \($0.text)\n" }.joined()
                try await writer.write(zip.entry(named: "logs/trial-\(index).log", contents: Array(text.utf8)))
            }
            try await writer.write(zip.finish())
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/zip", .contentDisposition: "attachment; filename=\"\(record.id).zip\""],
            body: body)
    }

    /// The log lines of a trial a bundle keeps (the store keeps a tail anyway).
    static let bundleLogLines = 100_000

    /// Every leased trial as a row of AssayCore's results table.
    private func results(_ context: AssayRequestContext) async throws -> (ExperimentRecord, ResultsTable) {
        let (record, scope) = try await experiments.readable(context)
        return (record, try await ExperimentResults.table(of: record, owner: scope, store: store))
    }

}

/// A trial as the API shows it: its state, every attempt, the final metrics
/// and the parameters it runs with.
struct TrialResponse: ResponseEncodable {
    var index: Int
    var status: TrialStatus
    var attempt: Int
    var attempts: [AttemptRecord]
    var metrics: Metrics
    var parameters: [String: String]?

    init(_ record: TrialRecord, planned: PlannedTrial?) {
        index = record.index
        status = record.status
        attempt = record.attempt
        attempts = record.attempts
        metrics = record.final
        parameters = planned.map { Dictionary($0.parameters.values.map { ($0.name, $0.value.description) }, uniquingKeysWith: { $1 }) }
    }
}

struct TrialListResponse: ResponseEncodable {
    var items: [TrialResponse]
}

struct LogListResponse: ResponseEncodable {
    var lines: [LogLine]
}

/// `GET …/trials/{index}/metrics`: one series per metric and attempt, steps and values aligned
/// (null where the step or the value was not reported).
struct MetricSeriesResponse: ResponseEncodable {
    struct Series: Encodable {
        var name: String
        var attempt: Int
        var steps: [Int?]
        var values: [Double?]
    }
    var trial: Int
    var series: [Series]
}
