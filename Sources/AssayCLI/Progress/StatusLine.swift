import Foundation

/// One line of live status on stderr: redrawn in place on a terminal (at most
/// every 100 ms), a new line at most every 2 s otherwise (CI logs), never the
/// same line twice in a log.
struct StatusLine {
    let interactive: Bool
    private let clock = ContinuousClock()
    private var lastDrawn: ContinuousClock.Instant?
    private var lastLine = ""

    init(interactive: Bool = Terminal.isInteractive) {
        self.interactive = interactive
    }

    /// The least time between two drawings.
    var minimumGap: Duration { interactive ? .milliseconds(100) : .seconds(2) }

    /// Draws `render()` unless the last drawing is too recent (then false);
    /// `force` draws anyway.
    @discardableResult
    mutating func draw(force: Bool = false, _ render: () -> String) -> Bool {
        let now = clock.now
        if !force, let lastDrawn, now - lastDrawn < minimumGap { return false }
        lastDrawn = now
        let line = render()
        if !interactive, line == lastLine { return true }
        lastLine = line
        Terminal.write(interactive ? "\r\u{1B}[2K" + line : line + "\n", to: .standardError)
        return true
    }

    /// Ends the line drawn in place, so what follows starts on a line of its own.
    func end() {
        if interactive, lastDrawn != nil { Terminal.write("\n", to: .standardError) }
    }

    /// `████████░░░░`: `done` of `total` as a bar `width` characters long.
    static func bar(_ done: Int64, of total: Int64, width: Int = 24) -> String {
        let filled = total <= 0 ? width : Int(Int64(width) * min(done, total) / total)
        return String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
    }
}
