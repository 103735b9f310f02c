/// One of a trial's two output streams.
///
/// The raw values are the wire spelling of the Runner's log events.
public enum TrialStream: String, Sendable, Hashable, Codable, CaseIterable {
    case stdout, stderr
}
