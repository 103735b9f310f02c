import AssayCore
import Foundation

/// Live progress of a sweep on stderr: a redrawn bar with counts per state
/// and an ETA on a terminal, a line every few seconds otherwise (CI logs).
actor ProgressBar {
    private let total: Int
    private let interactive: Bool
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastDrawn: ContinuousClock.Instant?
    private var lastLine = ""
    private var running = 0
    private var finished: [TrialStatus: Int] = [:]
    private var retries = 0

    init(total: Int, interactive: Bool = Terminal.isInteractive) {
        self.total = total
        self.interactive = interactive
        start = clock.now
    }

    func trialStarted() {
        running += 1
        draw()
    }

    func attemptRetried() {
        retries += 1
    }

    func trialFinished(_ status: TrialStatus) {
        running -= 1
        finished[status, default: 0] += 1
        draw()
    }

    /// Sets the counts from a server's `counts` object
    /// (`pending`, `running`, `succeeded`, `failed`, `timedOut`, `canceled`).
    func show(counts: [String: Int]) {
        func count(_ key: String) -> Int { counts[key] ?? 0 }
        running = count("running")
        finished = [.succeeded: count("succeeded"), .failed: count("failed"), .timedOut: count("timedOut"), .canceled: count("canceled")]
            .filter { $0.value > 0 }
        draw()
    }

    /// The last state, drawn once more and ended with a newline.
    func finish() {
        draw(force: true)
        if interactive { Terminal.write("\n", to: .standardError) }
    }

    private var done: Int { finished.values.reduce(0, +) }

    private func draw(force: Bool = false) {
        let now = clock.now
        let minimumGap: Duration = interactive ? .milliseconds(100) : .seconds(2)
        if !force, let lastDrawn, now - lastDrawn < minimumGap, done < total { return }
        lastDrawn = now
        let line = render(elapsed: now - start)
        // A log gets no repeated lines (the final draw often equals the last one).
        if !interactive, line == lastLine { return }
        lastLine = line
        let text = interactive ? "\r\u{1B}[2K" + line : line + "\n"
        Terminal.write(text, to: .standardError)
    }

    func render(elapsed: Duration) -> String {
        let width = 24
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        var parts = ["[\(bar)] \(done)/\(total)"]
        let labels: [(TrialStatus, String)] = [(.succeeded, "✔"), (.failed, "✘"), (.timedOut, "⏱"), (.canceled, "⊘")]
        for (status, symbol) in labels {
            if let count = finished[status], count > 0 { parts.append("\(symbol) \(count) \(status.rawValue)") }
        }
        if running > 0 { parts.append("▶ \(running) running") }
        if retries > 0 { parts.append("↻ \(retries) retried") }
        let seconds = elapsed.inSeconds
        parts.append("elapsed \(Self.format(seconds))")
        if done > 0, done < total {
            parts.append("ETA \(Self.format(seconds / Double(done) * Double(total - done)))")
        }
        return parts.joined(separator: "  ")
    }

    static func format(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.0fs", seconds.rounded(.up)) }
        if seconds < 3600 { return "\(Int(seconds) / 60)m\(String(format: "%02d", Int(seconds) % 60))s" }
        return "\(Int(seconds) / 3600)h\(String(format: "%02d", Int(seconds) % 3600 / 60))m"
    }
}
