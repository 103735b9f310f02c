import AssayStore
import Foundation
import Logging

/// Users, passwords, sessions and API tokens over the store: what the auth
/// routes and the authentication middleware do, without HTTP.
struct Authentication: Sendable {
    /// The browser session cookie.
    static let sessionCookieName = "assay_session"
    /// API tokens start with this, so a leaked one is recognisable.
    static let apiTokenPrefix = "asy_"

    let store: any ExperimentStore
    let hasher: PasswordHasher
    let limiter: LoginRateLimiter
    let now: @Sendable () -> Date
    let sessionLifetime: TimeInterval
    /// Checked against when the username is unknown, so both failures take as long.
    let decoyHash: String

    init(
        store: any ExperimentStore, hasher: PasswordHasher, limiter: LoginRateLimiter,
        sessionLifetime: TimeInterval, now: @escaping @Sendable () -> Date
    ) async throws {
        self.store = store
        self.hasher = hasher
        self.limiter = limiter
        self.sessionLifetime = sessionLifetime
        self.now = now
        self.decoyHash = try await hasher.hash(SecretToken.generate())
    }

    static let invalidCredentials = APIError(.unauthorized, code: "invalid_credentials", message: "wrong username or password")

    /// Checks the password (rate-limited per username and client) and opens a
    /// session; returns the user and the session secret for the cookie.
    func login(username: String, password: String, client: String) async throws -> (user: User, secret: String) {
        let key = "\(username.lowercased())|\(client)"
        if let seconds = limiter.retryAfter(key: key, now: now()) {
            throw APIError.rateLimited(retryAfter: seconds)
        }
        let user = try await store.user(named: username)
        let matches = try await hasher.verify(password, hash: user?.passwordHash ?? decoyHash)
        guard let user, matches else {
            limiter.recordFailure(key: key, now: now())
            throw Self.invalidCredentials
        }
        limiter.reset(key: key)
        let secret = SecretToken.generate()
        let start = now()
        _ = try await store.createCredential(Credential(
            id: "", kind: .session, owner: user.id, name: "session", secretHash: SecretToken.hash(secret),
            createdAt: start, expiresAt: start.addingTimeInterval(sessionLifetime)))
        return (user, secret)
    }

    func logout(sessionSecret: String) async throws {
        try await store.deleteCredential(secretHash: SecretToken.hash(sessionSecret))
    }

    /// The user a credential secret acts for. `kind` is the kind the secret
    /// must be (a bearer token must be an API token, a cookie a session);
    /// runner tokens are refused with 403, anything unknown or expired with 401.
    func user(forSecret secret: String, kind: CredentialKind) async throws -> User {
        guard let credential = try await store.credential(secretHash: SecretToken.hash(secret), now: now()) else {
            throw APIError.unauthorized
        }
        if credential.kind == .runner {
            throw APIError.forbidden("a runner token opens only its experiment's runner routes")
        }
        guard credential.kind == kind, let user = try await store.user(id: credential.owner) else {
            throw APIError.unauthorized
        }
        return user
    }

    /// A new API token; the secret is returned once and stored only hashed.
    func createToken(owner: UserID, name: String) async throws -> (credential: Credential, secret: String) {
        let secret = SecretToken.generate(prefix: Self.apiTokenPrefix)
        let credential = try await store.createCredential(Credential(
            id: "", kind: .apiToken, owner: owner, name: name, secretHash: SecretToken.hash(secret), createdAt: now()))
        return (credential, secret)
    }

    /// Creates a user with a bcrypt-hashed password; 409 if the name is taken.
    func createUser(username: String, password: String, isAdmin: Bool) async throws -> User {
        let hash = try await hasher.hash(password)
        do {
            return try await store.createUser(username: username, passwordHash: hash, isAdmin: isAdmin, now: now())
        } catch StoreError.conflict {
            throw APIError.conflict("username \"\(username)\" is taken")
        }
    }

    /// Creates the configured admin unless an admin exists already (so a
    /// restart, or a second replica, creates nobody).
    func bootstrapAdmin(_ admin: ServerConfiguration.AdminBootstrap?, logger: Logger) async throws {
        guard let admin else { return }
        guard try await !store.adminExists() else {
            logger.debug("admin exists; bootstrap skipped")
            return
        }
        do {
            let user = try await createUser(username: admin.username, password: admin.password, isAdmin: true)
            logger.notice("admin bootstrapped", metadata: ["user": "\(user.id)", "username": "\(user.username)"])
        } catch let error as APIError where error.status == .conflict {
            logger.warning("admin bootstrap: the username is taken by a user who is not an admin", metadata: ["username": "\(admin.username)"])
        }
    }
}
