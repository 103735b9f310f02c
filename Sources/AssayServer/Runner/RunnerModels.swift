import AssayCore
import AssayStore
import Foundation
import Hummingbird

/// `GET .../spec`: what a Runner needs to start.
struct RunnerSpecResponse: ResponseEncodable {
    struct ArtifactInfo: Encodable {
        var id: String
        var sha256: String
        var size: Int
    }

    var experiment: String
    var status: ExperimentStatus
    var declaration: String
    var artifact: ArtifactInfo?
    var trials: Int
    var maxAttempts: Int
    var leaseSeconds: Double
}

/// `POST .../lease`.
struct LeaseRequest: StrictDecodable {
    typealias Field = CodingKeys
    enum CodingKeys: String, CodingKey, CaseIterable { case runner, max }
    var runner: String
    var max: Int
}

/// The trials handed out and the experiment's state (a final one leases nothing more).
struct LeaseResponse: ResponseEncodable {
    var leases: [TrialLease]
    var status: ExperimentStatus
}

/// `POST .../events`: one batch, applied once per `(runner, seq)`. `active` (optional, for
/// Runners that predate it) lists the attempts the Runner still runs: the answer revokes
/// each one it does not hold, though no event names it.
struct EventBatchRequest: StrictDecodable {
    typealias Field = CodingKeys
    enum CodingKeys: String, CodingKey, CaseIterable { case runner, seq, events, active }
    var runner: String
    var seq: Int
    var events: [RunnerEventBody]
    var active: [ActiveAttemptBody]?
}

/// One running attempt in a batch's `active` list: `{"trial": 3, "attempt": 1}`, no other field.
struct ActiveAttemptBody: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case trial, attempt }

    var attempt: TrialAttempt

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            // Named like the body's own unknown fields: `unknown field "active[0].runner"`.
            let path = container.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().dropFirst()
            throw APIError.badRequest("unknown field \"\(path).\(unknown)\"")
        }
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        attempt = TrialAttempt(trial: try fields.decode(Int.self, forKey: .trial), attempt: try fields.decode(Int.self, forKey: .attempt))
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// One event as Runners send it, told apart by `type`:
/// `{"type": "metrics", "trial", "attempt", "steps": [3, 4], "metrics": {"loss": [0.2, 0.1]}}` (columnar),
/// `{"type": "log", "trial", "attempt", "stream": "stdout", "lines": […]}`,
/// `{"type": "finished", "trial", "attempt", "status", "exitCode"?, "seconds", "metrics": {…}, "reason"?}`.
struct RunnerEventBody: Decodable {
    enum Kind: String, Decodable { case metrics, log, finished }

    enum CodingKeys: String, CodingKey {
        case type, trial, attempt, steps, metrics, stream, lines, status, exitCode, seconds, reason
    }

    var event: RunnerEvent

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let trial = try container.decode(Int.self, forKey: .trial)
        let attempt = try container.decode(Int.self, forKey: .attempt)
        switch try container.decode(Kind.self, forKey: .type) {
        case .metrics:
            let steps = try container.decode([Int?].self, forKey: .steps)
            let values = try container.decode([String: [Double?]].self, forKey: .metrics)
            guard values.values.allSatisfy({ $0.count == steps.count }) else {
                throw DecodingError.dataCorruptedError(forKey: .metrics, in: container, debugDescription: "one value per step")
            }
            event = .metrics(trial: trial, attempt: attempt, steps: steps, values: values)
        case .log:
            event = .log(trial: trial, attempt: attempt, stream: try container.decode(LogStream.self, forKey: .stream),
                         lines: try container.decode([String].self, forKey: .lines))
        case .finished:
            let status = try container.decode(TrialStatus.self, forKey: .status)
            guard status.isFinal else {
                throw DecodingError.dataCorruptedError(forKey: .status, in: container, debugDescription: "a final status")
            }
            event = .finished(
                trial: trial, attempt: attempt, status: status,
                exitCode: try container.decodeIfPresent(Int32.self, forKey: .exitCode),
                seconds: try container.decode(Double.self, forKey: .seconds),
                final: try container.decodeIfPresent(Metrics.self, forKey: .metrics) ?? Metrics(),
                reason: try container.decodeIfPresent(String.self, forKey: .reason))
        }
    }
}

