import AssayCore
import AssayStore
import Synchronization

/// An experiment's leased trials as AssayCore's results table (best first by
/// the objective): what results.csv/json, the bundle and the completion mail show.
enum ExperimentResults {
    /// `owner` nil reads any experiment (the Runner routes have checked the token).
    static func table(of record: ExperimentRecord, owner: UserID?, store: any ExperimentStore) async throws -> ResultsTable {
        let declaration = try Declaration.parse(record.declaration)
        guard let planned = PlannedTrials(record) else { throw APIError.badRequest("the experiment's declaration no longer plans") }
        let rows = Mutex<[TrialResult]>([])
        try await store.forEachTrial(experiment: record.id, owner: owner) { trial in
            guard let plannedTrial = planned.trial(trial) else { return }
            let result = TrialResult(
                trial: plannedTrial, status: trial.status, attempts: trial.attempts.count,
                seconds: trial.attempts.last?.seconds ?? 0, metrics: trial.final)
            rows.withLock { $0.append(result) }
        }
        return ResultsTable(results: rows.withLock { $0 }, parameters: declaration.parameters, objective: declaration.objective)
    }
}
