import Foundation

/// The runner routes of one experiment (`/api/v1/runner/experiments/{id}/…`, see docs/api.md),
/// whatever carries them. The transport holds the runner token: the Runner never sees it.
///
/// Implementations throw ``RunnerServerError``; the Runner retries what
/// ``RunnerServerError/isRetryable`` says it may and treats any other error as a transport
/// failure (retryable) too.
public protocol RunnerServer: Sendable {
    /// `GET spec`.
    func spec() async throws -> RunnerSpec
    /// `GET artifact`, streamed into `file` (created or replaced).
    func downloadArtifact(to file: URL) async throws
    /// `POST lease` `{"runner", "max"}`.
    func lease(runner: String, max: Int) async throws -> LeaseAnswer
    /// `POST events`: applied once per `(runner, seq)`.
    func postEvents(_ batch: EventBatch) async throws -> BatchAnswer
    /// `POST setup-failed` `{"runner", "reason"}`: fails the experiment; answers its state.
    func setupFailed(runner: String, reason: String) async throws -> ExperimentState
    /// `POST claim-notification` `{"runner"}`.
    func claimNotification(runner: String) async throws -> NotificationClaim
    /// `POST notification-result` `{"runner", "sent", "error"?}`.
    func notificationResult(runner: String, sent: Bool, error: String?) async throws
}

/// Why a runner route did not answer as hoped, classified once for the retry loop:
/// transport failures, 5xx, 408 and 429 are worth retrying; other answers are not.
public struct RunnerServerError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// No answer: connection refused or reset, timeout, DNS...
        case transport
        /// An HTTP answer other than the expected success.
        case status(Int)
        /// A success whose body is not what the route answers.
        case invalidResponse
    }

    public var kind: Kind
    /// For people: the server's error message, or what went wrong.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func transport(_ message: String) -> RunnerServerError { .init(.transport, message) }
    public static func status(_ code: Int, _ message: String) -> RunnerServerError { .init(.status(code), message) }

    /// Whether sending the same request again later may succeed.
    public var isRetryable: Bool {
        switch kind {
        case .transport: true
        case .status(let code): code >= 500 || code == 429 || code == 408
        case .invalidResponse: false
        }
    }

    public var description: String {
        switch kind {
        case .transport: "server unreachable: \(message)"
        case .status(let code): "server answered \(code): \(message)"
        case .invalidResponse: "unexpected server answer: \(message)"
        }
    }

    /// `error` as a runner server error; anything else a transport threw counts as a transport failure.
    public static func classify(_ error: any Error) -> RunnerServerError {
        error as? RunnerServerError ?? .transport(String(describing: error))
    }
}
