/// Where one attempt of a trial stands:
/// `pending → running → succeeded | failed | timed_out | canceled | stopped_early`.
///
/// The raw values are the wire and storage spelling (`timed_out`, not `timedOut`).
public enum TrialStatus: String, Codable, Sendable, Hashable, CaseIterable {
    case pending
    case running
    case succeeded
    case failed
    case timedOut = "timed_out"
    case canceled
    /// Stopped by the declaration's early-stopping rule: no fault of the trial, and not retried.
    case stoppedEarly = "stopped_early"

    /// Whether the attempt has ended; a final status never changes again.
    public var isFinal: Bool {
        switch self {
        case .pending, .running: false
        case .succeeded, .failed, .timedOut, .canceled, .stoppedEarly: true
        }
    }
}
