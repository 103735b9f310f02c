import CCurl
import Synchronization

/// Lets any thread abort a transfer that runs in ``CurlEasy/perform(cancellation:)`` on its
/// own thread: `cancel()` sets a flag and wakes the multi handle's poll, so the transfer
/// notices at once instead of at its next timeout.
final class TransferCancellation: Sendable {
    /// The `CURLM*` being polled. `@unchecked Sendable` because the only call made on it from
    /// another thread is `curl_multi_wakeup`, which libcurl documents as thread-safe, and
    /// only under the lock, so never after `detach()` has given the handle up.
    private struct PolledMulti: @unchecked Sendable {
        let handle: UnsafeMutableRawPointer
    }

    private struct State {
        var isCancelled = false
        var multi: PolledMulti?
    }

    private let state = Mutex(State())

    var isCancelled: Bool { state.withLock { $0.isCancelled } }

    func cancel() {
        state.withLock { state in
            state.isCancelled = true
            if let multi = state.multi { curl_multi_wakeup(multi.handle) }
        }
    }

    /// Registers the multi handle to wake on cancellation; false if already cancelled.
    func attach(_ handle: UnsafeMutableRawPointer) -> Bool {
        let multi = PolledMulti(handle: handle)
        return state.withLock { state in
            guard !state.isCancelled else { return false }
            state.multi = multi
            return true
        }
    }

    /// Forgets the multi handle; call before cleaning it up.
    func detach() {
        state.withLock { $0.multi = nil }
    }
}
