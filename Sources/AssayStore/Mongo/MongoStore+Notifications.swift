import Foundation

/// The completion mail: claimed by one Runner with a compare-and-set, sent at most once.
extension MongoStore {
    public func claimNotification(experiment: ExperimentID, runner: RunnerID, now: Date) async throws -> Bool {
        let final = ExperimentStatus.allCases.filter(\.isFinal).map { BSON.string($0.rawValue) }
        let claimable = [NotificationState.pending, .failed].map { BSON.string($0.rawValue) }
        return try await run { connection in
            try connection.findAndModify(Collections.experiments, query: [
                "_id": .string(experiment), "status": ["$in": .array(final)], "notification.state": ["$in": .array(claimable)],
            ], update: [
                "$set": ["notification.state": .string(NotificationState.claimed.rawValue), "notification.claimedBy": .string(runner)],
            ], projection: ["_id": 1]) != nil
        }
    }

    public func recordNotification(experiment: ExperimentID, outcome: NotificationOutcome, now: Date) async throws {
        let set: BSON.Document = switch outcome {
        case .sent: ["notification.state": .string(NotificationState.sent.rawValue), "notification.sentAt": StoredValue.time(now)]
        case .failed(let error): ["notification.state": .string(NotificationState.failed.rawValue), "notification.lastError": .string(error)]
        }
        try await run { connection in
            try connection.update(Collections.experiments, filter: ["_id": .string(experiment)],
                                  update: ["$set": .document(set), "$inc": ["notification.attempts": 1]])
        }
    }
}
