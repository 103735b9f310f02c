import AssayStore
import Foundation
import Hummingbird

/// `{"id", "status", "trials"}`: what create and rerun answer.
struct CreatedExperimentResponse: ResponseCodable {
    var id: String
    var status: ExperimentStatus
    var trials: Int
}

/// An experiment as lists show it; ``ExperimentDetail`` adds the declaration.
struct ExperimentSummary: ResponseCodable {
    var id: String
    var name: String
    var description: String?
    var tags: [String]
    var status: ExperimentStatus
    var reason: String?
    var trials: Int
    var counts: TrialCounts
    var artifact: String?
    var maxAttempts: Int
    var archived: Bool
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    /// The completion mail: `pending`, `claimed`, `sent` or `failed` (with the last error).
    var notification: NotificationStatus
    /// Readable by every signed-in user with the link (set by the owner).
    var `public`: Bool
    /// The owner's username (nil where it was not looked up).
    var owner: String?

    init(_ record: ExperimentRecord, ownerName: String? = nil) {
        `public` = record.isPublic
        owner = ownerName
        id = record.id
        name = record.name
        description = record.description
        tags = record.tags
        status = record.status
        reason = record.reason
        trials = record.trialCount
        counts = record.counts
        artifact = record.artifact
        maxAttempts = record.maxAttempts
        archived = record.archived
        createdAt = record.createdAt
        startedAt = record.startedAt
        finishedAt = record.finishedAt
        notification = record.notification
    }
}

/// `GET /api/v1/experiments/{id}`: the summary and the declaration text as stored.
struct ExperimentDetail: ResponseEncodable {
    var summary: ExperimentSummary
    var declaration: String

    init(_ record: ExperimentRecord, ownerName: String? = nil) {
        summary = ExperimentSummary(record, ownerName: ownerName)
        declaration = record.declaration
    }

    enum CodingKeys: String, CodingKey { case declaration }

    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(declaration, forKey: .declaration)
    }
}

/// `{"items": […], "next": "<cursor>" | null}`.
struct ExperimentListResponse: ResponseEncodable {
    var items: [ExperimentSummary]
    var next: String?

    enum CodingKeys: String, CodingKey { case items, next }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(next, forKey: .next)
    }
}

/// `POST .../archive`: `{"archived": false}` unarchives; an empty body archives.
struct ArchiveRequest: StrictDecodable {
    typealias Field = CodingKeys
    enum CodingKeys: String, CodingKey, CaseIterable { case archived }
    var archived: Bool
}

/// `POST /api/v1/experiments/{id}/visibility`: `{"public": true}` or `false`.
struct VisibilityRequest: StrictDecodable {
    typealias Field = CodingKeys
    enum CodingKeys: String, CodingKey, CaseIterable { case `public` }
    var `public`: Bool
}
