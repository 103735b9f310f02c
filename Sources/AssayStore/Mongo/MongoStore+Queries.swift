import AssayCore
import Foundation

extension MongoStore {
    public func trials(experiment: ExperimentID, owner: UserID?, query: TrialQuery) async throws -> [TrialRecord] {
        try await run { connection in
            try Self.requireVisible(experiment, owner: owner, connection)
            guard query.limit > 0 else { return [] }
            var filter: BSON.Document = ["experiment": .string(experiment)]
            if let status = query.status { filter["status"] = .string(status.rawValue) }
            switch query.order {
            case .index:
                return try connection.find(Collections.trials, filter, .init(sort: ["index": 1], skip: query.offset, limit: query.limit))
                    .map { try StoredTrial(document: $0).record }
            case .metric(let name, let descending):
                return try Self.trialsByMetric(name, descending: descending, filter: filter, query: query, connection)
            }
        }
    }

    /// Trials with the metric as a number, sorted by it (ties by index), then the trials
    /// without it by index: two queries, because servers sort missing values first.
    private static func trialsByMetric(_ name: String, descending: Bool, filter: BSON.Document, query: TrialQuery,
                                       _ connection: MongoConnection) throws -> [TrialRecord] {
        let field = "order.\(StoredValue.fieldKey(name))"
        var having = filter
        having[field] = ["$exists": true]
        var lacking = filter
        lacking[field] = ["$exists": false]
        let withMetric = try connection.count(Collections.trials, having)
        var documents: [BSON.Document] = []
        if query.offset < withMetric {
            documents += try connection.find(Collections.trials, having, .init(
                sort: [field: descending ? -1 : 1, "index": 1], skip: query.offset, limit: query.limit))
        }
        if documents.count < query.limit {
            documents += try connection.find(Collections.trials, lacking, .init(
                sort: ["index": 1], skip: max(0, query.offset - withMetric), limit: query.limit - documents.count))
        }
        return try documents.map { try StoredTrial(document: $0).record }
    }

    public func trial(experiment: ExperimentID, index: Int, owner: UserID?) async throws -> TrialRecord? {
        try await run { connection in
            try Self.requireVisible(experiment, owner: owner, connection)
            return try Self.loadTrial(connection, experiment: experiment, index: index)?.record
        }
    }

    /// Pages through the trials by index (no cursor is held while `body` runs).
    public func forEachTrial(experiment: ExperimentID, owner: UserID?, _ body: @Sendable (TrialRecord) async throws -> Void) async throws {
        try await run { connection in try Self.requireVisible(experiment, owner: owner, connection) }
        var after = -1
        while true {
            let page = try await run { [after] connection in
                try connection.find(Collections.trials, ["experiment": .string(experiment), "index": ["$gt": .int(after)]],
                                    .init(sort: ["index": 1], limit: 256)).map { try StoredTrial(document: $0).record }
            }
            for trial in page {
                try await body(trial)
            }
            guard let last = page.last, page.count == 256 else { return }
            after = last.index
        }
    }

    public func metricSeries(experiment: ExperimentID, trial: Int, owner: UserID?) async throws -> [MetricSeries] {
        try await run { connection in
            try Self.requireVisible(experiment, owner: owner, connection)
            return try Self.metricSeries(experiment: experiment, trial: trial, connection)
        }
    }

    public func logs(experiment: ExperimentID, trial: Int, owner: UserID?, limit: Int) async throws -> [LogLine] {
        try await run { connection in
            try Self.requireVisible(experiment, owner: owner, connection)
            return try Self.logTail(experiment: experiment, trial: trial, limit: limit, connection)
        }
    }

    /// Queries on an experiment the caller cannot see (another owner's, or none) are `notFound`.
    private static func requireVisible(_ experiment: ExperimentID, owner: UserID?, _ connection: MongoConnection) throws {
        let filter: BSON.Document = owner.map { ["_id": .string(experiment), "owner": .string($0)] } ?? ["_id": .string(experiment)]
        guard try connection.findOne(Collections.experiments, filter, projection: ["_id": 1]) != nil else {
            throw StoreError.notFound("experiment \(experiment)")
        }
    }
}
