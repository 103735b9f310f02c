@testable import AssayServer
import AssayCore
import AssayStore
import AssayTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// An experiment of alice's with trials 0–2 run: 0 and 1 succeeded (loss 0.5
/// and 0.2), 2 failed its first attempt, 3–5 never leased. Returns alice's token and the id.
func experimentWithResults(_ client: any TestClientProtocol, store: any ExperimentStore, clock: TestClock) async throws -> (token: String, id: String) {
    let token = try await client.userToken("alice")
    let id = try await client.createExperiment(token: token, artifact: try await client.artifactID(token: token))
    let leases = try await store.lease(experiment: id, runner: "r1", max: 3, now: clock.now())
    try #require(leases.map(\.index) == [0, 1, 2])
    _ = try await store.applyEvents(EventBatch(experiment: id, runner: "r1", seq: 1, events: [
        .log(trial: 0, attempt: 1, stream: .stdout, lines: ["epoch 1", "epoch 2"]),
        .finished(trial: 0, attempt: 1, status: .succeeded, exitCode: 0, seconds: 1.5, final: Metrics([("loss", .number(0.5))]), reason: nil),
        .finished(trial: 1, attempt: 1, status: .succeeded, exitCode: 0, seconds: 2.5, final: Metrics([("loss", .number(0.2))]), reason: nil),
        .finished(trial: 2, attempt: 1, status: .failed, exitCode: 1, seconds: 0.5, final: Metrics(), reason: "exit 1"),
    ]), now: clock.now())
    return (token, id)
}

@Suite struct TrialRouteTests {
    @Test(arguments: StoreKind.allCases)
    func trialsSortByAMetricAndFilterByStatus(kind: StoreKind) async throws {
        let store = try await kind.open()
        let clock = TestClock()
        try await withServer(store, clock: clock) { client in
            let (token, id) = try await experimentWithResults(client, store: store, clock: clock)
            func indexes(_ query: String) async throws -> [Int] {
                let response = try await client.send(.get, "/api/v1/experiments/\(id)/trials\(query)", token: token)
                try #require(response.status == .ok)
                return (response.json["items"] as? [[String: Any]] ?? []).compactMap { $0["index"] as? Int }
            }
            #expect(try await indexes("") == [0, 1, 2])
            #expect(try await indexes("?metric=loss&order=asc").prefix(2) == [1, 0])
            #expect(try await indexes("?metric=loss&order=desc").prefix(2) == [0, 1])
            #expect(try await indexes("?status=succeeded") == [0, 1])  // 2 failed once and waits for its retry
            #expect(try await indexes("?offset=1&limit=1") == [1])

            let first = try await client.send(.get, "/api/v1/experiments/\(id)/trials?limit=1", token: token)
            let trial = try #require((first.json["items"] as? [[String: Any]])?.first)
            #expect(trial["status"] as? String == "succeeded")
            #expect((trial["metrics"] as? [String: Any])?["loss"] as? Double == 0.5)
            #expect((trial["parameters"] as? [String: Any])?["lr"] as? String == "0.001")
            #expect(try await client.send(.get, "/api/v1/experiments/\(id)/trials?order=up", token: token).status == .badRequest)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func logsAndResults(kind: StoreKind) async throws {
        let store = try await kind.open()
        let clock = TestClock()
        try await withServer(store, clock: clock) { client in
            let (token, id) = try await experimentWithResults(client, store: store, clock: clock)
            let logs = try await client.send(.get, "/api/v1/experiments/\(id)/trials/0/logs", token: token)
            #expect(logs.status == .ok)
            #expect((logs.json["lines"] as? [[String: Any]])?.compactMap { $0["text"] as? String } == ["epoch 1", "epoch 2"])
            #expect(try await client.send(.get, "/api/v1/experiments/\(id)/trials/6/logs", token: token).status == .notFound)
            #expect(try await client.send(.get, "/api/v1/experiments/\(id)/trials/x/logs", token: token).status == .notFound)

            let csv = try await client.send(.get, "/api/v1/experiments/\(id)/results.csv", token: token)
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = String(buffer: csv.body).split(separator: "\n")
            #expect(lines.count == 4)
            #expect(lines.first == "trial,repeat,status,attempts,epochs,lr,loss,duration_s")  // declared order (the test client sorts keys)
            #expect(lines.dropFirst().first?.hasPrefix("1,0,succeeded,1,") == true)  // best loss first

            let json = try await client.send(.get, "/api/v1/experiments/\(id)/results.json", token: token)
            #expect(json.status == .ok)
            #expect(json.json["experiment"] as? String == id)
            #expect((json.json["trials"] as? [[String: Any]])?.count == 3)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theBundleIsAZipOfResultsDeclarationAndLogs(kind: StoreKind) async throws {
        let store = try await kind.open()
        let clock = TestClock()
        try await withServer(store, clock: clock) { client in
            let (token, id) = try await experimentWithResults(client, store: store, clock: clock)
            let response = try await client.send(.get, "/api/v1/experiments/\(id)/bundle.zip", token: token)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/zip")
            let file = FileManager.default.temporaryDirectory.appending(path: "bundle-\(UUID().uuidString).zip")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data(buffer: response.body).write(to: file)
            let (tested, _) = try unzip(["-t", file.path])
            #expect(tested == 0)
            let (listed, names) = try unzip(["-Z1", file.path])
            #expect(listed == 0)
            #expect(names.split(separator: "\n") == [
                "results.csv", "results.json", "assay.yaml", "logs/trial-0.log", "logs/trial-1.log", "logs/trial-2.log",
            ])
            let (_, log) = try unzip(["-p", file.path, "logs/trial-0.log"])
            #expect(log == "[1 stdout] epoch 1\n[1 stdout] epoch 2\n")
            let csv = try await client.send(.get, "/api/v1/experiments/\(id)/results.csv", token: token)
            let (_, bundled) = try unzip(["-p", file.path, "results.csv"])
            #expect(bundled == String(buffer: csv.body))
        }
    }

    /// Runs Info-ZIP's unzip (a real, independent reader of the archive).
    private func unzip(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["unzip"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Anonymous 401, another user 404, a runner token 403.
    @Test(arguments: StoreKind.allCases)
    func authorizationMatrix(kind: StoreKind) async throws {
        let store = try await kind.open()
        let clock = TestClock()
        try await withServer(store, clock: clock) { client in
            let (alice, id) = try await experimentWithResults(client, store: store, clock: clock)
            let bob = try await client.userToken("bob")
            let owner = try #require(try await store.user(named: "alice"))
            let runnerSecret = SecretToken.generate()
            _ = try await store.createCredential(Credential(
                id: "", kind: .runner, owner: owner.id, experiment: id, name: "runner", secretHash: SecretToken.hash(runnerSecret),
                createdAt: clock.now(), expiresAt: clock.now().addingTimeInterval(3600)))
            for path in ["trials", "trials/0/logs", "results.csv", "results.json", "bundle.zip"] {
                let uri = "/api/v1/experiments/\(id)/\(path)"
                #expect(try await client.send(.get, uri).status == .unauthorized, "\(uri)")
                #expect(try await client.send(.get, uri, token: bob).status == .notFound, "\(uri)")
                #expect(try await client.send(.get, uri, token: runnerSecret).status == .forbidden, "\(uri)")
                #expect(try await client.send(.get, uri, token: alice).status == .ok, "\(uri)")
            }
        }
    }
}