/// What applying a batch did: `revokedAttempts` lists the attempts the Runner must stop
/// (named by an event or listed `active`, but not held), `revoked` their trials (what
/// Runners that predate `revokedAttempts` read).
struct EventBatchResponse: ResponseEncodable {
    struct Attempt: Encodable {
        var trial: Int
        var attempt: Int
    }

    var duplicate: Bool
    var status: ExperimentStatus
    var revoked: [Int]
    var revokedAttempts: [Attempt]

    init(_ outcome: BatchOutcome) {
        duplicate = outcome.duplicate
        status = outcome.experimentStatus
        revoked = outcome.revokedTrials
        revokedAttempts = outcome.revoked.map { Attempt(trial: $0.trial, attempt: $0.attempt) }
    }
}

/// `POST .../setup-failed`: the Runner's setup (or the artifact) failed.
struct SetupFailedRequest: StrictDecodable {
    typealias Field = CodingKeys
    enum CodingKeys: String, CodingKey, CaseIterable { case runner, reason }
    var runner: String
    var reason: String
}

/// `POST .../claim-notification`.
struct ClaimNotificationRequest: StrictDecodable {
    typealias Field = CodingKeys
    enum CodingKeys: String, CodingKey, CaseIterable { case runner }
    var runner: String
}

/// The experiment's state after a Runner's report.
struct RunnerStatusResponse: ResponseEncodable {
    var status: ExperimentStatus
}

/// Whether this Runner sends the completion mail; only then the SMTP settings
/// and what the mail says. Not granted (and nothing claimed) while the
/// experiment runs, once another Runner holds or sent it, when the declaration
/// names no recipients, or when the server has no SMTP configured (`reason` says which).
struct ClaimNotificationResponse: ResponseEncodable {
    struct SMTPSettings: Encodable {
        var url: String
        var user: String?
        var password: String?
        var from: String?
        var starttls: String
    }

    var granted: Bool
    var reason: String?
    var smtp: SMTPSettings?
    var mail: MailSummary?

    enum CodingKeys: String, CodingKey { case granted, reason, smtp, mail }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(granted, forKey: .granted)
        try container.encodeIfPresent(reason, forKey: .reason)
        if granted {
            try container.encode(smtp, forKey: .smtp)
            try container.encode(mail, forKey: .mail)
        }
    }
}

/// What the completion mail reports: the Runner composes it from this.
struct MailSummary: Encodable {
    struct Experiment: Encodable {
        var id: String
        var name: String
        var status: ExperimentStatus
        var reason: String?
        var counts: TrialCounts
        var trials: Int
        var createdAt: Date
        var startedAt: Date?
        var finishedAt: Date?
        /// From the first lease to the end (from creation if nothing was leased).
        var seconds: Double
    }

    struct ObjectiveInfo: Encodable {
        var metric: String
        var goal: String
    }

    struct BestTrial: Encodable {
        var trial: Int
        var status: TrialStatus
        var parameters: [String: String]
        var metrics: Metrics
    }

    var to: [String]
    var experiment: Experiment
    /// The experiment's page, when the server knows its public URL.
    var url: String?
    var objective: ObjectiveInfo?
    /// Up to five trials, best first by the objective.
    var best: [BestTrial]
    /// The attachment; nil when larger than ``maxAttachmentBytes`` (the mail links to the download then).
    var resultsCsv: String?

    static let maxAttachmentBytes = 5 * 1024 * 1024
}

/// `POST .../notification-result`: how sending the completion mail went.
struct NotificationResultRequest: StrictDecodable {
    typealias Field = CodingKeys
    enum CodingKeys: String, CodingKey, CaseIterable { case runner, sent, error }
    var runner: String
    var sent: Bool
    var error: String?
}
