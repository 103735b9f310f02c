import AssayCore

/// What the completion mail says about an experiment: its end, its trial counts, how long it
/// took, its best trials by the objective and where to look.
public struct CompletionReport: Sendable, Hashable {
    /// A best trial: its parameter values as text and its numeric metrics.
    public struct Trial: Sendable, Hashable {
        public var index: Int?
        public var parameters: [String: String]
        public var metrics: [String: Double]

        public init(index: Int?, parameters: [String: String], metrics: [String: Double]) {
            self.index = index
            self.parameters = parameters
            self.metrics = metrics
        }
    }

    /// The metric trials are ranked by, and which way is better (the declaration's `objective`).
    public struct Ranking: Sendable, Hashable {
        public var metric: String
        public var goal: Objective.Goal

        public init(metric: String, goal: Objective.Goal) {
            self.metric = metric
            self.goal = goal
        }
    }

    public var name: String
    public var state: ExperimentState
    /// Why it failed or was canceled.
    public var reason: String?
    public var counts: [TrialStatus: Int]
    public var seconds: Double?
    public var objective: Ranking?
    /// The parameter columns of the table, in declaration order.
    public var parameterNames: [String]
    /// Best first.
    public var best: [Trial]
    /// The experiment's page.
    public var link: String?

    public init(
        name: String, state: ExperimentState, reason: String? = nil, counts: [TrialStatus: Int] = [:], seconds: Double? = nil,
        objective: Ranking? = nil, parameterNames: [String] = [], best: [Trial] = [], link: String? = nil
    ) {
        self.name = name
        self.state = state
        self.reason = reason
        self.counts = counts
        self.seconds = seconds
        self.objective = objective
        self.parameterNames = parameterNames
        self.best = best
        self.link = link
    }

    /// The report a notifier mails: the server's `mail` summary where it has one, the
    /// declaration for the rest (name, objective, parameter order).
    public init(spec: RunnerSpec, summary: MailSummary?) {
        let declaration = try? Declaration.parse(spec.declaration)
        let summaryObjective = summary?.objectiveMetric.map { metric in
            Ranking(metric: metric, goal: summary?.objectiveGoal.flatMap(Objective.Goal.init(rawValue:)) ?? .minimize)
        }
        var names = declaration?.parameters.flatMap(\.settingNames) ?? []
        for trial in summary?.best ?? [] {
            for name in trial.parameters.keys.sorted() where !names.contains(name) { names.append(name) }
        }
        var counts: [TrialStatus: Int] = [:]
        for (name, count) in summary?.counts ?? [:] {
            // The API's counts spell two states in camel case.
            let camel: [String: TrialStatus] = ["timedOut": .timedOut, "stoppedEarly": .stoppedEarly]
            if let status = TrialStatus(rawValue: name) ?? camel[name] { counts[status] = count }
        }
        self.init(
            name: summary?.name ?? declaration?.name ?? spec.experiment,
            state: summary?.status ?? spec.status,
            reason: summary?.reason,
            counts: counts,
            seconds: summary?.seconds,
            objective: summaryObjective ?? declaration?.objective.map { Ranking(metric: $0.metric, goal: $0.goal) },
            parameterNames: names,
            best: (summary?.best ?? []).map { Trial(index: $0.index, parameters: $0.parameters, metrics: $0.metrics) },
            link: summary?.url)
    }

    /// Metric columns: the objective first, then the others by name.
    var metricNames: [String] {
        let all = Set(best.flatMap(\.metrics.keys))
        let objective = objective.map(\.metric).flatMap { all.contains($0) ? $0 : nil }
        return (objective.map { [$0] } ?? []) + all.subtracting(objective.map { [$0] } ?? []).sorted()
    }

    /// Trial counts as `5 succeeded, 1 failed`, in life-cycle order, zero counts left out.
    var countsText: String {
        let parts = TrialStatus.allCases.compactMap { status -> String? in
            guard let count = counts[status], count > 0 else { return nil }
            return "\(count) \(status.rawValue.replacingOccurrences(of: "_", with: " "))"
        }
        return parts.joined(separator: ", ")
    }

    var totalTrials: Int { counts.values.reduce(0, +) }
}
