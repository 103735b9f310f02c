import AssayStore
import DequeModule
import Foundation

/// One Server-Sent Event of an experiment: `id: <boot>-<n>`, `event: <type>`, `data: <json>`.
struct LiveEvent: Sendable, Hashable {
    var id: String
    var type: String
    var data: String

    /// The event as it goes on the wire.
    var text: String {
        var text = id.isEmpty ? "" : "id: \(id)\n"
        text += "event: \(type)\ndata: \(data)\n\n"
        return text
    }
}

/// Fans out what this server applies (event batches, leases, cancels, failed
/// setups) to the clients following an experiment, and keeps each
/// experiment's recent events so a client resumes with `Last-Event-ID`
/// without gaps or duplicates. Ids carry a per-process prefix: an id from
/// before a restart replays everything kept.
actor LiveEvents {
    private struct Channel {
        var history = Deque<(number: Int, event: LiveEvent)>()
        var nextNumber = 1
        var subscribers: [UUID: AsyncStream<LiveEvent>.Continuation] = [:]
        /// Published as final: nobody subscribes live any more.
        var final = false
    }

    private var channels: [ExperimentID: Channel] = [:]
    /// Set at graceful shutdown: every stream ends, none starts live.
    private var closed = false
    /// Least recently published first, for eviction.
    private var recency: [ExperimentID] = []
    private let boot = String(UUID().uuidString.prefix(8)).lowercased()
    /// Events kept per experiment for resuming.
    let historyLimit: Int
    /// Experiments whose events are kept.
    let experimentLimit: Int

    init(historyLimit: Int = 10_000, experimentLimit: Int = 200) {
        self.historyLimit = historyLimit
        self.experimentLimit = experimentLimit
    }

    /// Numbers the events, keeps them and sends them to every follower; a
    /// final experiment's followers are done after these.
    func publish(_ experiment: ExperimentID, _ events: [(type: String, data: String)], final: Bool) {
        // Taken out while it changes: a copy left in `channels` would make each append copy
        // the whole history (up to `historyLimit` events, on every publish).
        var channel = channels.removeValue(forKey: experiment) ?? Channel()
        for (type, data) in events {
            let number = channel.nextNumber
            channel.nextNumber += 1
            let event = LiveEvent(id: "\(boot)-\(number)", type: type, data: data)
            channel.history.append((number, event))
            for subscriber in channel.subscribers.values { subscriber.yield(event) }
        }
        if channel.history.count > historyLimit { channel.history.removeFirst(channel.history.count - historyLimit) }
        if final {
            channel.final = true
            for subscriber in channel.subscribers.values { subscriber.finish() }
            channel.subscribers = [:]
        }
        channels[experiment] = channel
        recency.removeAll { $0 == experiment }
        recency.append(experiment)
        if recency.count > experimentLimit {
            let evicted = recency.removeFirst()
            channels[evicted]?.subscribers.values.forEach { $0.finish() }
            channels[evicted] = nil
        }
    }

    /// The kept events after `lastEventID` and, unless `live` is false or the
    /// experiment has ended, a stream of the ones to come (taken together:
    /// nothing twice, nothing lost).
    func subscribe(_ experiment: ExperimentID, after lastEventID: String?, live: Bool) -> (replay: [LiveEvent], stream: AsyncStream<LiveEvent>?) {
        var after = 0
        if let lastEventID, lastEventID.hasPrefix("\(boot)-"), let number = Int(lastEventID.dropFirst(boot.count + 1)) {
            after = number
        }
        var channel = channels[experiment] ?? Channel()  // the history is only read here: not copied
        let replay = channel.history.filter { $0.number > after }.map(\.event)
        guard live, !channel.final, !closed else { return (replay, nil) }
        let (stream, continuation) = AsyncStream<LiveEvent>.makeStream(bufferingPolicy: .bufferingNewest(historyLimit))
        let key = UUID()
        continuation.onTermination = { _ in Task { await self.unsubscribe(experiment, key) } }
        channel.subscribers[key] = continuation
        channels[experiment] = channel
        if !recency.contains(experiment) { recency.append(experiment) }
        return (replay, stream)
    }

    /// Ends every live stream (the server is shutting down: open streams would keep it
    /// from draining). Clients resume with `Last-Event-ID` from another replica or after the restart.
    func closeAll() {
        closed = true
        for key in channels.keys {
            channels[key]?.subscribers.values.forEach { $0.finish() }
            channels[key]?.subscribers = [:]
        }
    }

    private func unsubscribe(_ experiment: ExperimentID, _ key: UUID) {
        channels[experiment]?.subscribers[key] = nil
    }
}
