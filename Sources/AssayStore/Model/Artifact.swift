import Foundation

/// A code artifact (a zip), content-addressed per owner: the same bytes
/// uploaded twice by one owner are one artifact.
public struct Artifact: Sendable, Hashable, Codable {
    public var id: ArtifactID
    public var owner: UserID
    /// Lowercase hex SHA-256 of the content.
    public var sha256: String
    public var size: Int
    public var createdAt: Date

    public init(id: ArtifactID, owner: UserID, sha256: String, size: Int, createdAt: Date) {
        self.id = id
        self.owner = owner
        self.sha256 = sha256
        self.size = size
        self.createdAt = createdAt
    }
}
