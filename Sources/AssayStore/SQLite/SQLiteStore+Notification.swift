import Foundation
import GRDB

/// The completion mail: claimed by one Runner, sent at most once.
extension SQLiteStore {
    public func claimNotification(experiment id: ExperimentID, runner: RunnerID, now: Date) async throws -> Bool {
        try Self.checkText(runner, "runner")
        return try await write { db in
            guard var experiment = try StoredExperiment.fetch(db, id: id), experiment.record.status.isFinal else { return false }
            switch experiment.record.notification.state {
            case .pending, .failed:
                experiment.record.notification.state = .claimed
                experiment.record.notification.claimedBy = runner
                try experiment.save(db)
                return true
            case .claimed, .sent:
                return false
            }
        }
    }

    /// Every recorded send counts in `attempts`, the one that succeeded too.
    public func recordNotification(experiment id: ExperimentID, outcome: NotificationOutcome, now: Date) async throws {
        if case .failed(let error) = outcome { try Self.checkText(error, "notification error") }
        try await write { db in
            var experiment = try StoredExperiment.fetchOrThrow(db, id: id)
            experiment.record.notification.attempts += 1
            switch outcome {
            case .sent:
                experiment.record.notification.state = .sent
                experiment.record.notification.sentAt = now
            case .failed(let error):
                experiment.record.notification.state = .failed
                experiment.record.notification.lastError = error
            }
            try experiment.save(db)
        }
    }
}
