import AssayCore
import Foundation

/// The completion mail of an experiment: subject, plain text and HTML (the same content;
/// every value HTML-escaped, inline styles only, which mail clients keep). Pure: the SMTP
/// notifier sends what this composes.
public struct CompletionMail: Sendable, Hashable {
    public var subject: String
    public var text: String
    public var html: String

    /// - Parameter rows: the most best trials listed.
    public init(_ report: CompletionReport, rows: Int = 5) {
        let best = Array(report.best.prefix(rows))
        subject = Self.subject(report)
        text = Self.text(report, best: best)
        html = Self.html(report, best: best)
    }

    static func subject(_ report: CompletionReport) -> String {
        let name = report.name.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        var subject = "[Assay] \(name) \(report.state.rawValue)"
        switch report.state {
        case .completed:
            if let succeeded = report.counts[.succeeded], report.totalTrials > 0 {
                subject += ": \(succeeded) of \(report.totalTrials) trials succeeded"
            }
        case .failed, .canceled:
            if let reason = report.reason?.split(whereSeparator: \.isNewline).first {
                subject += ": \(reason.prefix(80))"
            }
        case .queued, .running:
            break
        }
        return subject
    }

    /// `the experiment "x" completed in 13m 32s.`
    static func headline(_ report: CompletionReport) -> String {
        "Experiment \u{201C}\(report.name)\u{201D} \(report.state.rawValue)" + (report.seconds.map { " after \(duration($0))" } ?? "") + "."
    }

    /// The table's header and rows as text cells.
    static func table(_ report: CompletionReport, best: [CompletionReport.Trial]) -> (header: [String], rows: [[String]]) {
        let metrics = report.metricNames
        let header = ["trial"] + report.parameterNames + metrics
        let rows = best.map { trial in
            [trial.index.map(String.init) ?? ""] + report.parameterNames.map { trial.parameters[$0] ?? "" }
                + metrics.map { trial.metrics[$0].map(number) ?? "" }
        }
        return (header, rows)
    }

    static func bestTitle(_ report: CompletionReport) -> String {
        guard let objective = report.objective else { return "Trials" }
        return "Best trials by \(objective.metric) (\(objective.goal.rawValue))"
    }

    /// Up to 6 significant digits, no exponent for everyday magnitudes.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.6g", value)
    }

    /// `45s`, `13m 32s`, `2h 5m`, `1.2s`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 10 { return String(format: "%.1fs", max(0, seconds)) }
        let total = Int(seconds.rounded())
        let (hours, minutes, rest) = (total / 3600, total % 3600 / 60, total % 60)
        if hours > 0 { return "\(hours)h \(minutes)m" }
        return minutes > 0 ? "\(minutes)m \(rest)s" : "\(rest)s"
    }
}
