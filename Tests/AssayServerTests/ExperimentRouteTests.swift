@testable import AssayServer
import AssayStore
import AssayTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A valid declaration of `lr × epochs` = 6 trials, retried once.
func declaration(name: String = "sweep", tags: [String] = ["vision"], lrCount: Int = 3) -> [String: Any] {
    [
        "name": name, "tags": tags, "artifact": "./code",
        "command": ["python3", "train.py", "{config}"],
        "config": ["file": "params.json"],
        "parameters": [
            "lr": ["type": "float", "min": 0.001, "max": 0.1, "scale": "log", "count": lrCount, "default": 0.01],
            "epochs": ["type": "int", "values": [2, 5], "default": 2],
        ],
        "sweep": ["strategy": "grid"],
        "trial": ["retries": 1],
        "objective": ["metric": "loss", "goal": "minimize"],
    ]
}

extension TestClientProtocol {
    /// Uploads an artifact of the token's user and returns its id.
    func artifactID(token: String, seed: UInt8 = 1) async throws -> String {
        let response = try await upload(artifactBytes(100, seed: seed), token: token)
        return try #require(response.json["id"] as? String)
    }

    /// Creates an experiment and returns its id.
    func createExperiment(token: String, artifact: String, declaration: [String: Any] = declaration()) async throws -> String {
        let response = try await send(.post, "/api/v1/experiments", json: ["declaration": declaration, "artifact": artifact], token: token)
        try #require(response.status == .created)
        return try #require(response.json["id"] as? String)
    }
}

