import AssayCore
import AssayEngine

/// One event of a batch, as the server's runner route decodes it (told apart by `type`).
public enum BatchEvent: Sendable, Hashable {
    /// Metric points, columnar: `values[name][k]` belongs to `steps[k]`.
    /// `{"type": "metrics", "trial", "attempt", "steps": [3, 4], "metrics": {"loss": [0.21, null]}}`
    case metrics(trial: Int, attempt: Int, steps: [Int?], values: [String: [Double?]])
    /// Output lines: `{"type": "log", "trial", "attempt", "stream": "stdout", "lines": [...]}`
    case log(trial: Int, attempt: Int, stream: TrialStream, lines: [String])
    /// The attempt ended: `{"type": "finished", "trial", "attempt", "status", "exitCode"?, "seconds", "metrics"?, "reason"?}`
    case finished(TrialEnd)

    /// The trial the event is about.
    public var trial: Int { attempt.trial }

    /// The attempt the event is about.
    var attempt: AttemptKey {
        switch self {
        case .metrics(let trial, let attempt, _, _), .log(let trial, let attempt, _, _): AttemptKey(trial: trial, attempt: attempt)
        case .finished(let end): AttemptKey(trial: end.trial, attempt: end.attempt)
        }
    }
}

/// How one attempt of a trial ended.
public struct TrialEnd: Sendable, Hashable {
    public var trial: Int
    public var attempt: Int
    /// A final status: succeeded, failed, timed_out or canceled.
    public var status: TrialStatus
    public var exitCode: Int32?
    public var seconds: Double
    /// The final metrics (the last `@assay` values, then the result file's).
    public var metrics: Metrics
    /// Why it did not succeed, for people.
    public var reason: String?

    public init(
        trial: Int, attempt: Int, status: TrialStatus, exitCode: Int32? = nil, seconds: Double, metrics: Metrics = Metrics(),
        reason: String? = nil
    ) {
        self.trial = trial
        self.attempt = attempt
        self.status = status
        self.exitCode = exitCode
        self.seconds = seconds
        self.metrics = metrics
        self.reason = reason
    }
}

extension BatchEvent: Encodable {
    private enum CodingKeys: String, CodingKey {
        case type, trial, attempt, steps, metrics, stream, lines, status, exitCode, seconds, reason
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .metrics(let trial, let attempt, let steps, let values):
            try container.encode("metrics", forKey: .type)
            try container.encode(trial, forKey: .trial)
            try container.encode(attempt, forKey: .attempt)
            try container.encode(steps, forKey: .steps)
            try container.encode(values, forKey: .metrics)
        case .log(let trial, let attempt, let stream, let lines):
            try container.encode("log", forKey: .type)
            try container.encode(trial, forKey: .trial)
            try container.encode(attempt, forKey: .attempt)
            try container.encode(stream, forKey: .stream)
            try container.encode(lines, forKey: .lines)
        case .finished(let end):
            try container.encode("finished", forKey: .type)
            try container.encode(end.trial, forKey: .trial)
            try container.encode(end.attempt, forKey: .attempt)
            try container.encode(end.status, forKey: .status)
            try container.encodeIfPresent(end.exitCode, forKey: .exitCode)
            try container.encode(end.seconds, forKey: .seconds)
            if !end.metrics.isEmpty { try container.encode(end.metrics, forKey: .metrics) }
            try container.encodeIfPresent(end.reason, forKey: .reason)
        }
    }
}
