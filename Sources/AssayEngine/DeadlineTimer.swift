import Dispatch
import Synchronization

/// One Dispatch timer for the deadlines of every running trial (timeouts, kill grace periods).
///
/// Arming and cancelling a timer of its own costs a trial 10–15 µs, most of it in the
/// cancellation, on every trial, although nearly all end before their timeout. Here adding
/// and removing a deadline only takes a lock; the timer is re-armed only for a deadline
/// earlier than the one it is armed for, and when it fires.
final class DeadlineTimer: Sendable {
    static let shared = DeadlineTimer()

    /// Identifies one deadline, to remove it.
    struct Entry: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    private struct State: ~Copyable {
        /// Only used under the lock: Dispatch's timers are not `Sendable`.
        let timer: any DispatchSourceTimer
        var nextID: UInt64 = 0
        var deadlines: [UInt64: (at: DispatchTime, action: @Sendable () -> Void)] = [:]
        /// When the timer fires next, if it is armed.
        var armedFor: DispatchTime?
    }

    private let state: Mutex<State>

    private init() {
        state = Mutex(State(timer: DispatchSource.makeTimerSource(queue: DispatchQueue(label: "assay.deadline-timer"))))
        state.withLock { state in
            state.timer.schedule(deadline: .distantFuture)
            state.timer.setEventHandler { [weak self] in self?.fire() }
            state.timer.activate()
        }
    }

    /// Runs `action` on the timer's queue once `delay` has passed, unless removed before.
    func add(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> Entry {
        let deadline = Self.deadline(after: delay)
        return state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.deadlines[id] = (deadline, action)
            if state.armedFor.map({ deadline < $0 }) ?? true {
                state.armedFor = deadline
                state.timer.schedule(deadline: deadline)
            }
            return Entry(id: id)
        }
    }

    /// Its action may still run if it was already due; actions must allow for that.
    func remove(_ entry: Entry) {
        _ = state.withLock { $0.deadlines.removeValue(forKey: entry.id) }
    }

    private func fire() {
        let due = state.withLock { state in
            let now = DispatchTime.now()
            let due = state.deadlines.filter { $0.value.at <= now }
            for id in due.keys { state.deadlines[id] = nil }
            state.armedFor = state.deadlines.values.map(\.at).min()
            state.timer.schedule(deadline: state.armedFor ?? .distantFuture)
            return due.values.sorted { $0.at < $1.at }.map(\.action)
        }
        for action in due { action() }
    }

    /// `delay` from now; a delay too long to represent never comes.
    private static func deadline(after delay: Duration) -> DispatchTime {
        let (seconds, attoseconds) = delay.components
        guard seconds < Int64.max / 1_000_000_000 - 1 else { return .distantFuture }
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        return .now() + .nanoseconds(Int(max(0, nanoseconds)))
    }
}
