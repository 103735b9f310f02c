import AssayCore
import Foundation

/// Experiment life cycle: `queued → running → completed | failed | canceled`.
public enum ExperimentStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case queued, running, completed, failed, canceled

    public var isFinal: Bool { self == .completed || self == .failed || self == .canceled }
}

/// How many trials are in each state. `pending` counts trials not yet leased
/// (most of a large sweep exists only as a count) and requeued ones.
/// Invariant: the seven counts add up to the experiment's `trialCount`.
public struct TrialCounts: Sendable, Hashable, Codable {
    public var pending: Int
    public var running: Int
    public var succeeded: Int
    public var failed: Int
    public var timedOut: Int
    public var canceled: Int
    public var stoppedEarly: Int

    public init(
        pending: Int = 0, running: Int = 0, succeeded: Int = 0, failed: Int = 0, timedOut: Int = 0, canceled: Int = 0,
        stoppedEarly: Int = 0
    ) {
        self.pending = pending
        self.running = running
        self.succeeded = succeeded
        self.failed = failed
        self.timedOut = timedOut
        self.canceled = canceled
        self.stoppedEarly = stoppedEarly
    }

    public var total: Int { pending + running + succeeded + failed + timedOut + canceled + stoppedEarly }
    public var finished: Int { succeeded + failed + timedOut + canceled + stoppedEarly }

    public subscript(status: TrialStatus) -> Int {
        get {
            switch status {
            case .pending: pending
            case .running: running
            case .succeeded: succeeded
            case .failed: failed
            case .timedOut: timedOut
            case .canceled: canceled
            case .stoppedEarly: stoppedEarly
            }
        }
        set {
            switch status {
            case .pending: pending = newValue
            case .running: running = newValue
            case .succeeded: succeeded = newValue
            case .failed: failed = newValue
            case .timedOut: timedOut = newValue
            case .canceled: canceled = newValue
            case .stoppedEarly: stoppedEarly = newValue
            }
        }
    }
}

/// Who mails the end of an experiment, and whether it went out. Mail is sent
/// at most once: a claim is granted to one Runner, and only `pending` or
/// `failed` (a send that failed) can be claimed.
public enum NotificationState: String, Sendable, Hashable, Codable, CaseIterable {
    case pending, claimed, sent, failed
}

public struct NotificationStatus: Sendable, Hashable, Codable {
    public var state: NotificationState
    public var claimedBy: RunnerID?
    public var attempts: Int
    public var lastError: String?
    public var sentAt: Date?

    public init(state: NotificationState = .pending, claimedBy: RunnerID? = nil, attempts: Int = 0, lastError: String? = nil, sentAt: Date? = nil) {
        self.state = state
        self.claimedBy = claimedBy
        self.attempts = attempts
        self.lastError = lastError
        self.sentAt = sentAt
    }
}

/// What creating an experiment needs: the validated declaration's text and
/// the numbers the queue works with (the plan itself is recomputed from the
/// declaration wherever it is needed; trials are not written at creation).
public struct NewExperiment: Sendable, Hashable {
    public var owner: UserID
    public var name: String
    public var description: String?
    public var tags: [String]
    /// The declaration as JSON text, stored verbatim.
    public var declaration: String
    public var artifact: ArtifactID?
    public var trialCount: Int
    /// `trial.retries + 1`: attempts a trial may use before it stays failed.
    public var maxAttempts: Int
    /// How long a lease lasts without renewal.
    public var leaseDuration: Duration

    public init(
        owner: UserID, name: String, description: String? = nil, tags: [String] = [], declaration: String,
        artifact: ArtifactID? = nil, trialCount: Int, maxAttempts: Int = 1, leaseDuration: Duration = .seconds(30)
    ) {
        self.owner = owner
        self.name = name
        self.description = description
        self.tags = tags
        self.declaration = declaration
        self.artifact = artifact
        self.trialCount = trialCount
        self.maxAttempts = maxAttempts
        self.leaseDuration = leaseDuration
    }
}

/// A stored experiment.
public struct ExperimentRecord: Sendable, Hashable, Codable {
    public var id: ExperimentID
    public var owner: UserID
    public var name: String
    public var description: String?
    public var tags: [String]
    public var declaration: String
    public var artifact: ArtifactID?
    public var trialCount: Int
    public var maxAttempts: Int
    /// Lease duration in seconds.
    public var leaseSeconds: Double
    public var status: ExperimentStatus
    /// Why it failed (or was canceled), for people.
    public var reason: String?
    public var counts: TrialCounts
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var archived: Bool
    public var notification: NotificationStatus
    /// Readable by every signed-in user with the link, not only its owner (the owner decides).
    public var isPublic: Bool

    public init(
        id: ExperimentID, owner: UserID, name: String, description: String?, tags: [String], declaration: String,
        artifact: ArtifactID?, trialCount: Int, maxAttempts: Int, leaseSeconds: Double, status: ExperimentStatus,
        reason: String?, counts: TrialCounts, createdAt: Date, startedAt: Date?, finishedAt: Date?, archived: Bool,
        notification: NotificationStatus, isPublic: Bool = false
    ) {
        self.isPublic = isPublic
        self.id = id
        self.owner = owner
        self.name = name
        self.description = description
        self.tags = tags
        self.declaration = declaration
        self.artifact = artifact
        self.trialCount = trialCount
        self.maxAttempts = maxAttempts
        self.leaseSeconds = leaseSeconds
        self.status = status
        self.reason = reason
        self.counts = counts
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.archived = archived
        self.notification = notification
    }
}

/// Filters for listing experiments; all given filters must match.
public struct ExperimentFilter: Sendable, Hashable {
    public var status: ExperimentStatus?
    public var tag: String?
    /// Case-insensitive substring of the name or description (taken literally:
    /// no pattern syntax, no query operators).
    public var text: String?
    public var includeArchived: Bool

    public init(status: ExperimentStatus? = nil, tag: String? = nil, text: String? = nil, includeArchived: Bool = false) {
        self.status = status
        self.tag = tag
        self.text = text
        self.includeArchived = includeArchived
    }
}

/// A page request: at most `limit` items after the `after` cursor.
public struct PageRequest: Sendable, Hashable {
    public var limit: Int
    /// The `next` of the previous page; nil for the first page.
    public var after: String?

    public init(limit: Int = 50, after: String? = nil) {
        self.limit = limit
        self.after = after
    }
}

/// One page of results and the cursor for the next (nil on the last page).
public struct Page<Item: Sendable & Hashable>: Sendable, Hashable {
    public var items: [Item]
    public var next: String?

    public init(items: [Item], next: String?) {
        self.items = items
        self.next = next
    }
}
