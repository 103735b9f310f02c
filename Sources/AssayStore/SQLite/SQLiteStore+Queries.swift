import AssayCore
import Foundation
import GRDB

/// Reading trials, their metric series and logs.
extension SQLiteStore {
    /// Trials per page of `forEachTrial`: bounds memory whatever the sweep's size.
    static let trialPageSize = 256

    public func trials(experiment id: ExperimentID, owner: UserID?, query: TrialQuery) async throws -> [TrialRecord] {
        var sql = "SELECT t.* FROM trials t"
        var arguments: StatementArguments = []
        var ordering = "t.idx"
        if case .metric(let name, let descending) = query.order {
            // The name is bound, never spliced: metric names are arbitrary text.
            sql += " LEFT JOIN trial_metrics m ON m.experiment = t.experiment AND m.trial = t.idx AND m.name = ?"
            arguments += [Self.bytes(name)]
            ordering = "m.number IS NULL, m.number \(descending ? "DESC" : "ASC"), t.idx"
        }
        sql += " WHERE t.experiment = ?"
        arguments += [id]
        if let status = query.status {
            sql += " AND t.status = ?"
            arguments += [status.rawValue]
        }
        sql += " ORDER BY \(ordering) LIMIT ? OFFSET ?"
        arguments += [max(0, query.limit), max(0, query.offset)]
        return try await read { [sql, arguments] db in
            try Self.requireVisible(db, experiment: id, owner: owner)
            return try Self.trialRecords(db, experiment: id, trials: StoredTrial.fetchAll(db, sql: sql, arguments: arguments))
        }
    }

    public func trial(experiment id: ExperimentID, index: Int, owner: UserID?) async throws -> TrialRecord? {
        try await read { db in
            try Self.requireVisible(db, experiment: id, owner: owner)
            guard let trial = try StoredTrial.fetch(db, experiment: id, index: index) else { return nil }
            return try Self.trialRecords(db, experiment: id, trials: [trial]).first
        }
    }

    /// Pages through the trials by index (keyset: each page starts after the
    /// last index seen), so memory stays bounded and `body` may suspend between
    /// trials without holding a database connection.
    public func forEachTrial(
        experiment id: ExperimentID, owner: UserID?, _ body: @Sendable (TrialRecord) async throws -> Void
    ) async throws {
        var after = -1
        while true {
            let page = try await read { [after] db in
                try Self.requireVisible(db, experiment: id, owner: owner)
                let trials = try StoredTrial.fetchAll(
                    db, sql: "SELECT * FROM trials WHERE experiment = ? AND idx > ? ORDER BY idx LIMIT ?",
                    arguments: [id, after, Self.trialPageSize])
                return try Self.trialRecords(db, experiment: id, trials: trials)
            }
            for trial in page { try await body(trial) }
            guard page.count == Self.trialPageSize, let last = page.last else { return }
            after = last.index
        }
    }

    public func metricSeries(experiment id: ExperimentID, trial: Int, owner: UserID?) async throws -> [MetricSeries] {
        try await read { db in
            try Self.requireVisible(db, experiment: id, owner: owner)
            var series: [MetricSeries] = []
            var current: (attempt: Int, columns: MetricColumns)?
            let rows = try Row.fetchCursor(
                db, sql: "SELECT attempt, columns FROM metric_buckets WHERE experiment = ? AND trial = ? ORDER BY attempt, id",
                arguments: [id, trial])
            while let row = try rows.next() {
                let attempt: Int = try row.decode(forColumn: "attempt")
                let bucket = try Self.fromJSON(MetricColumns.self, try row.decode(forColumn: "columns"))
                if let (previous, columns) = current, previous != attempt {
                    series.append(MetricSeries(attempt: previous, steps: columns.steps, values: columns.values))
                    current = nil
                }
                current = (attempt, current?.columns ?? MetricColumns())
                current!.columns.append(bucket)
            }
            if let (attempt, columns) = current {
                series.append(MetricSeries(attempt: attempt, steps: columns.steps, values: columns.values))
            }
            return series
        }
    }

    public func logs(experiment id: ExperimentID, trial: Int, owner: UserID?, limit: Int) async throws -> [LogLine] {
        try await read { db in
            try Self.requireVisible(db, experiment: id, owner: owner)
            let rows = try Row.fetchAll(
                db, sql: "SELECT attempt, stream, text FROM log_lines WHERE experiment = ? AND trial = ? ORDER BY id DESC LIMIT ?",
                arguments: [id, trial, max(0, limit)])
            return try rows.reversed().map { row in
                LogLine(
                    attempt: try row.decode(forColumn: "attempt"), stream: try Self.decode(LogStream.self, row, "stream"),
                    text: try Self.text(row, "text"))
            }
        }
    }

    /// Every query on an experiment the caller cannot see (missing, or another
    /// owner's) throws ``StoreError/notFound``, which the server answers with 404.
    private static func requireVisible(_ db: Database, experiment id: ExperimentID, owner: UserID?) throws {
        guard try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM experiments WHERE id = ? AND (?2 IS NULL OR owner = ?2))", arguments: [id, owner]
        ) == true else {
            throw StoreError.notFound("experiment \(id)")
        }
    }
}
