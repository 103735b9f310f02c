import AssayCore

/// Where a trial goes when one of its attempts ends without succeeding: the rule both
/// stores apply (docs/storage.md, "Retries and lost leases").
///
/// A failed or timed-out attempt that its Runner reported spends one of the user's
/// retries (`maxAttempts` is `trial.retries + 1`). A lost lease — the Runner stopped
/// reporting: killed, evicted, cut off — is no fault of the trial and spends none; but a
/// trial that keeps losing its Runner (one that runs it out of memory, say) must not loop
/// forever, so it survives at most ``maxLostLeases`` of them.
public enum RetryRule {
    /// How many lost leases a trial survives; the next one makes it final `failed`.
    public static let maxLostLeases = 3

    /// How an attempt ended, as the rule sees it.
    enum AttemptEnd: Equatable {
        /// The Runner reported this final status.
        case reported(TrialStatus)
        /// The lease expired: the Runner stopped reporting.
        case leaseLost
    }

    /// The status the trial moves to from `running` once its current attempt ended:
    /// `pending` when another attempt follows (requeued or handed out again at once), a
    /// final status otherwise. `lostLeases` counts the trial's lost leases, this one
    /// included when `end` is `leaseLost`. Every ended attempt before the current one was
    /// either a reported failure or timeout or a lost lease (any other end is final), so
    /// the reported failures so far are `attempt - lostLeases`.
    static func next(
        after end: AttemptEnd, attempt: Int, lostLeases: Int, maxAttempts: Int, experimentIsFinal: Bool
    ) -> TrialStatus {
        if experimentIsFinal { return .canceled }
        switch end {
        case .leaseLost:
            return lostLeases <= maxLostLeases ? .pending : .failed
        case .reported(let status):
            guard status == .failed || status == .timedOut else { return status }
            return attempt - lostLeases < maxAttempts ? .pending : status
        }
    }

    /// The reason recorded on an attempt whose lease expired, the trial's `lostLeases`-th:
    /// "lease expired", and once the trial gives up, why it does.
    static func lostLeaseReason(lostLeases: Int) -> String {
        lostLeases <= maxLostLeases
            ? "lease expired"
            : "lost its Runner \(lostLeases) times (lease expired); see the Runner logs"
    }
}
