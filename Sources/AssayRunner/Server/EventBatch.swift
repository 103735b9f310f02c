/// `POST events`: a Runner's events in order, numbered per Runner. The server applies a
/// `(runner, seq)` once, so a batch retried after a lost answer is not applied twice.
public struct EventBatch: Sendable, Hashable, Encodable {
    public var runner: String
    public var seq: Int
    public var events: [BatchEvent]
    /// The attempts the Runner still runs, sent with every batch: the server revokes each
    /// one whose lease this Runner lost, even when no event names it (a trial that printed
    /// nothing while the server was out of reach for longer than a lease).
    public var active: [AttemptKey]

    public init(runner: String, seq: Int, events: [BatchEvent], active: [AttemptKey] = []) {
        self.runner = runner
        self.seq = seq
        self.events = events
        self.active = active
    }
}

/// What the server did with a batch.
public struct BatchAnswer: Sendable, Hashable, Codable {
    /// The batch had been applied before (a retry); nothing changed now.
    public var duplicate: Bool
    public var status: ExperimentState
    /// The trials of the attempts to stop.
    public var revoked: [Int]
    /// The attempts this Runner named or listed as active but does not hold: stop them.
    /// Servers that predate `active` send only ``revoked``.
    public var revokedAttempts: [AttemptKey]?

    public init(duplicate: Bool, status: ExperimentState, revoked: [Int], revokedAttempts: [AttemptKey]? = nil) {
        self.duplicate = duplicate
        self.status = status
        self.revoked = revoked
        self.revokedAttempts = revokedAttempts
    }

    /// The attempts of `batch` to stop: as the server names them, or, from a server that
    /// names only trials, the attempts of those trials that the batch reported on or listed.
    func lostAttempts(of batch: EventBatch) -> Set<AttemptKey> {
        if let revokedAttempts { return Set(revokedAttempts) }
        let trials = Set(revoked)
        return Set(batch.events.map(\.attempt) + batch.active).filter { trials.contains($0.trial) }
    }
}
