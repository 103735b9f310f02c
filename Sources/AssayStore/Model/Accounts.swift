import Foundation

/// A person who owns experiments. The password is stored as a hash only.
public struct User: Sendable, Hashable, Codable {
    public var id: UserID
    public var username: String
    public var passwordHash: String
    public var isAdmin: Bool
    public var createdAt: Date

    public init(id: UserID, username: String, passwordHash: String, isAdmin: Bool, createdAt: Date) {
        self.id = id
        self.username = username
        self.passwordHash = passwordHash
        self.isAdmin = isAdmin
        self.createdAt = createdAt
    }
}

/// What kind of credential a stored token hash is.
public enum CredentialKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A named API token for the CLI, until deleted.
    case apiToken = "api"
    /// A browser session (cookie), until it expires or the user logs out.
    case session
    /// A Runner's token: opens only the runner routes of `experiment`, until it expires.
    case runner
}

/// A stored credential: only the SHA-256 of the secret is kept.
public struct Credential: Sendable, Hashable, Codable {
    public var id: TokenID
    public var kind: CredentialKind
    /// The user it acts for (for runner tokens: the experiment's owner).
    public var owner: UserID
    /// For runner tokens: the one experiment it opens.
    public var experiment: ExperimentID?
    /// Display name of an API token.
    public var name: String
    /// Lowercase hex SHA-256 of the secret.
    public var secretHash: String
    public var createdAt: Date
    public var expiresAt: Date?

    public init(
        id: TokenID, kind: CredentialKind, owner: UserID, experiment: ExperimentID? = nil, name: String,
        secretHash: String, createdAt: Date, expiresAt: Date? = nil
    ) {
        self.id = id
        self.kind = kind
        self.owner = owner
        self.experiment = experiment
        self.name = name
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
