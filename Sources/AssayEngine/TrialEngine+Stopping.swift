import Foundation
import Synchronization

extension TrialEngine {
    /// Why the engine stopped a trial before it ended by itself.
    enum StopReason: Sendable {
        case timedOut
        case canceled
    }

    /// Requests to stop one running trial (its timeout expiring, its task being cancelled)
    /// and their enforcement. The first request is acted on: SIGTERM to the whole group,
    /// then SIGKILL after the grace period. A request made before the trial started is
    /// acted on as soon as it starts; one made after the leader exited is not acted on (the
    /// trial ended by itself).
    ///
    /// Signals are sent from the requester's thread and from ``DeadlineTimer``, not from a
    /// task of their own, so a trial that ends by itself (the common case) costs no task
    /// and no wake-up here. The group is only signalled between ``attach(_:timeout:)`` and
    /// ``detach()``, and the engine detaches before the leader is reaped, so a signal never
    /// reaches a stranger that reuses the group id.
    final class StopRequests: Sendable {
        private struct State: ~Copyable {
            var group: ProcessGroup?
            var isDetached = false
            /// Only the first request counts.
            var wasRequested = false
            /// A request made before ``attach(_:timeout:)``.
            var pending: StopReason?
            /// The request the group was stopped for.
            var actedOn: StopReason?
            /// The timeout, then the end of the grace period once the group was sent SIGTERM.
            var deadline: DeadlineTimer.Entry?

            mutating func removeDeadline() {
                if let deadline { DeadlineTimer.shared.remove(deadline) }
                deadline = nil
            }
        }

        private let state = Mutex(State())
        private let grace: Duration

        init(grace: Duration) {
            self.grace = grace
        }

        func request(_ reason: StopReason) {
            state.withLock { state in
                guard !state.wasRequested, !state.isDetached else { return }
                state.wasRequested = true
                if let group = state.group {
                    stop(group, for: reason, in: &state)
                } else {
                    state.pending = reason
                }
            }
        }

        /// Starts enforcing requests on `group`, and its timeout if it has one.
        func attach(_ group: ProcessGroup, timeout: Duration?) {
            state.withLock { state in
                guard !state.isDetached else { return }
                state.group = group
                if let pending = state.pending {
                    stop(group, for: pending, in: &state)
                } else if let timeout {
                    state.deadline = DeadlineTimer.shared.add(after: timeout) { [weak self] in self?.request(.timedOut) }
                }
            }
        }

        /// Stops signalling the group; returns the request it was stopped for, if any.
        func detach() -> StopReason? {
            state.withLock { state in
                state.isDetached = true
                state.removeDeadline()
                return state.actedOn
            }
        }

        private func stop(_ group: ProcessGroup, for reason: StopReason, in state: inout State) {
            state.removeDeadline()
            guard !group.leaderHasExited() else { return }
            state.actedOn = reason
            group.send(SIGTERM)
            state.deadline = DeadlineTimer.shared.add(after: grace) { [weak self] in self?.kill() }
        }

        private func kill() {
            state.withLock { state in
                guard !state.isDetached, let group = state.group else { return }
                group.send(SIGKILL)
            }
        }
    }
}
