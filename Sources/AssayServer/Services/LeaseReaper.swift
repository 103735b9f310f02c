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
                if expired.trials > 0 {
                    logger.info("leases expired", metadata: ["trials": "\(expired.trials)"])
                    // Live pages of the experiments it changed see the new counts (or their end).
                    for id in expired.experiments {
                        guard let live, let record = try await store.experiment(id: id, owner: nil) else { continue }
                        await live.publish(record.id, [LiveEventPayloads.experiment(record)], final: record.status.isFinal)
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

/// Ends the live event streams at graceful shutdown, so the HTTP server can drain:
/// an open `/events` response would otherwise hold it until it is killed.
struct LiveEventsCloser: Service {
    let live: LiveEvents

    func run() async throws {
        try? await gracefulShutdown()
        await live.closeAll()
    }
}
