/// An experiment's life-cycle state as the server reports it:
/// `queued → running → completed | failed | canceled`.
public enum ExperimentState: String, Sendable, Hashable, Codable, CaseIterable {
    case queued, running, completed, failed, canceled

    /// Whether the experiment has ended: nothing more is leased.
    public var isFinal: Bool { self == .completed || self == .failed || self == .canceled }
}
