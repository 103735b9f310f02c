import AssayStore
import Hummingbird
import NIOCore

/// The per-request context of every route: who is calling (set by
/// ``UserAuthenticationMiddleware``), from where, and how bodies are decoded.
public struct AssayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated user; nil before authentication and on public routes.
    public var user: User?
    /// On runner routes: the experiment whose runner token was presented.
    public var runnerExperiment: ExperimentID?
    /// The client's IP address ("unknown" when there is none, as in router tests).
    public let clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// JSON bodies of these routes are small; uploads get their own limit.
    public var maxUploadSize: Int { 64 * 1024 }

    public var requestDecoder: StrictJSONDecoder { StrictJSONDecoder() }

    /// The authenticated user, or 401.
    func requireUser() throws -> User {
        guard let user else { throw APIError.unauthorized }
        return user
    }
}
