import Foundation

/// The process group a trial runs in: its leader (the process the engine started) and
/// everything the leader started that did not leave the group.
///
/// Only used while the leader is not yet reaped: a zombie leader keeps its pid, and with
/// it the group id, from being reused, so signalling the group can never hit a stranger.
struct ProcessGroup: Sendable {
    let leader: pid_t

    /// Sends `signal` to every process of the group; a group that is already gone is fine.
    func send(_ signal: Int32) {
        _ = killpg(leader, signal)
    }

    /// Whether the leader has exited, without reaping it (swift-subprocess does that).
    func leaderHasExited() -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(leader), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else {
            // Not our child any more (already reaped): it has certainly exited.
            return true
        }
        return info._sifields._sigchld.si_pid == leader
    }

    /// Waits until the leader has exited, without reaping it.
    ///
    /// By the time its output has ended the leader has nearly always exited too, and
    /// otherwise it is a few microseconds from it: the first check is repeated after 50 µs
    /// (a `Task.sleep` that short takes about 120 µs here) rather than a millisecond, and the
    /// wait then doubles up to 100 ms, for a leader that closed its output and goes on running.
    func waitForLeaderExit() async {
        var delay = Duration.microseconds(50)
        while !leaderHasExited() {
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .milliseconds(100))
        }
    }
}
