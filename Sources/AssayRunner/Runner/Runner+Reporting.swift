import Foundation

/// Posting batches: numbered, retried unchanged until the server answers, then acted upon.
extension Runner {
    /// Posts the batch in flight, or a new one of what the buffer holds (an empty one while
    /// trials run: it renews their leases). Every batch lists the attempts running here, so
    /// the server can take back one whose lease was lost even if it reports nothing.
    func flush() async {
        if pendingBatch == nil {
            let (events, dropped) = buffer.take()
            if dropped > 0 {
                logger.warning("metric points dropped: the event buffer was full", metadata: ["points": "\(dropped)"])
            }
            guard !events.isEmpty || !running.isEmpty else { return }
            pendingBatch = EventBatch(runner: configuration.runnerID, seq: nextSeq, events: events, active: activeAttempts)
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
        for key in answer.lostAttempts(of: batch).sorted() {
            buffer.discard(key)
            guard running[key]?.stopped == false else { continue }
            logger.warning("lease revoked; stopping the trial", metadata: ["trial": "\(key.trial)", "attempt": "\(key.attempt)"])
            stop(key)
        }
        observe(answer.status)
    }

    /// The attempts running here that the Runner has not stopped, in order: an attempt whose
    /// end is already buffered is not running any more (``ended`` removes it first).
    var activeAttempts: [AttemptKey] {
        running.filter { !$0.value.stopped }.keys.sorted()
    }
}
