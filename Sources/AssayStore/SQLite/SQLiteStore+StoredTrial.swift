import AssayCore
import Foundation
import GRDB

extension SQLiteStore {
    /// A trial row: the queue's state of one leased trial (attempts and final
    /// metrics live in their own tables).
    struct StoredTrial: FetchableRecord {
        var index: Int
        var status: TrialStatus
        /// The current (or last) attempt, 1-based.
        var attempt: Int
        var runner: RunnerID?
        var leaseDeadline: Date?
        /// How many of its attempts ended because their lease expired (`RetryRule`).
        var lostLeases: Int
        /// What a searcher proposed (adaptive experiments only); never changes.
        var parameters: StoredParameters?

        init(index: Int, status: TrialStatus, attempt: Int, runner: RunnerID?, leaseDeadline: Date?, parameters: StoredParameters? = nil) {
            self.index = index
            self.status = status
            self.attempt = attempt
            self.runner = runner
            self.leaseDeadline = leaseDeadline
            self.parameters = parameters
            lostLeases = 0
        }

        init(row: Row) throws {
            index = try row.decode(forColumn: "idx")
            status = try decode(TrialStatus.self, row, "status")
            attempt = try row.decode(forColumn: "attempt")
            runner = try row.decode(forColumn: "runner")
            leaseDeadline = try optionalDate(row, "leaseDeadline")
            lostLeases = try row.decode(forColumn: "lostLeases")
            parameters = try row.decode(String?.self, forColumn: "parameters").map { try fromJSON(StoredParameters.self, $0) }
        }

        static func fetch(_ db: Database, experiment: ExperimentID, index: Int) throws -> StoredTrial? {
            try fetchOne(db.cachedStatement(sql: "SELECT * FROM trials WHERE experiment = ? AND idx = ?"), arguments: [experiment, index])
        }

        func insert(_ db: Database, experiment: ExperimentID) throws {
            try db.cachedStatement(
                sql: "INSERT INTO trials (experiment, idx, status, attempt, runner, leaseDeadline, lostLeases, parameters) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [
                experiment, index, status.rawValue, attempt, runner, leaseDeadline?.timeIntervalSince1970, lostLeases,
                try parameters.map(json),
            ])
        }

        func save(_ db: Database, experiment: ExperimentID) throws {
            try db.cachedStatement(
                sql: "UPDATE trials SET status = ?, attempt = ?, runner = ?, leaseDeadline = ?, lostLeases = ? WHERE experiment = ? AND idx = ?"
            ).execute(arguments: [status.rawValue, attempt, runner, leaseDeadline?.timeIntervalSince1970, lostLeases, experiment, index])
        }
    }

    /// Full records for trial rows already fetched: their attempts and final
    /// metrics come in two queries for the whole set, not two per trial.
    static func trialRecords(_ db: Database, experiment: ExperimentID, trials: [StoredTrial]) throws -> [TrialRecord] {
        guard !trials.isEmpty else { return [] }
        let indexes = try json(trials.map(\.index))
        var attempts: [Int: [AttemptRecord]] = [:]
        let attemptRows = try Row.fetchCursor(
            db.cachedStatement(sql: """
                SELECT * FROM attempts WHERE experiment = ? AND trial IN (SELECT value FROM json_each(?))
                ORDER BY trial, attempt
                """),
            arguments: [experiment, indexes])
        while let row = try attemptRows.next() {
            attempts[try row.decode(forColumn: "trial"), default: []].append(
                AttemptRecord(
                    attempt: try row.decode(forColumn: "attempt"),
                    runner: try row.decode(forColumn: "runner"),
                    status: try decode(TrialStatus.self, row, "status"),
                    exitCode: try row.decode(forColumn: "exitCode"),
                    reason: try row.decode(forColumn: "reason"),
                    leasedAt: try date(row, "leasedAt"),
                    finishedAt: try optionalDate(row, "finishedAt"),
                    seconds: try row.decode(forColumn: "seconds")))
        }
        var finals: [Int: Metrics] = [:]
        let metricRows = try Row.fetchCursor(
            db.cachedStatement(sql: """
                SELECT trial, name, number, text FROM trial_metrics
                WHERE experiment = ? AND trial IN (SELECT value FROM json_each(?))
                ORDER BY trial, position
                """),
            arguments: [experiment, indexes])
        while let row = try metricRows.next() {
            let value: ResultValue =
                if let number = try row.decode(Double?.self, forColumn: "number") { .number(number) } else { .text(try text(row, "text")) }
            finals[try row.decode(forColumn: "trial"), default: Metrics()][try text(row, "name")] = value
        }
        return trials.map { trial in
            TrialRecord(
                experiment: experiment, index: trial.index, status: trial.status, attempt: trial.attempt, runner: trial.runner,
                leaseDeadline: trial.leaseDeadline, attempts: attempts[trial.index] ?? [], final: finals[trial.index] ?? Metrics(),
                parameters: trial.parameters)
        }
    }

    /// Replaces a trial's final metrics (one row per name, so trials sort by a metric in SQL).
    static func storeFinalMetrics(_ db: Database, experiment: ExperimentID, trial: Int, _ metrics: Metrics) throws {
        try db.executeCached(sql: "DELETE FROM trial_metrics WHERE experiment = ? AND trial = ?", arguments: [experiment, trial])
        let insert = try db.cachedStatement(
            sql: "INSERT INTO trial_metrics (experiment, trial, position, name, number, text) VALUES (?, ?, ?, ?, ?, ?)")
        for (position, entry) in metrics.entries.enumerated() {
            switch entry.value {
            case .number(let number):
                try checkFinite(number, "final metric")
                try insert.execute(arguments: [experiment, trial, position, bytes(entry.name), number, nil])
            case .text(let text):
                try insert.execute(arguments: [experiment, trial, position, bytes(entry.name), nil, bytes(text)])
            }
        }
    }
}
