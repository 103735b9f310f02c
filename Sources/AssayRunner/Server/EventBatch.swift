/// `POST events`: a Runner's events in order, numbered per Runner. The server applies a
/// `(runner, seq)` once, so a batch retried after a lost answer is not applied twice.
public struct EventBatch: Sendable, Hashable, Encodable {
    public var runner: String
    public var seq: Int
    public var events: [BatchEvent]

    public init(runner: String, seq: Int, events: [BatchEvent]) {
        self.runner = runner
        self.seq = seq
        self.events = events
    }
}

/// What the server did with a batch.
public struct BatchAnswer: Sendable, Hashable, Codable {
    /// The batch had been applied before (a retry); nothing changed now.
    public var duplicate: Bool
    public var status: ExperimentState
    /// Trials this Runner reported on but no longer holds: stop them.
    public var revoked: [Int]

    public init(duplicate: Bool, status: ExperimentState, revoked: [Int]) {
        self.duplicate = duplicate
        self.status = status
        self.revoked = revoked
    }
}
