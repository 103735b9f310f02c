import AssayStore
import Foundation
import Logging
import ServiceLifecycle

/// Expires overdue trial leases of every experiment at a fixed interval, so
/// the trials of a vanished Runner go back to the queue (or fail for good)
/// even when no other Runner asks for a lease. Stops at graceful shutdown.
struct LeaseReaper: Service {
    let store: any ExperimentStore
    let interval: Duration
    let now: @Sendable () -> Date
    let logger: Logger
    /// Told the new counts of running experiments when leases expired, so live pages see it.
    var live: LiveEvents? = nil

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let expired = try await store.expireLeases(now: now())
                if expired > 0 {
                    logger.info("leases expired", metadata: ["trials": "\(expired)"])
                    if let live {
                        for record in try await store.experiments(inStatus: [.queued, .running, .failed, .completed])
                        where record.finishedAt.map({ now().timeIntervalSince($0) < 60 }) ?? true {
                            await live.publish(record.id, [LiveEventPayloads.experiment(record)], final: record.status.isFinal)
                        }
                    }
                }
            } catch {
                logger.warning("lease reaping failed", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return  // shutdown or cancellation
            }
        }
    }
}
