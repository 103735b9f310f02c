import AssayCore
import AssayEngine
import Synchronization

/// What running trials reported since the last batch, coalesced the way batches carry it:
/// per attempt one columnar metrics event, the tail of each stream's lines (with a note of
/// how many were skipped) and, once it ended, its `finished` event.
///
/// Trials record from their own tasks while the Runner takes batches, hence the lock.
/// Memory is bounded by ``limitBytes`` (about the JSON size of what is held), half for
/// metric points and half for lines, so a chatty trial cannot crowd out the other kind: past
/// its half, new points are dropped and old lines give way. `finished` events are never dropped.
final class EventBuffer: Sendable {
    typealias Attempt = AttemptKey

    private struct Pending {
        var points: [MetricPoint] = []
        var stdout: LineTail
        var stderr: LineTail
        var end: TrialEnd?

        init(linesPerBatch: Int) {
            stdout = LineTail(capacity: linesPerBatch)
            stderr = LineTail(capacity: linesPerBatch)
        }
    }

    private struct State {
        var order: [Attempt] = []
        var pending: [Attempt: Pending] = [:]
        var pointBytes = 0
        var lineBytes = 0
        var droppedPoints = 0

        /// Makes sure `attempt` has an entry, keeping first-report order.
        mutating func touch(_ attempt: Attempt, linesPerBatch: Int) {
            guard pending[attempt] == nil else { return }
            order.append(attempt)
            pending[attempt] = Pending(linesPerBatch: linesPerBatch)
        }
    }

    let limitBytes: Int
    let linesPerBatch: Int
    private let state = Mutex(State())

    init(limitBytes: Int, linesPerBatch: Int) {
        self.limitBytes = limitBytes
        self.linesPerBatch = linesPerBatch
    }

    /// Whether there is nothing to send.
    var isEmpty: Bool { state.withLock { $0.order.isEmpty } }

    /// Bytes held, about as they will travel.
    var bytes: Int { state.withLock { $0.pointBytes + $0.lineBytes } }

    /// Keeps what a trial reported: metric points, output lines, and warnings (as stderr
    /// lines starting with `[assay]`, so people see them beside the output).
    func record(_ event: TrialEvent, of attempt: Attempt) {
        switch event {
        case .metric(let point): add(point, to: attempt)
        case .output(let stream, let line): add(line, stream: stream, to: attempt)
        case .warning(let message): add("[assay] warning: \(message)", stream: .stderr, to: attempt)
        case .started: break
        }
    }

    /// Adds the attempt's end; it travels after everything the attempt reported before.
    func end(_ end: TrialEnd) {
        let attempt = Attempt(trial: end.trial, attempt: end.attempt)
        state.withLock { state in
            state.touch(attempt, linesPerBatch: linesPerBatch)
            state.pending[attempt]?.end = end
        }
    }

    /// Forgets everything about `attempt` (its lease was revoked: the server ignores it).
    func discard(_ attempt: Attempt) {
        state.withLock { state in
            if let pending = state.pending.removeValue(forKey: attempt) {
                state.pointBytes -= pending.points.reduce(0) { $0 + Self.size(of: $1) }
                state.lineBytes -= (pending.stdout.lines + pending.stderr.lines).reduce(0) { $0 + Self.size(of: $1) }
            }
            state.order.removeAll { $0 == attempt }
        }
    }

    /// Everything held, as batch events in order, and how many metric points were dropped
    /// since the last call; the buffer is empty afterwards.
    func take() -> (events: [BatchEvent], droppedPoints: Int) {
        let (order, pending, dropped) = state.withLock { state in
            defer { state = State() }
            return (state.order, state.pending, state.droppedPoints)
        }
        var events: [BatchEvent] = []
        for attempt in order {
            guard let entry = pending[attempt] else { continue }
            if let metrics = Self.columns(entry.points, of: attempt) { events.append(metrics) }
            for (stream, tail) in [(TrialStream.stdout, entry.stdout), (.stderr, entry.stderr)] where !tail.isEmpty {
                let note = tail.skipped > 0 ? ["[assay] \(tail.skipped) earlier line\(tail.skipped == 1 ? "" : "s") not sent"] : []
                events.append(.log(trial: attempt.trial, attempt: attempt.attempt, stream: stream, lines: note + tail.lines))
            }
            if let end = entry.end { events.append(.finished(end)) }
        }
        return (events, dropped)
    }

    private func add(_ point: MetricPoint, to attempt: Attempt) {
        let size = Self.size(of: point)
        let limit = limitBytes / 2
        state.withLock { state in
            guard state.pointBytes + size <= limit else {
                state.droppedPoints += 1
                return
            }
            state.touch(attempt, linesPerBatch: linesPerBatch)
            state.pending[attempt]?.points.append(point)
            state.pointBytes += size
        }
    }

    private func add(_ line: String, stream: TrialStream, to attempt: Attempt) {
        let line = WireText.clean(line)
        let size = Self.size(of: line)
        let limit = limitBytes / 2
        state.withLock { state in
            state.touch(attempt, linesPerBatch: linesPerBatch)
            guard var entry = state.pending[attempt] else { return }
            defer { state.pending[attempt] = entry }
            func update(_ tail: inout LineTail) {
                // Over the limit, this stream's oldest line makes room; with none, the line is skipped.
                while state.lineBytes + size > limit, let oldest = tail.dropOldest() { state.lineBytes -= Self.size(of: oldest) }
                guard state.lineBytes + size <= limit else { return tail.skip() }
                state.lineBytes += size
                if let gone = tail.append(line) { state.lineBytes -= Self.size(of: gone) }
            }
            switch stream {
            case .stdout: update(&entry.stdout)
            case .stderr: update(&entry.stderr)
            }
        }
    }

    /// One metrics event: steps, and one column per name (null where a point lacks it).
    static func columns(_ points: [MetricPoint], of attempt: Attempt) -> BatchEvent? {
        guard !points.isEmpty else { return nil }
        var names: [String] = []
        var seen: Set<String> = []
        for point in points {
            for reading in point.values where seen.insert(reading.name).inserted { names.append(reading.name) }
        }
        var values: [String: [Double?]] = [:]
        for name in names {
            values[WireText.clean(name)] = points.map { point in
                point.values.last { $0.name == name }?.value.flatMap { $0.isFinite ? $0 : nil }
            }
        }
        return .metrics(trial: attempt.trial, attempt: attempt.attempt, steps: points.map(\.step), values: values)
    }

    static func size(of line: String) -> Int { line.utf8.count + 4 }

    static func size(of point: MetricPoint) -> Int {
        point.values.reduce(12) { $0 + $1.name.utf8.count + 24 }
    }
}
