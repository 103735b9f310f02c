import AssayCore
import Foundation

/// Everything Assay keeps, as domain operations. Two implementations pass one
/// conformance suite (Tests/AssayStoreTests): ``SQLiteStore`` (embedded
/// default) and ``MongoStore`` (cluster).
///
/// Ownership: every user-facing read and write takes the acting `owner`, and
/// another owner's object is simply not found (nil / false). Runner-side
/// calls act for the experiment, which the server has already authorised.
///
/// Time: every call that depends on time takes `now`, so tests and the
/// reconciler control the clock.
public protocol ExperimentStore: Sendable {
    // MARK: Health

    /// Succeeds when the store can be reached (`/readyz`).
    func ping() async throws

    // MARK: Users and credentials

    /// Throws ``StoreError/conflict`` if the username is taken.
    func createUser(username: String, passwordHash: String, isAdmin: Bool, now: Date) async throws -> User
    func user(named username: String) async throws -> User?
    func user(id: UserID) async throws -> User?
    func adminExists() async throws -> Bool

    /// Stores a credential (its id is assigned here). The hash must be unique.
    func createCredential(_ credential: Credential) async throws -> Credential
    /// The credential with this secret hash, unless it has expired by `now`.
    func credential(secretHash: String, now: Date) async throws -> Credential?
    /// The owner's credentials of one kind, newest first (never the secrets: only hashes exist).
    func credentials(owner: UserID, kind: CredentialKind) async throws -> [Credential]
    /// False if there is no such credential of this owner.
    func deleteCredential(id: TokenID, owner: UserID) async throws -> Bool
    /// Deletes one credential by its secret hash (logout).
    func deleteCredential(secretHash: String) async throws

    // MARK: Artifacts

    /// Stores the file's bytes as an artifact of `owner`, read in chunks (never whole in
    /// memory). If this owner already has an artifact with this sha256 it is returned
    /// with `deduplicated: true` and nothing is stored. The caller computed `sha256`
    /// and `size` while receiving the file, and enforced the size limit.
    func storeArtifact(owner: UserID, sha256: String, size: Int, contentsOf file: URL, now: Date) async throws -> (artifact: Artifact, deduplicated: Bool)
    func artifact(id: ArtifactID, owner: UserID) async throws -> Artifact?
    /// The owner's artifact with these bytes (`sha256` as 64 lowercase hex digits), if any:
    /// a client asks before uploading what it may already have sent.
    func artifact(sha256: String, owner: UserID) async throws -> Artifact?
    /// Streams the artifact's bytes to `chunk` in order; throws ``StoreError/notFound`` for another owner's id.
    func readArtifact(id: ArtifactID, owner: UserID, chunk: @Sendable ([UInt8]) async throws -> Void) async throws

    // MARK: Experiments

    /// Creates a `queued` experiment in O(1): no trial records are written.
    func createExperiment(_ experiment: NewExperiment, now: Date) async throws -> ExperimentRecord
    /// `owner` nil reads for the system (runner routes, reconciler).
    func experiment(id: ExperimentID, owner: UserID?) async throws -> ExperimentRecord?
    /// Newest first; `after` is the previous page's `next`.
    func experiments(owner: UserID, filter: ExperimentFilter, page: PageRequest) async throws -> Page<ExperimentRecord>
    /// Experiments in these states, for every owner (reconcile at start).
    func experiments(inStatus statuses: Set<ExperimentStatus>) async throws -> [ExperimentRecord]
    /// Cancels a queued or running experiment: it leases nothing more; trials never leased
    /// count as canceled at once, running ones when their Runner reports or their lease
    /// expires. Returns the record (unchanged if already final), nil if not found.
    func cancelExperiment(id: ExperimentID, owner: UserID, now: Date) async throws -> ExperimentRecord?
    /// Marks an experiment failed for an infrastructure reason (setup failed, image
    /// pull, unschedulable…); the rest of its trials count as canceled like a cancel.
    func failExperiment(id: ExperimentID, reason: String, now: Date) async throws -> ExperimentRecord?
    func setArchived(id: ExperimentID, owner: UserID, archived: Bool) async throws -> ExperimentRecord?
    /// Makes the experiment readable by every signed-in user (or only its owner again).
    func setPublic(id: ExperimentID, owner: UserID, isPublic: Bool) async throws -> ExperimentRecord?
    /// Deletes the experiment with its trials, metrics, logs and batches.
    func deleteExperiment(id: ExperimentID, owner: UserID) async throws -> Bool

