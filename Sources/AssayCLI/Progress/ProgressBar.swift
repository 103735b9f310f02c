import AssayCore
import Foundation

/// Live progress of a sweep on stderr: a redrawn bar with counts per state
/// and an ETA on a terminal, a line every few seconds otherwise (CI logs).
actor ProgressBar {
    private var counts: SweepCounts
    private var line: StatusLine
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    /// A change held back by the line's rate limit is drawn once the limit allows.
    private var redrawPending = false
    private var finished = false

    /// `elapsed` is how long the sweep has already run (when following one that started earlier).
    init(total: Int, elapsed: Duration = .zero, interactive: Bool = Terminal.isInteractive) {
        counts = SweepCounts(total: total)
        line = StatusLine(interactive: interactive)
        start = clock.now - elapsed
    }

    func trialStarted() {
        counts.running += 1
        draw()
    }

    func attemptRetried() {
        counts.retries += 1
    }

    func trialFinished(_ status: TrialStatus) {
        counts.running -= 1
        counts.finished[status, default: 0] += 1
        draw()
    }

    /// Sets the counts from a server's `counts` object.
    func show(counts object: [String: Int]) {
        counts.set(object)
        draw()
    }

    /// The last state, drawn once more and ended with a newline.
    func finish() {
        draw(force: true)
        line.end()
        finished = true
    }

    private func draw(force: Bool = false) {
        guard !finished else { return }
        let elapsed = clock.now - start
        let drawn = line.draw(force: force || counts.done >= counts.total) { counts.text(elapsed: elapsed.inSeconds) }
        if !drawn, !redrawPending {
            redrawPending = true
            let gap = line.minimumGap
            Task {
                try? await Task.sleep(for: gap)
                self.drawPending()
            }
        }
    }

    private func drawPending() {
        redrawPending = false
        draw()
    }
}

/// How many trials of a sweep are running and how many ended in each state,
/// and the line that shows it.
struct SweepCounts {
    var total: Int
    var running = 0
    var finished: [TrialStatus: Int] = [:]
    var retries = 0

    var done: Int { finished.values.reduce(0, +) }

    /// Sets the counts from a server's `counts` object
    /// (`pending`, `running`, `succeeded`, `failed`, `timedOut`, `canceled`, `stoppedEarly`).
    mutating func set(_ counts: [String: Int]) {
        func count(_ key: String) -> Int { counts[key] ?? 0 }
        running = count("running")
        finished = [
            .succeeded: count("succeeded"), .failed: count("failed"), .timedOut: count("timedOut"), .canceled: count("canceled"),
            .stoppedEarly: count("stoppedEarly"),
        ]
            .filter { $0.value > 0 }
    }

    /// `[████░░░░] 12/48  ✔ 10 succeeded  ✘ 2 failed  ▶ 4 running  elapsed 1m02s  ETA 3m06s`;
    /// no times when `elapsed` is nil.
    func text(elapsed seconds: Double?) -> String {
        var parts = ["[\(StatusLine.bar(Int64(done), of: Int64(total)))] \(done)/\(total)"]
        let labels: [(TrialStatus, String)] = [(.succeeded, "✔"), (.stoppedEarly, "✂"), (.failed, "✘"), (.timedOut, "⏱"), (.canceled, "⊘")]
        for (status, symbol) in labels {
            if let count = finished[status], count > 0 { parts.append("\(symbol) \(count) \(status.rawValue)") }
        }
        if running > 0 { parts.append("▶ \(running) running") }
        if retries > 0 { parts.append("↻ \(retries) retried") }
        if let seconds {
            parts.append("elapsed \(Self.format(seconds))")
            if done > 0, done < total {
                parts.append("ETA \(Self.format(seconds / Double(done) * Double(total - done)))")
            }
        }
        return parts.joined(separator: "  ")
    }

    static func format(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.0fs", seconds.rounded(.up)) }
        if seconds < 3600 { return "\(Int(seconds) / 60)m\(String(format: "%02d", Int(seconds) % 60))s" }
        return "\(Int(seconds) / 3600)h\(String(format: "%02d", Int(seconds) % 3600 / 60))m"
    }
}
