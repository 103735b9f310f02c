import AssayCurl
import Foundation

/// One Server-Sent Event of an experiment's stream.
struct ServerSentEvent: Sendable {
    var id: String?
    var event: String
    var data: String

    /// `data` as a JSON object.
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:]
    }
}

extension APIClient {
    /// The experiment's live events until its stream ends (the experiment is
    /// final). A dropped connection is resumed from the last event id, so
    /// nothing is missed or repeated; after `attempts` failures in a row it throws.
    func events(of experiment: String, attempts: Int = 8) -> AsyncThrowingStream<ServerSentEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var lastID: String?
                var failures = 0
                while !Task.isCancelled {
                    var request = request(.get, "/api/v1/experiments/\(experiment)/events", timeouts: .streaming())
                    request.headers["Accept"] = "text/event-stream"
                    if let lastID { request.headers["Last-Event-ID"] = lastID }
                    do {
                        var current = ServerSentEvent(id: nil, event: "message", data: "")
                        for try await line in http.lines(request) {
                            if line.isEmpty {
                                if !current.data.isEmpty {
                                    if let id = current.id { lastID = id }
                                    continuation.yield(current)
                                    failures = 0
                                }
                                current = ServerSentEvent(id: nil, event: "message", data: "")
                            } else if line.hasPrefix("event:") {
                                current.event = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
                            } else if line.hasPrefix("data:") {
                                current.data += (current.data.isEmpty ? "" : "\n") + line.dropFirst(5).trimmingCharacters(in: .whitespaces)
                            } else if line.hasPrefix("id:") {
                                current.id = line.dropFirst(3).trimmingCharacters(in: .whitespaces)
                            }
                        }
                        continuation.finish()
                        return
                    } catch CurlError.unexpectedStatus(let status, let body) where status < 500 {
                        continuation.finish(throwing: APIClient.ServerError(status: status, body: Data(body.utf8)))
                        return
                    } catch {
                        failures += 1
                        guard failures < attempts else {
                            continuation.finish(throwing: error)
                            return
                        }
                        try? await Task.sleep(for: .milliseconds(200 * (1 << min(failures, 5))))
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
