import AssayCore
import AssayStore
import Foundation

/// The lease path of adaptive experiments (`sweep.strategy: asha | tpe`): when a
/// Runner asks for trials, the experiment's searcher proposes the next ones from
/// every trial so far, and the store creates them from those proposals.
///
/// The searcher keeps no state of its own: it is a function of the declaration, its
/// seed and the stored trials, so a restarted server proposes exactly what the old
/// one would have. Leases of one experiment are serialized here, so each proposal
/// sees the trials the previous lease created; the store refuses proposals made for
/// a history that moved on anyway (another server, a race), and they are made again.
struct AdaptiveSearch: Sendable {
    let store: any ExperimentStore
    private let queue = KeyedSerialQueue<ExperimentID>()
    private let declarations = ParsedDeclarations()

    /// The most trials proposed for one lease (a Runner asks for as many as it has free slots).
    static let maxProposals = 64
    /// Trials read per query while rebuilding the history.
    static let pageSize = 1000

    init(store: any ExperimentStore) {
        self.store = store
    }

    /// The leases for `runner`: a plain lease for a fixed plan, proposals first for an adaptive one.
    func lease(_ record: ExperimentRecord, runner: RunnerID, max: Int, now: Date) async throws -> [TrialLease] {
        guard let declaration = declarations.declaration(of: record), let searcher = Search.searcher(for: declaration) else {
            return try await store.lease(experiment: record.id, runner: runner, max: max, now: now)
        }
        return try await queue.run(record.id) { [store] in
            let history = try await Self.history(of: record, declaration: declaration, store: store)
            var proposed: [StoredParameters] = []
            var extended = history
            while proposed.count < Swift.min(max, Self.maxProposals), history.count + proposed.count < record.trialCount,
                let parameters = searcher.propose(history: extended)
            {
                proposed.append(StoredParameters(parameters))
                extended.append(SearchTrial(index: extended.count, parameters: parameters, state: .pending))
            }
            return try await store.lease(
                experiment: record.id, runner: runner, max: max,
                proposals: TrialProposals(firstIndex: history.count, parameters: proposed), now: now)
        }
    }

    /// Every trial created so far, in index order, as the searcher sees it.
    static func history(of record: ExperimentRecord, declaration: Declaration, store: any ExperimentStore) async throws -> [SearchTrial] {
        var history: [SearchTrial] = []
        while true {
            let page = try await store.trials(
                experiment: record.id, owner: nil, query: TrialQuery(order: .index, offset: history.count, limit: pageSize))
            for trial in page {
                guard trial.index == history.count else {
                    throw StoreError.failure("experiment \(record.id): trial \(history.count) is missing from its history")
                }
                guard let stored = trial.parameters else {
                    throw StoreError.failure("experiment \(record.id): trial \(trial.index) has no stored parameters")
                }
                let parameters = try stored.parameterSet(for: declaration.parameters)
                history.append(SearchTrial(index: trial.index, parameters: parameters, state: state(of: trial, declaration)))
            }
            if page.count < pageSize { return history }
        }
    }

    /// A trial's standing: its objective once it succeeded (or the best it reached before it was stopped).
    static func state(of trial: TrialRecord, _ declaration: Declaration) -> SearchTrial.State {
        let objective = declaration.objective.flatMap { trial.final[$0.metric]?.number }
        switch trial.status {
        case .pending, .running: return .pending
        case .succeeded: return .completed(objective)
        case .stoppedEarly: return .stoppedEarly(objective)
        case .failed, .timedOut, .canceled: return .failed
        }
    }
}
