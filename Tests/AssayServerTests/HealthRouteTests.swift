import AssayTestSupport
@testable import AssayServer
import AssayStore
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct HealthRouteTests {
    @Test(arguments: StoreKind.allCases)
    func healthAndReadinessAnswer200(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let health = try await client.send(.get, "/healthz")
            #expect(health.status == .ok)
            #expect(health.json["status"] as? String == "ok")
            #expect(try await Self.readiness(client) == .ok)
        }
    }

    /// `/readyz` once it answers 200, or its last answer after 10 s: a fresh nx-27017 may
    /// miss the 2 s readiness timeout on its first answers while other tests load the machine.
    static func readiness(_ client: any TestClientProtocol) async throws -> HTTPResponse.Status {
        var status = try await client.send(.get, "/readyz").status
        for _ in 0..<40 where status != .ok {
            try await Task.sleep(for: .milliseconds(250))
            status = try await client.send(.get, "/readyz").status
        }
        return status
    }

    @Test func readyzAnswers503WhenTheStoreIsGone() async throws {
        let server = try await MongoTestServer.launch()
        let store = try await MongoStore(uri: server.uri, database: "readyz")
        try await withServer(store) { client in
            #expect(try await Self.readiness(client) == .ok)
            try await server.stop()
            let ready = try await client.send(.get, "/readyz")
            #expect(ready.status == .serviceUnavailable)
            #expect(ready.error.code == "store_unavailable")
            #expect(try await client.send(.get, "/healthz").status == .ok)
        }
    }

    @Test func readyzAnswers503InTimeWhenTheStoreHangs() async throws {
        let server = try await MongoTestServer.launch()
        let store = try await MongoStore(uri: server.uri, database: "readyz")
        try await withServer(store, readinessTimeout: .milliseconds(500)) { client in
            // A fresh nx-27017 can be slower than the 500 ms timeout on its first answers
            // while other tests load the machine: wait until it is ready once.
            var status = try await client.send(.get, "/readyz").status
            for _ in 0..<40 where status != .ok {
                try await Task.sleep(for: .milliseconds(250))
                status = try await client.send(.get, "/readyz").status
            }
            #expect(status == .ok)
            server.suspend()
            let started = ContinuousClock.now
            let ready = try await client.send(.get, "/readyz")
            let waited = ContinuousClock.now - started
            server.resume()
            #expect(ready.status == .serviceUnavailable)
            // Not a performance bound: without the timeout the answer took 20 s and more.
            #expect(waited < .seconds(10))
            try await server.stop()
        }
    }
}
