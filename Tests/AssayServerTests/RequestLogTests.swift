@testable import AssayServer
import AssayStore
import AssayTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@Suite struct RequestLogTests {
    @Test func everyResponseCarriesTheRequestIDItWasLoggedUnder() async throws {
        let store = try await StoreKind.sqlite.open()
        let recorder = LogRecorder()
        try await withServer(store, logger: recorder.logger()) { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            let id = try #require(response.headers[.xRequestID])
            #expect(!id.isEmpty)
            let line = try #require(recorder.all.first { $0.contains("request") && $0.contains("http.path=/healthz") })
            #expect(line.contains("hb.request.id=\(id)"))
            #expect(line.contains("http.status=200"))
            #expect(line.contains("duration_ms="))
        }
    }

    @Test func aProxysWellFormedRequestIDIsKeptAndAnythingElseReplaced() async throws {
        let store = try await StoreKind.sqlite.open()
        let recorder = LogRecorder()
        try await withServer(store, logger: recorder.logger()) { client in
            let kept = try await client.execute(uri: "/nope", method: .get, headers: [.xRequestID: "edge-42.a_b"])
            #expect(kept.headers[.xRequestID] == "edge-42.a_b")
            #expect(recorder.all.contains { $0.contains("hb.request.id=edge-42.a_b") && $0.contains("http.status=404") })
            let forged = "x\"; rm -rf /"
            let replaced = try await client.execute(uri: "/healthz", method: .get, headers: [.xRequestID: forged])
            #expect(replaced.headers[.xRequestID] != forged)
            #expect(!recorder.all.contains { $0.contains("rm -rf") })
        }
    }

    @Test func queryStringsAreNotLogged() async throws {
        let store = try await StoreKind.sqlite.open()
        let recorder = LogRecorder()
        try await withServer(store, logger: recorder.logger()) { client in
            let cookie = try await client.login()
            _ = try await client.send(.get, "/api/v1/experiments?text=private-search-words", cookie: cookie)
            #expect(recorder.all.contains { $0.contains("http.path=/api/v1/experiments") })
            #expect(!recorder.all.contains { $0.contains("private-search-words") })
        }
    }

    @Test func jsonLogLinesAreOneObjectEach() throws {
        let lines = Mutex<[String]>([])
        var handler = JSONLogHandler(label: "assay-server") { line in lines.withLock { $0.append(line) } }
        handler[metadataKey: "hb.request.id"] = "r1"
        handler.log(event: LogEvent(level: .warning, message: "slow \"store\"", metadata: ["http.status": "503", "tags": ["a", "b"]],
                                    source: "test", file: #fileID, function: #function, line: #line))
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        #expect(written[0].hasSuffix("\n") && written[0].dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(written[0].utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["message"] as? String == "slow \"store\"")
        #expect(object["hb.request.id"] as? String == "r1")
        #expect(object["http.status"] as? String == "503")
        #expect(object["tags"] as? [String] == ["a", "b"])
        #expect(object["ts"] is String)
    }

    @Test func jsonLogLinesEscapeWhatJSONMust() throws {
        let lines = Mutex<[String]>([])
        let handler = JSONLogHandler(label: "assay-server") { line in lines.withLock { $0.append(line) } }
        let hostile = "q\"b\\ n\n r\r t\t nul\u{0} esc\u{1B} del\u{7F} é 😀 /"
        handler.log(event: LogEvent(level: .info, message: "\(hostile)", metadata: ["nested": ["k": [.string(hostile)]]],
                                    source: "test", file: #fileID, function: #function, line: #line))
        let line = try #require(lines.withLock { $0.first })
        #expect(line.dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == hostile)
        #expect((object["nested"] as? [String: Any])?["k"] as? [String] == [hostile])
        #expect(line.contains(#""label":"assay-server","level":"info","message":"#))  // keys sorted
    }
}

@Suite struct ExternalExecutorTests {
    @Test func theTokenFileIsPrivateAndGoesAwayOnCancel() async throws {
        let store = try await StoreKind.sqlite.open()
        let directory = FileManager.default.temporaryDirectory.appending(path: "assay-tokens-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let executor = ExternalExecutor(directory: directory)
        try await withServer(store, executor: executor) { client in
            let token = try await client.userToken("ada")
            let id = try await client.createExperiment(token: token, artifact: try await client.artifactID(token: token))
            let file = executor.tokenFile(of: id)
            let runnerToken = try String(contentsOf: file, encoding: .utf8)
            let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let directoryMode = try FileManager.default.attributesOfItem(atPath: directory.path)[.posixPermissions] as? Int
            #expect(directoryMode == 0o700)
            let spec = try await client.send(.get, "/api/v1/runner/experiments/\(id)/spec", token: runnerToken)
            #expect(spec.status == .ok)
            let canceled = try await client.send(.post, "/api/v1/experiments/\(id)/cancel", token: token)
            #expect(canceled.status == .ok)
            #expect(!FileManager.default.fileExists(atPath: file.path))
        }
    }
}
