import Foundation

/// An experiment as the API summarises it (`GET /api/v1/experiments[/{id}]`).
struct ExperimentSummary: Decodable {
    let id: String
    let name: String
    let description: String?
    let tags: [String]
    /// `queued`, `running`, `completed`, `failed` or `canceled`.
    let status: String
    let reason: String?
    let trials: Int
    /// Trials per state: `pending`, `running`, `succeeded`, `failed`, `timedOut`, `canceled`, `stoppedEarly`.
    let counts: [String: Int]
    let artifact: String?
    let archived: Bool
    let createdAt: String
    let startedAt: String?
    let finishedAt: String?
    let notification: Notification?
    /// The declaration text; only when one experiment is asked for.
    let declaration: String?

    struct Notification: Decodable {
        let state: String
        let lastError: String?
    }

    var isFinal: Bool { !["queued", "running"].contains(status) }

    var sweepCounts: SweepCounts {
        var counts = SweepCounts(total: trials)
        counts.set(self.counts)
        return counts
    }

    /// How the experiment ended, as the exit code of `watch`: completed with
    /// a succeeded trial is success; completed without one, or failed, is a
    /// failure; canceled is its own code.
    var outcome: ExitStatus {
        switch status {
        case "completed": (counts["succeeded"] ?? 0) > 0 ? .success : .failed
        case "canceled": .canceled
        default: .failed
        }
    }

    /// `mnist-lr (01J…): completed — 46 succeeded, 2 failed`, and the reason of a failure.
    var outcomeLine: String {
        let parts = [("succeeded", "succeeded"), ("failed", "failed"), ("timedOut", "timed_out"), ("stoppedEarly", "stopped early"), ("canceled", "canceled")]
            .compactMap { key, label in counts[key].flatMap { $0 > 0 ? "\($0) \(label)" : nil } }
        var line = "\(name) (\(id)): \(status)"
        if !parts.isEmpty { line += " — " + parts.joined(separator: ", ") }
        if let reason, !reason.isEmpty { line += ": \(reason)" }
        return line
    }

    /// Seconds since the experiment started, while it runs.
    var runningFor: Duration {
        guard let started = startedAt.flatMap(Self.date) else { return .zero }
        return .seconds(max(0, Date().timeIntervalSince(started)))
    }

    /// An API timestamp (ISO 8601, with or without fractions of a second).
    static func date(_ text: String) -> Date? {
        (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    /// `2026-11-23 23:02` in local time; the text as given when it does not parse.
    static func localTime(_ text: String?) -> String {
        guard let text else { return "" }
        guard let date = date(text) else { return text }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }
}
