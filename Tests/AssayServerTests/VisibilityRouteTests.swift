@testable import AssayServer
import AssayStore
import AssayTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Sharing: an owner makes an experiment readable by every signed-in user, and only
/// the owner changes anything about it. Private again, it is 404 for the others.
@Suite struct VisibilityRouteTests {
    @Test(arguments: StoreKind.allCases)
    func aPublicExperimentIsReadableByOthersAndChangeableOnlyByItsOwner(kind: StoreKind) async throws {
        let store = try await kind.open()
        let clock = TestClock()
        try await withServer(store, clock: clock) { client in
            let (alice, id) = try await experimentWithResults(client, store: store, clock: clock)
            let bob = try await client.userToken("bob")
            let reads = [
                "/api/v1/experiments/\(id)", "/api/v1/experiments/\(id)/trials", "/api/v1/experiments/\(id)/trials/0/logs",
                "/api/v1/experiments/\(id)/trials/0/metrics", "/api/v1/experiments/\(id)/results.csv",
                "/api/v1/experiments/\(id)/results.json", "/api/v1/experiments/\(id)/bundle.zip",
            ]
            for path in reads { #expect(try await client.send(.get, path, token: bob).status == .notFound, "\(path)") }

            let shared = try await client.send(.post, "/api/v1/experiments/\(id)/visibility", raw: #"{"public": true}"#, token: alice)
            #expect(shared.status == .ok)
            #expect(shared.json["public"] as? Bool == true && shared.json["owner"] as? String == "alice")
            for path in reads { #expect(try await client.send(.get, path, token: bob).status == .ok, "\(path)") }
            let seen = try await client.send(.get, "/api/v1/experiments/\(id)", token: bob)
            #expect(seen.json["owner"] as? String == "alice" && seen.json["public"] as? Bool == true)
            // Not in bob's list, and nothing of it is bob's to change.
            let list = try await client.send(.get, "/api/v1/experiments", token: bob)
            #expect((list.json["items"] as? [[String: Any]])?.isEmpty == true)
            for (method, path) in [(HTTPRequest.Method.post, "cancel"), (.post, "archive"), (.post, "visibility"), (.post, "rerun")] {
                let body = path == "visibility" ? #"{"public": false}"# : nil
                #expect(try await client.send(method, "/api/v1/experiments/\(id)/\(path)", raw: body, token: bob).status == .notFound, "\(path)")
            }
            #expect(try await client.send(.delete, "/api/v1/experiments/\(id)", token: bob).status == .notFound)

            let unshared = try await client.send(.post, "/api/v1/experiments/\(id)/visibility", raw: #"{"public": false}"#, token: alice)
            #expect(unshared.json["public"] as? Bool == false)
            for path in reads { #expect(try await client.send(.get, path, token: bob).status == .notFound, "\(path)") }
            #expect(try await client.send(.post, "/api/v1/experiments/\(id)/visibility", raw: #"{"public": "yes"}"#, token: alice).status == .badRequest)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func metricsComeAsOneSeriesPerMetricAndAttempt(kind: StoreKind) async throws {
        let store = try await kind.open()
        let clock = TestClock()
        try await withServer(store, clock: clock) { client in
            let (token, id) = try await experimentWithResults(client, store: store, clock: clock)
            _ = try await store.applyEvents(EventBatch(experiment: id, runner: "r1", seq: 2, events: [
                .metrics(trial: 2, attempt: 1, steps: [1, 2, 3], values: ["loss": [0.9, 0.7, nil], "acc": [0.1, 0.2, 0.3]]),
            ]), now: clock.now())
            let response = try await client.send(.get, "/api/v1/experiments/\(id)/trials/2/metrics", token: token)
            #expect(response.status == .ok)
            #expect(response.json["trial"] as? Int == 2)
            let series = try #require(response.json["series"] as? [[String: Any]])
            #expect(series.compactMap { $0["name"] as? String } == ["acc", "loss"])
            let loss = try #require(series.first { $0["name"] as? String == "loss" })
            #expect(loss["attempt"] as? Int == 1 && loss["steps"] as? [Int] == [1, 2, 3])
            #expect((loss["values"] as? [Any])?.count == 3 && (loss["values"] as? [Any])?[2] is NSNull)
            #expect(try await client.send(.get, "/api/v1/experiments/\(id)/trials/99/metrics", token: token).status == .notFound)
        }
    }
}
