import AssayCore
import AssayEngine

extension TrialEnd {
    /// The end of an attempt the engine ran: its status, exit code, duration and final metrics
    /// (numbers that JSON cannot carry left out), and for anything but success, why.
    init(trial: Int, attempt: Int, outcome: TrialOutcome, timeout: Duration?) {
        var reasons: [String] = []
        switch outcome.status {
        case .succeeded, .pending, .running:
            break
        case .failed:
            if let code = outcome.exitCode {
                reasons.append("exited with \(code)")
            } else if let signal = outcome.signal {
                reasons.append("killed by signal \(signal)")
            }
        case .timedOut:
            reasons.append(timeout.map { "timed out after \(Self.text($0))" } ?? "timed out")
        case .canceled:
            reasons.append("canceled")
        case .stoppedEarly:
            // The server decides this, not the engine; said for completeness.
            reasons.append("stopped early")
        }
        if let resultError = outcome.resultError { reasons.append(resultError) }
        self.init(
            trial: trial, attempt: attempt, status: outcome.status, exitCode: outcome.exitCode,
            seconds: outcome.duration.inSeconds, metrics: Self.sendable(outcome.final),
            reason: reasons.isEmpty ? nil : WireText.clean(reasons.joined(separator: "; ")))
    }

    /// `metrics` without non-finite numbers (JSON has no NaN) and without NUL bytes in text.
    static func sendable(_ metrics: Metrics) -> Metrics {
        Metrics(metrics.entries.compactMap { entry -> (String, ResultValue)? in
            switch entry.value {
            case .number(let number) where !number.isFinite: nil
            case .number: (WireText.clean(entry.name), entry.value)
            case .text(let text): (WireText.clean(entry.name), .text(WireText.clean(text)))
            }
        })
    }

    /// `90s`, `1.5s`, `10m`: how the declaration would say it.
    private static func text(_ duration: Duration) -> String {
        let seconds = duration.inSeconds
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }
}
