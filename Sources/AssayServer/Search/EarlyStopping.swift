import AssayCore
import AssayStore
import Foundation

/// The declaration's `early_stopping` rule, applied as metrics arrive: after each
/// batch, every attempt that reported the rule's metric is compared with the
/// completed trials (the median stopping rule), and one worse than their median is
/// ended `stopped_early` at once. The Runner learns it in the answer to the same
/// batch (its attempt comes back revoked) and kills the trial's process group.
///
/// Completed trials' curves never change, so they are read once and kept per
/// experiment; a running trial's curve is read from the store each time it reports.
actor EarlyStopping {
    /// One attempt ended by the rule, for the batch's answer and the live stream.
    struct Stop: Sendable {
        var attempt: TrialAttempt
        var reason: String
        var final: Metrics
    }

    private struct Watch {
        var metric: String
        var goal: Objective.Goal
        var rule: MedianStoppingRule
        /// The curves of the succeeded trials read so far, by trial index.
        var completed: [Int: [MetricStep]] = [:]
    }

    let store: any ExperimentStore
    /// nil: the experiment has no rule (or its declaration cannot be read).
    private var watches: [ExperimentID: Watch?] = [:]

    init(store: any ExperimentStore) {
        self.store = store
    }

    /// Stops what the rule says to stop among the attempts `events` reported metrics for.
    func review(_ record: ExperimentRecord, events: [RunnerEvent], now: Date) async throws -> [Stop] {
        guard !record.status.isFinal, var watch = watch(record) else { return [] }
        var candidates: [TrialAttempt] = []
        var ended: Set<Int> = []
        for event in events {
            switch event {
            case .metrics(let trial, let attempt, _, let values) where values[watch.metric] != nil:
                candidates.append(TrialAttempt(trial: trial, attempt: attempt))
            case .finished(let trial, _, _, _, _, _, _):
                ended.insert(trial)
            default:
                break
            }
        }
        candidates = Array(Set(candidates.filter { !ended.contains($0.trial) })).sorted()
        guard !candidates.isEmpty else { return [] }

        try await refreshCompleted(&watch, record)
        watches[record.id] = watch
        let completed = Array(watch.completed.values)
        guard completed.count >= 1 else { return [] }

        var stops: [Stop] = []
        for attempt in candidates {
            let series = try await store.metricSeries(experiment: record.id, trial: attempt.trial, owner: nil)
            guard let curve = series.last(where: { $0.attempt == attempt.attempt }).map({ Self.curve($0, watch.metric) }),
                let reason = watch.rule.shouldStop(curve, completed: completed),
                let best = Self.best(curve, watch.goal)
            else { continue }
            let final = Metrics([(watch.metric, .number(best))])
            if try await store.stopEarly(experiment: record.id, attempt: attempt, reason: reason, final: final, now: now) {
                stops.append(Stop(attempt: attempt, reason: reason, final: final))
            }
        }
        return stops
    }

    /// Forgets an experiment once it is final (the events route calls it), so the cache
    /// holds only experiments still running.
    func forget(_ id: ExperimentID) {
        watches[id] = nil
    }

    private func watch(_ record: ExperimentRecord) -> Watch? {
        if let known = watches[record.id] { return known }
        var watch: Watch?
        if let declaration = try? Declaration.parse(record.declaration), let settings = declaration.earlyStopping,
            let objective = declaration.objective
        {
            let metric = settings.metric
            watch = Watch(metric: metric, goal: objective.goal, rule: MedianStoppingRule(settings, goal: objective.goal))
        }
        watches[record.id] = watch
        return watch
    }

    /// Reads the curves of trials that succeeded since the last look.
    private func refreshCompleted(_ watch: inout Watch, _ record: ExperimentRecord) async throws {
        guard record.counts.succeeded > watch.completed.count else { return }
        var offset = 0
        while true {
            let page = try await store.trials(
                experiment: record.id, owner: nil, query: TrialQuery(order: .index, status: .succeeded, offset: offset, limit: 1000))
            for trial in page where watch.completed[trial.index] == nil {
                let series = try await store.metricSeries(experiment: record.id, trial: trial.index, owner: nil)
                let curve = series.last { $0.attempt == trial.attempt }.map { Self.curve($0, watch.metric) } ?? []
                watch.completed[trial.index] = curve
            }
            offset += page.count
            if page.count < 1000 { return }
        }
    }

    /// The metric's points in order; a point reported without a step counts as the next step.
    static func curve(_ series: MetricSeries, _ metric: String) -> [MetricStep] {
        guard let values = series.values[metric] else { return [] }
        var curve: [MetricStep] = []
        var lastStep = 0
        for (position, value) in values.enumerated() {
            let step = position < series.steps.count ? series.steps[position] ?? lastStep + 1 : lastStep + 1
            lastStep = step
            if let value, value.isFinite { curve.append(MetricStep(step: step, value: value)) }
        }
        return curve
    }

    static func best(_ curve: [MetricStep], _ goal: Objective.Goal) -> Double? {
        let values = curve.map(\.value)
        return goal == .minimize ? values.min() : values.max()
    }
}
