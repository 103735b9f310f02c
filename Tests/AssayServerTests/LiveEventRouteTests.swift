@testable import AssayServer
import AssayStore
import AssayTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// One parsed Server-Sent Event.
struct SSEvent: Equatable {
    var id: String?
    var type: String
    var data: String
}

func parseSSE(_ text: String) -> [SSEvent] {
    text.components(separatedBy: "\n\n").compactMap { block in
        var event = SSEvent(id: nil, type: "", data: "")
        for line in block.split(separator: "\n") {
            if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
            if line.hasPrefix("event: ") { event.type = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { event.data = String(line.dropFirst(6)) }
        }
        return event.type.isEmpty ? nil : event
    }
}

@Suite struct LiveEventRouteTests {
    @Test(arguments: StoreKind.allCases)
    func aClientSeesATrialsEventsInOrderAndResumesWithoutGaps(kind: StoreKind) async throws {
        let store = try await kind.open()
        let executor = RecordingExecutor()
        try await withServer(store, executor: executor) { client in
            let token = try await client.userToken("alice")
            let id = try await client.createExperiment(token: token, artifact: try await client.artifactID(token: token))
            let runnerToken = try #require(executor.runnerToken(of: id))
            let base = "/api/v1/runner/experiments/\(id)"

            // Following from before the first lease: the stream ends when the experiment completes.
            async let followed = client.send(.get, "/api/v1/experiments/\(id)/events", token: token)

            _ = try await client.send(.post, "\(base)/lease", json: ["runner": "r1", "max": 6], token: runnerToken)
            var events: [[String: Any]] = [
                ["type": "metrics", "trial": 0, "attempt": 1, "steps": [1, 2], "metrics": ["loss": [0.5, 0.4]]],
                ["type": "log", "trial": 0, "attempt": 1, "stream": "stdout", "lines": ["epoch 1"]],
            ]
            for trial in 0..<6 {
                events.append(["type": "finished", "trial": trial, "attempt": 1, "status": "succeeded", "seconds": 1, "metrics": ["loss": 0.1]])
            }
            let applied = try await client.send(.post, "\(base)/events", json: ["runner": "r1", "seq": 1, "events": events], token: runnerToken)
            #expect(applied.json["status"] as? String == "completed")

            let response = try await followed
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            // Had the request come after the completion, the final state would follow without an id.
            let seen = parseSSE(String(buffer: response.body)).filter { $0.id != nil }
            #expect(seen.map(\.type) == ["experiment", "metrics", "log"] + Array(repeating: "trial", count: 6) + ["experiment"])
            #expect(seen.first?.data.contains("\"running\"") == true)
            #expect(seen.last?.data.contains("\"completed\"") == true)
            #expect(seen[1].data == #"{"attempt":1,"metrics":{"loss":[0.5,0.4]},"steps":[1,2],"trial":0}"#)
            #expect(Set(seen.compactMap(\.id)).count == seen.count)

            // Resuming after the third event: exactly the rest, then the final state.
            let resumed = try await client.execute(
                uri: "/api/v1/experiments/\(id)/events", method: .get,
                headers: [.authorization: "Bearer \(token)", .lastEventID: try #require(seen[2].id)])
            let rest = parseSSE(String(buffer: resumed.body))
            #expect(rest.dropLast() == seen.dropFirst(3))
            #expect(rest.last?.id == nil)
            #expect(rest.last?.data.contains("\"completed\"") == true)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aCancelEndsTheStreamAndOnlyTheOwnerFollows(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let token = try await client.userToken("alice")
            let bob = try await client.userToken("bob")
            let id = try await client.createExperiment(token: token, artifact: try await client.artifactID(token: token))
            let uri = "/api/v1/experiments/\(id)/events"
            #expect(try await client.send(.get, uri).status == .unauthorized)
            #expect(try await client.send(.get, uri, token: bob).status == .notFound)

            async let followed = client.send(.get, uri, token: token)
            try await Task.sleep(for: .milliseconds(100))
            _ = try await client.send(.post, "/api/v1/experiments/\(id)/cancel", token: token)
            let seen = parseSSE(String(buffer: try await followed.body)).filter { $0.id != nil }
            #expect(seen.map(\.type) == ["experiment"])
            #expect(seen.first?.data.contains("\"canceled\"") == true)
        }
    }
}
