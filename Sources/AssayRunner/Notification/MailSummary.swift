/// The `mail` object of a granted notification claim: what the completion mail reports,
/// as the server knows it after the last trial ended. Every field is optional and read
/// leniently (a field of an unexpected type counts as absent), so the server can grow it
/// without breaking Runners:
///
/// ```json
/// {"to": ["me@example.org"],
///  "experiment": {"id": "e1", "name": "mnist-lr", "status": "completed", "reason": null,
///                 "counts": {"succeeded": 5, "failed": 1}, "trials": 6, "seconds": 812.5, ...},
///  "url": "https://assay.example.org/experiments/e1",
///  "objective": {"metric": "accuracy", "goal": "maximize"},
///  "best": [{"trial": 3, "status": "succeeded", "parameters": {"lr": "0.01"}, "metrics": {"accuracy": 0.93}}],
///  "resultsCsv": "trial,repeat,status,..."}
/// ```
public struct MailSummary: Sendable, Hashable, Decodable {
    /// One of the best trials.
    public struct Trial: Sendable, Hashable, Decodable {
        public var index: Int?
        /// Parameter values as text, in declaration order when the server keeps it.
        public var parameters: [String: String]
        public var metrics: [String: Double]

        public init(index: Int?, parameters: [String: String], metrics: [String: Double]) {
            self.index = index
            self.parameters = parameters
            self.metrics = metrics
        }

        private enum CodingKeys: String, CodingKey { case trial, parameters, metrics }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            index = container.lenient(Int.self, .trial)
            parameters = container.lenient([String: LenientText].self, .parameters)?.mapValues(\.text) ?? [:]
            metrics = container.lenient([String: LenientNumber].self, .metrics)?.compactMapValues(\.number) ?? [:]
        }
    }

    public var to: [String]?
    public var name: String?
    public var status: ExperimentState?
    public var reason: String?
    /// Trials per state, by the states' wire names (`timed_out`...).
    public var counts: [String: Int]?
    public var seconds: Double?
    /// The experiment's page.
    public var url: String?
    public var objectiveMetric: String?
    /// `maximize` or `minimize`.
    public var objectiveGoal: String?
    public var best: [Trial]?
    /// results.csv to attach; nil when the server found it too large (the mail links to it then).
    public var resultsCSV: String?

    public init(
        to: [String]? = nil, name: String? = nil, status: ExperimentState? = nil, reason: String? = nil,
        counts: [String: Int]? = nil, seconds: Double? = nil, url: String? = nil, objectiveMetric: String? = nil,
        objectiveGoal: String? = nil, best: [Trial]? = nil, resultsCSV: String? = nil
    ) {
        self.resultsCSV = resultsCSV
        self.to = to
        self.name = name
        self.status = status
        self.reason = reason
        self.counts = counts
        self.seconds = seconds
        self.url = url
        self.objectiveMetric = objectiveMetric
        self.objectiveGoal = objectiveGoal
        self.best = best
    }

    private enum CodingKeys: String, CodingKey { case to, experiment, url, objective, best, resultsCsv }
    private enum ExperimentKeys: String, CodingKey { case name, status, reason, counts, seconds }
    private enum ObjectiveKeys: String, CodingKey { case metric, goal }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        to = container.lenient([String].self, .to)
        if let experiment = try? container.nestedContainer(keyedBy: ExperimentKeys.self, forKey: .experiment) {
            name = experiment.lenient(String.self, .name)
            status = experiment.lenient(ExperimentState.self, .status)
            reason = experiment.lenient(String.self, .reason)
            counts = experiment.lenient([String: Int].self, .counts)
            seconds = experiment.lenient(Double.self, .seconds)
        }
        url = container.lenient(String.self, .url)
        resultsCSV = container.lenient(String.self, .resultsCsv)
        if let objective = try? container.nestedContainer(keyedBy: ObjectiveKeys.self, forKey: .objective) {
            objectiveMetric = objective.lenient(String.self, .metric)
            objectiveGoal = objective.lenient(String.self, .goal)
        }
        best = container.lenient([LenientTrial].self, .best)?.compactMap(\.trial)
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or nil when it is missing, null or of another type.
    fileprivate func lenient<T: Decodable>(_ type: T.Type, _ key: Key) -> T? {
        (try? decodeIfPresent(type, forKey: key)) ?? nil
    }
}

/// A JSON string, number or boolean as text.
private struct LenientText: Decodable {
    var text: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self.text = text
        } else if let flag = try? container.decode(Bool.self) {
            text = String(flag)
        } else if let integer = try? container.decode(Int.self) {
            text = String(integer)
        } else {
            text = String(describing: try container.decode(Double.self))
        }
    }
}

/// A JSON number, or nil for anything else (text metrics are left out of the mail's table).
private struct LenientNumber: Decodable {
    var number: Double?

    init(from decoder: any Decoder) throws {
        number = try? decoder.singleValueContainer().decode(Double.self)
    }
}

/// A best-trial entry, or nil if it is not an object.
private struct LenientTrial: Decodable {
    var trial: MailSummary.Trial?

    init(from decoder: any Decoder) throws {
        trial = try? MailSummary.Trial(from: decoder)
    }
}
