import Foundation

/// Posting batches: numbered, retried unchanged until the server answers, then acted upon.
extension Runner {
    /// Posts the batch in flight, or a new one of what the buffer holds (an empty one while
    /// trials run: it renews their leases).
    func flush() async {
        if pendingBatch == nil {
            let (events, dropped) = buffer.take()
            if dropped > 0 {
                logger.warning("metric points dropped: the event buffer was full", metadata: ["points": "\(dropped)"])
            }
            guard !events.isEmpty || !running.isEmpty else { return }
            pendingBatch = EventBatch(runner: configuration.runnerID, seq: nextSeq, events: events)
            nextSeq += 1
        }
        guard let batch = pendingBatch else { return }
        do {
            let answer = try await retrying("events") { try await server.postEvents(batch) }
            pendingBatch = nil
            apply(answer, to: batch)
        } catch is CancellationError {
            return
        } catch {
            giveUp(RunnerServerError.classify(error))
        }
    }

    /// Posts until nothing is left to send (or the Runner cannot go on).
    func flushAll() async {
        repeat {
            await flush()
        } while fatal == nil && !Task.isCancelled && (pendingBatch != nil || !buffer.isEmpty)
    }

    private func apply(_ answer: BatchAnswer, to batch: EventBatch) {
        logger.debug("batch posted", metadata: [
            "seq": "\(batch.seq)", "events": "\(batch.events.count)", "duplicate": "\(answer.duplicate)",
        ])
        if batch.events.contains(where: { if case .finished = $0 { true } else { false } }) { queueMayHaveWork = true }
        // `revoked` names trials; the attempts this batch reported on are the ones lost.
        let revoked = Set(answer.revoked)
        let lost = Set(batch.events.map(\.attempt)).filter { revoked.contains($0.trial) }
        for key in lost {
            buffer.discard(key)
            guard running[key] != nil else { continue }
            logger.warning("lease revoked; stopping the trial", metadata: ["trial": "\(key.trial)", "attempt": "\(key.attempt)"])
            stop(key)
        }
        observe(answer.status)
    }
}