    // MARK: The lease queue (runner side)

    /// Hands out up to `max` trials to `runner`: first trials whose lease expired by `now`
    /// (as their next attempt, or failed after too many lost leases: ``RetryRule``), then
    /// requeued trials, then never-leased indexes from the counter (creating their
    /// records). Each gets a deadline of `now + leaseDuration`. A trial is never held by
    /// two Runners at once. Nothing is handed out for a final (completed, failed,
    /// canceled) experiment. The first lease moves a queued experiment to running.
    ///
    ///
    /// With `proposals` (an adaptive experiment: its caller passes them on every lease),
    /// fresh trials are created from them alone, each storing its parameters, and none
    /// when they start elsewhere than the next fresh index (another lease created trials
    /// meanwhile; the caller proposes again from the newer history).
    func lease(experiment: ExperimentID, runner: RunnerID, max: Int, proposals: TrialProposals?, now: Date) async throws -> [TrialLease]
    /// Expires overdue leases of every experiment (the reaper); says how many, and in
    /// which experiments (so their new counts or end can be announced).
    func expireLeases(now: Date) async throws -> ExpiredLeases
    /// Applies a batch once: metrics, log lines, finished attempts, counts, and the
    /// experiment's completion when its last trial ends. Renews the leases `runner`
    /// holds in the experiment to `now + leaseDuration`. In the same call, answers which
    /// attempts the Runner must stop (``BatchOutcome/revoked``): the ones the events name
    /// that it does not hold, and every one of ``EventBatch/active`` that it does not hold:
    /// the trial runs as another attempt or under another Runner, or is not running, or the
    /// experiment is final. A duplicate batch renews nothing but still answers for `active`.
    func applyEvents(_ batch: EventBatch, now: Date) async throws -> BatchOutcome
    /// Ends a running attempt as `stopped_early` (the early-stopping rule): final, never
    /// retried, with `final` as its final metrics (the best values it reached) and `reason`.
    /// The Runner learns it from its next batch's ``BatchOutcome/revoked``. False if the
    /// attempt is not the trial's running attempt (it ended or moved on meanwhile).
    func stopEarly(experiment: ExperimentID, attempt: TrialAttempt, reason: String, final: Metrics, now: Date) async throws -> Bool

    // MARK: Completion mail

    /// Grants the notification to `runner` if the experiment is final and the mail is
    /// `pending` or `failed`; true exactly once per grant.
    func claimNotification(experiment: ExperimentID, runner: RunnerID, now: Date) async throws -> Bool
    func recordNotification(experiment: ExperimentID, outcome: NotificationOutcome, now: Date) async throws

    // MARK: Queries

    func trials(experiment: ExperimentID, owner: UserID?, query: TrialQuery) async throws -> [TrialRecord]
    func trial(experiment: ExperimentID, index: Int, owner: UserID?) async throws -> TrialRecord?
    /// Every leased trial in index order, delivered one by one (results export).
    func forEachTrial(experiment: ExperimentID, owner: UserID?, _ body: @Sendable (TrialRecord) async throws -> Void) async throws
    func metricSeries(experiment: ExperimentID, trial: Int, owner: UserID?) async throws -> [MetricSeries]
    /// The last `limit` log lines of a trial (all attempts, oldest first).
    func logs(experiment: ExperimentID, trial: Int, owner: UserID?, limit: Int) async throws -> [LogLine]
}

extension ExperimentStore {
    /// A lease of a fixed plan's trials (no proposals).
    public func lease(experiment: ExperimentID, runner: RunnerID, max: Int, now: Date) async throws -> [TrialLease] {
        try await lease(experiment: experiment, runner: runner, max: max, proposals: nil, now: now)
    }
}