extension TestResponse {
    /// The `fields` of an error body as `path: message`.
    var fieldPaths: [String] {
        let error = json["error"] as? [String: Any] ?? [:]
        return (error["fields"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
    }
}

@Suite struct ExperimentRouteTests {
    @Test(arguments: StoreKind.allCases)
    func creatingQueuesThePlanAndStartsTheExecutor(kind: StoreKind) async throws {
        let store = try await kind.open()
        let executor = RecordingExecutor()
        try await withServer(store, executor: executor) { client in
            let token = try await client.userToken("alice")
            let artifact = try await client.artifactID(token: token)
            let response = try await client.send(
                .post, "/api/v1/experiments", json: ["declaration": declaration(), "artifact": artifact], token: token)
            #expect(response.status == .created)
            #expect(response.json["status"] as? String == "queued")
            #expect(response.json["trials"] as? Int == 6)
            let id = try #require(response.json["id"] as? String)
            #expect(executor.calls == [.start(id)])

            let detail = try await client.send(.get, "/api/v1/experiments/\(id)", token: token)
            #expect(detail.status == .ok)
            #expect(detail.json["name"] as? String == "sweep")
            #expect(detail.json["maxAttempts"] as? Int == 2)
            #expect(detail.json["artifact"] as? String == artifact)
            let text = try #require(detail.json["declaration"] as? String)
            #expect(text.contains("\"sweep\""))
        }
    }

    /// The declaration is stored as sent: the order of its parameters is the
    /// order of the plan (a re-encoded dictionary would sort them).
    @Test(arguments: StoreKind.allCases)
    func aJSONDeclarationKeepsItsParameterOrder(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let token = try await client.userToken("alice")
            let artifact = try await client.artifactID(token: token)
            let declaration = #"{"name": "order", "command": ["python3", "t.py", "{zeta}", "{alpha}"], "#
                + #""parameters": {"zeta": {"type": "int", "values": [1, 2]}, "alpha": {"type": "choice", "values": ["a", "b"]}}}"#
            let body = #"{"artifact": "\#(artifact)", "declaration": \#(declaration)}"#
            let response = try await client.send(.post, "/api/v1/experiments", raw: body, token: token)
            #expect(response.status == .created)
            let id = try #require(response.json["id"] as? String)
            let detail = try await client.send(.get, "/api/v1/experiments/\(id)", token: token)
            #expect(detail.json["declaration"] as? String == declaration)
            #expect(detail.json["artifact"] as? String == artifact)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aYAMLDeclarationNamesItsArtifactById(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let token = try await client.userToken("alice")
            let artifact = try await client.artifactID(token: token)
            let yaml = """
                name: yaml-sweep
                artifact: \(artifact)
                command: [python3, train.py]
                parameters:
                  lr: {type: choice, values: [0.1, 0.01], default: 0.1}
                sweep: {strategy: grid, repeats: 2}
                """
            let response = try await client.execute(
                uri: "/api/v1/experiments", method: .post,
                headers: [.contentType: "application/yaml", .authorization: "Bearer \(token)"], body: ByteBuffer(string: yaml))
            #expect(response.status == .created)
            #expect(response.json["trials"] as? Int == 4)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func everyInvalidFieldIsListedAt422(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let alice = try await client.userToken("alice")
            let bob = try await client.userToken("bob")
            let bobsArtifact = try await client.artifactID(token: bob)
            var broken = declaration()
            broken["command"] = [String]()
            broken["workers"] = -1
            let response = try await client.send(
                .post, "/api/v1/experiments", json: ["declaration": broken, "artifact": bobsArtifact], token: alice)
            #expect(response.status == .unprocessableContent)
            #expect(response.error.code == "invalid_declaration")
            #expect(response.fieldPaths.contains("command"))
            #expect(response.fieldPaths.contains("workers"))
            #expect(response.fieldPaths.contains("artifact"))

            let unknown = try await client.send(
                .post, "/api/v1/experiments", json: ["declaration": declaration(), "artifact": "nope"], token: alice)
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.fieldPaths == ["artifact"])

            let extra = try await client.send(
                .post, "/api/v1/experiments", json: ["declaration": declaration(), "artifact": bobsArtifact, "x": 1], token: alice)
            #expect(extra.status == .badRequest)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aPlanOverTheTrialLimitIs422NamingSweep(kind: StoreKind) async throws {
        let store = try await kind.open()
        var configuration = testConfiguration()
        configuration.maxTrials = 5
        try await withServer(store, configuration: configuration) { client in
            let token = try await client.userToken("alice")
            let artifact = try await client.artifactID(token: token)
            let response = try await client.send(
                .post, "/api/v1/experiments", json: ["declaration": declaration(), "artifact": artifact], token: token)
            #expect(response.status == .unprocessableContent)
            #expect(response.fieldPaths == ["sweep"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func listFiltersAndPages(kind: StoreKind) async throws {
        let store = try await kind.open()
        let clock = TestClock()
        try await withServer(store, clock: clock) { client in
            let token = try await client.userToken("alice")
            let bob = try await client.userToken("bob")
            let artifact = try await client.artifactID(token: token)
            var ids: [String] = []
            for number in 0..<3 {
                clock.advance(1)
                ids.append(try await client.createExperiment(
                    token: token, artifact: artifact, declaration: declaration(name: "run-\(number)", tags: number == 1 ? ["special"] : [])))
            }
            _ = try await client.createExperiment(token: bob, artifact: try await client.artifactID(token: bob))

            let first = try await client.send(.get, "/api/v1/experiments?limit=2", token: token)
            #expect(first.status == .ok)
            let firstItems = try #require(first.json["items"] as? [[String: Any]])
            #expect(firstItems.compactMap { $0["id"] as? String } == [ids[2], ids[1]])
            let next = try #require(first.json["next"] as? String)
            let second = try await client.send(.get, "/api/v1/experiments?limit=2&after=\(next)", token: token)
            let secondItems = try #require(second.json["items"] as? [[String: Any]])
            #expect(secondItems.compactMap { $0["id"] as? String } == [ids[0]])
            #expect(second.json["next"] is NSNull)

            let tagged = try await client.send(.get, "/api/v1/experiments?tag=special", token: token)
            #expect((tagged.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ids[1]])
            let text = try await client.send(.get, "/api/v1/experiments?q=run-2", token: token)
            #expect((text.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ids[2]])

            let archived = try await client.send(.post, "/api/v1/experiments/\(ids[0])/archive", token: token)
            #expect(archived.json["archived"] as? Bool == true)
            let unarchived = try await client.send(.get, "/api/v1/experiments", token: token)
            #expect((unarchived.json["items"] as? [[String: Any]])?.count == 2)
            let all = try await client.send(.get, "/api/v1/experiments?include_archived=true", token: token)
            #expect((all.json["items"] as? [[String: Any]])?.count == 3)
            let restore = try await client.send(.post, "/api/v1/experiments/\(ids[0])/archive", json: ["archived": false], token: token)
            #expect(restore.json["archived"] as? Bool == false)
            let restored = try await client.send(.get, "/api/v1/experiments", token: token)
            #expect((restored.json["items"] as? [[String: Any]])?.count == 3)

            let canceled = try await client.send(.post, "/api/v1/experiments/\(ids[2])/cancel", token: token)
            #expect(canceled.json["status"] as? String == "canceled")
            let byStatus = try await client.send(.get, "/api/v1/experiments?status=canceled", token: token)
            #expect((byStatus.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ids[2]])

            #expect(try await client.send(.get, "/api/v1/experiments?limit=201", token: token).status == .badRequest)
            #expect(try await client.send(.get, "/api/v1/experiments?status=done", token: token).status == .badRequest)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func cancelRerunAndDelete(kind: StoreKind) async throws {
        let store = try await kind.open()
        let executor = RecordingExecutor()
        try await withServer(store, executor: executor) { client in
            let token = try await client.userToken("alice")
            let id = try await client.createExperiment(token: token, artifact: try await client.artifactID(token: token))
            let canceled = try await client.send(.post, "/api/v1/experiments/\(id)/cancel", token: token)
            #expect(canceled.status == .ok)
            #expect(canceled.json["status"] as? String == "canceled")

            let rerun = try await client.send(.post, "/api/v1/experiments/\(id)/rerun", token: token)
            #expect(rerun.status == .created)
            #expect(rerun.json["status"] as? String == "queued")
            #expect(rerun.json["trials"] as? Int == 6)
            let copy = try #require(rerun.json["id"] as? String)
            #expect(copy != id)
            #expect(executor.calls == [.start(id), .cancel(id), .start(copy)])
            let original = try await client.send(.get, "/api/v1/experiments/\(id)", token: token)
            let copied = try await client.send(.get, "/api/v1/experiments/\(copy)", token: token)
            #expect(copied.json["declaration"] as? String == original.json["declaration"] as? String)
            #expect(copied.json["artifact"] as? String == original.json["artifact"] as? String)

            #expect(try await client.send(.delete, "/api/v1/experiments/\(id)", token: token).status == .noContent)
            #expect(try await client.send(.get, "/api/v1/experiments/\(id)", token: token).status == .notFound)
            #expect(try await client.send(.delete, "/api/v1/experiments/\(id)", token: token).status == .notFound)
        }
    }

    /// Anonymous 401, another user 404, a runner token 403 on every experiment route.
    @Test(arguments: StoreKind.allCases)
    func authorizationMatrix(kind: StoreKind) async throws {
        let store = try await kind.open()
        let clock = TestClock()
        try await withServer(store, clock: clock) { client in
            let alice = try await client.userToken("alice")
            let bob = try await client.userToken("bob")
            let id = try await client.createExperiment(token: alice, artifact: try await client.artifactID(token: alice))
            let owner = try #require(try await store.user(named: "alice"))
            let runnerSecret = SecretToken.generate()
            _ = try await store.createCredential(Credential(
                id: "", kind: .runner, owner: owner.id, experiment: id, name: "runner", secretHash: SecretToken.hash(runnerSecret),
                createdAt: clock.now(), expiresAt: clock.now().addingTimeInterval(3600)))

            let routes: [(HTTPRequest.Method, String)] = [
                (.get, "/api/v1/experiments/\(id)"), (.post, "/api/v1/experiments/\(id)/cancel"),
                (.post, "/api/v1/experiments/\(id)/archive"), (.post, "/api/v1/experiments/\(id)/rerun"),
                (.delete, "/api/v1/experiments/\(id)"),
            ]
            for (method, uri) in routes {
                #expect(try await client.send(method, uri).status == .unauthorized, "\(method) \(uri)")
                #expect(try await client.send(method, uri, token: bob).status == .notFound, "\(method) \(uri)")
                #expect(try await client.send(method, uri, token: runnerSecret).status == .forbidden, "\(method) \(uri)")
            }
            #expect(try await client.send(.get, "/api/v1/experiments").status == .unauthorized)
            #expect(try await client.send(.post, "/api/v1/experiments", json: [:]).status == .unauthorized)
            #expect(try await client.send(.get, "/api/v1/experiments", token: runnerSecret).status == .forbidden)
            let bobsList = try await client.send(.get, "/api/v1/experiments", token: bob)
            #expect((bobsList.json["items"] as? [[String: Any]])?.isEmpty == true)
            #expect(try await client.send(.get, "/api/v1/experiments/\(id)", token: alice).status == .ok)
        }
    }
}
