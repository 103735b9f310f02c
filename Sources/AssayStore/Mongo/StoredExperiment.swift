import AssayCore
import Foundation

/// An experiment document: the ``ExperimentRecord`` plus the queue's lease counter.
///
/// ```
/// { _id, owner, name, description, tags, declaration, artifact, trialCount, maxAttempts,
///   leaseSeconds, status, reason, counts: {pending, running, succeeded, failed, timed_out,
///   canceled, stopped_early}, createdAt, startedAt, finishedAt, archived,
///   notification: {state, claimedBy, attempts, lastError, sentAt},
///   nextIndex,                    // trials [0, nextIndex) have records
///   journal: {token: time}, journalSize }   // count changes applied (MongoStore+Counts)
/// ```
/// Times are int64 milliseconds since 1970 (``StoredValue/time(_:)``).
struct StoredExperiment: Sendable {
    var record: ExperimentRecord
    var nextIndex: Int
    var journalSize: Int

    var id: ExperimentID { record.id }
    var status: ExperimentStatus { record.status }
    var isActive: Bool { !record.status.isFinal }
    var leaseDuration: TimeInterval { record.leaseSeconds }

    /// Reads leave the count journal on the server.
    static let projection: BSON.Document = ["journal": 0]

    init(document: BSON.Document) throws {
        let counts = try document.document("counts")
        let notification = try document.document("notification")
        record = ExperimentRecord(
            id: try document.string("_id"),
            owner: try document.string("owner"),
            name: try document.string("name"),
            description: document.optionalString("description"),
            tags: document.strings("tags"),
            declaration: try document.string("declaration"),
            artifact: document.optionalString("artifact"),
            trialCount: try document.int("trialCount"),
            maxAttempts: try document.int("maxAttempts"),
            leaseSeconds: try document.double("leaseSeconds"),
            status: try document.enumeration("status", as: ExperimentStatus.self),
            reason: document.optionalString("reason"),
            counts: try Self.counts(from: counts),
            createdAt: try document.date("createdAt"),
            startedAt: document.optionalDate("startedAt"),
            finishedAt: document.optionalDate("finishedAt"),
            archived: document.bool("archived"),
            notification: NotificationStatus(
                state: try notification.enumeration("state", as: NotificationState.self),
                claimedBy: notification.optionalString("claimedBy"),
                attempts: notification.optionalInt("attempts") ?? 0,
                lastError: notification.optionalString("lastError"),
                sentAt: notification.optionalDate("sentAt")),
            isPublic: document.bool("public"))
        nextIndex = try document.int("nextIndex")
        journalSize = document.optionalInt("journalSize") ?? 0
    }

    /// The document of a new, queued experiment: one write, whatever the trial count.
    static func document(for experiment: NewExperiment, id: ExperimentID, now: Date) -> BSON.Document {
        let leaseSeconds = experiment.leaseDuration.inSeconds
        return [
            "_id": .string(id),
            "owner": .string(experiment.owner),
            "name": .string(experiment.name),
            "description": .optional(experiment.description),
            "tags": .array(experiment.tags.map(BSON.string)),
            "declaration": .string(experiment.declaration),
            "artifact": .optional(experiment.artifact),
            "trialCount": .int(experiment.trialCount),
            "maxAttempts": .int(experiment.maxAttempts),
            "leaseSeconds": .double(leaseSeconds),
            "status": .string(ExperimentStatus.queued.rawValue),
            "reason": .null,
            "counts": .document(countsDocument(TrialCounts(pending: experiment.trialCount))),
            "createdAt": StoredValue.time(now),
            "startedAt": .null,
            "finishedAt": .null,
            "archived": false,
            "public": false,
            "notification": [
                "state": .string(NotificationState.pending.rawValue), "claimedBy": .null, "attempts": 0,
                "lastError": .null, "sentAt": .null,
            ],
            "nextIndex": 0,
            "journal": [:],
            "journalSize": 0,
        ]
    }

    /// The field of a count, for `$inc`.
    static func countField(_ status: TrialStatus) -> String { "counts.\(status.rawValue)" }

    static func countsDocument(_ counts: TrialCounts) -> BSON.Document {
        BSON.Document(TrialStatus.allCases.map { ($0.rawValue, BSON.int(counts[$0])) })
    }

    private static func counts(from document: BSON.Document) throws -> TrialCounts {
        var counts = TrialCounts()
        for status in TrialStatus.allCases {
            // Documents written before trials could stop early have no such count.
            counts[status] = status == .stoppedEarly ? document.optionalInt(status.rawValue) ?? 0 : try document.int(status.rawValue)
        }
        return counts
    }
}
