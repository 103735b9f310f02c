import Foundation

extension TrialEngine {
    /// Why the engine stopped a trial before it ended by itself.
    enum StopReason: Sendable {
        case timedOut
        case canceled
    }

    /// Requests to stop one running trial (its timeout expiring, its task being cancelled);
    /// the first one is acted on.
    final class StopRequests: Sendable {
        private let requests: AsyncStream<StopReason>
        private let continuation: AsyncStream<StopReason>.Continuation

        init() {
            (requests, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(1))
        }

        func request(_ reason: StopReason) {
            continuation.yield(reason)
        }

        /// The first request; `nil` if the waiting task is cancelled first.
        func first() async -> StopReason? {
            var iterator = requests.makeAsyncIterator()
            return await iterator.next()
        }
    }

    /// Stops `group` at the first request or when `timeout` expires: SIGTERM to the whole
    /// group, then SIGKILL after `grace`. Returns the reason it acted on, or `nil` if the
    /// task was cancelled first or the leader had already exited by then (the trial
    /// ended by itself). Cancelling during the grace period sends SIGKILL at once.
    static func enforceStop(
        of group: ProcessGroup,
        requests: StopRequests,
        timeout: Duration?,
        grace: Duration
    ) async -> StopReason? {
        await withTaskGroup(of: Void.self) { timer in
            if let timeout {
                timer.addTask {
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    requests.request(.timedOut)
                }
            }
            defer { timer.cancelAll() }
            guard let reason = await requests.first(), !group.leaderHasExited() else { return nil }
            group.send(SIGTERM)
            try? await Task.sleep(for: grace)
            group.send(SIGKILL)
            return reason
        }
    }
}
