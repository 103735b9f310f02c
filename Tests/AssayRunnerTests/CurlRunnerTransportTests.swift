import AssayCore
@testable import AssayRunner
import AssayStore
import Foundation
import Testing

/// The libcurl transport against the real server application on a loopback port.
@Suite("CurlRunnerTransport against a live server")
struct CurlRunnerTransportTests {
    static func transport(_ port: Int, _ experiment: String, token: String, maxArtifactBytes: Int = 1 << 30) throws -> CurlRunnerTransport {
        CurlRunnerTransport(
            serverURL: URL(string: "http://127.0.0.1:\(port)")!, experiment: experiment, token: try RunnerToken(token),
            requestTimeout: .seconds(10), maxArtifactBytes: maxArtifactBytes)
    }

    @Test func aRunnerOverLibcurlCompletesASweep() async throws {
        try await TestServer.runLive { server, port in
            let sandbox = try Sandbox()
            defer { sandbox.remove() }
            let (id, token) = try await server.createExperiment(RunnerFixture.declaration(), artifact: try RunnerFixture.artifact(in: sandbox))
            let routes = HTTPRunnerServer(transport: try Self.transport(port, id, token: token))
            #expect(await RunnerFixture.runner(routes, in: sandbox, id: "curl").run() == .finished)
            #expect(try await server.experiment(id).status == .completed)
            #expect(try await server.trials(id).map(\.status) == Array(repeating: .succeeded, count: 6))
        }
    }

    @Test func aWrongTokenIsRefusedAndNotRetried() async throws {
        try await TestServer.runLive { server, port in
            let sandbox = try Sandbox()
            defer { sandbox.remove() }
            let (id, _) = try await server.createExperiment(RunnerFixture.declaration(), artifact: try RunnerFixture.artifact(in: sandbox))
            let routes = HTTPRunnerServer(transport: try Self.transport(port, id, token: "asr_not-the-token"))
            let error = await #expect(throws: RunnerServerError.self) { try await routes.spec() }
            #expect(error?.kind == .status(401))
            #expect(error?.isRetryable == false)
            // The download's error answer comes back with the server's message, too.
            let download = await #expect(throws: RunnerServerError.self) { try await routes.downloadArtifact(to: sandbox.url("a.zip")) }
            #expect(download?.kind == .status(401))
            #expect(!FileManager.default.fileExists(atPath: sandbox.url("a.zip").path))
        }
    }

    @Test func theDownloadIsCappedAtTheSizeTheSpecAnnounced() async throws {
        try await TestServer.runLive { server, port in
            let sandbox = try Sandbox()
            defer { sandbox.remove() }
            let (id, token) = try await server.createExperiment(RunnerFixture.declaration(), artifact: try RunnerFixture.artifact(in: sandbox))
            let routes = HTTPRunnerServer(transport: try Self.transport(port, id, token: token, maxArtifactBytes: 10))
            let zip = sandbox.url("download.zip")
            let error = await #expect(throws: RunnerServerError.self) { try await routes.downloadArtifact(to: zip) }
            #expect(error?.kind == .invalidResponse, "more bytes than allowed is not worth retrying")
            #expect(error?.message.contains("larger than the 10 bytes") == true)
            #expect(!FileManager.default.fileExists(atPath: zip.path), "nothing half-written is left")

            let spec = try await routes.spec()
            let size = try #require(spec.artifact?.size)
            try await routes.downloadArtifact(to: zip)
            #expect(try Data(contentsOf: zip) == Data(contentsOf: sandbox.url("artifact.zip")))
            #expect(size == (try Data(contentsOf: zip)).count)
        }
    }

    @Test func anUnreachableServerIsARetryableTransportError() async throws {
        let routes = HTTPRunnerServer(transport: try Self.transport(Self.closedPort(), "e1", token: "asr_x"))
        let error = await #expect(throws: RunnerServerError.self) { try await routes.lease(runner: "r", max: 1) }
        #expect(error?.kind == .transport)
        #expect(error?.isRetryable == true)
    }

    @Test func aTLSSetupThatCannotWorkIsNotRetried() async throws {
        let transport = CurlRunnerTransport(
            serverURL: URL(string: "https://127.0.0.1:\(try Self.closedPort())")!, experiment: "e1", token: try RunnerToken("asr_x"),
            caFile: URL(filePath: "/nonexistent/ca.pem"))
        let error = await #expect(throws: RunnerServerError.self) { try await HTTPRunnerServer(transport: transport).spec() }
        #expect(error?.isRetryable == false)
    }

    @Test func cancellingARequestIsCancellationNotAServerError() async throws {
        // A listening socket that never answers: the request waits until cancelled.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                try #require(bind(listener, raw, length) == 0 && listen(listener, 8) == 0 && getsockname(listener, raw, &length) == 0)
            }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let routes = HTTPRunnerServer(transport: try Self.transport(port, "e1", token: "asr_x"))
        let request = Task { try await routes.spec() }
        try await Task.sleep(for: .milliseconds(200))
        request.cancel()
        await #expect(throws: CancellationError.self) { try await request.value }
    }

    @Test func urlsKeepThePathPrefix() throws {
        let transport = CurlRunnerTransport(
            serverURL: URL(string: "https://assay.example.org/team-a/")!, experiment: "01abc", token: try RunnerToken("asr_x"))
        #expect(transport.url(of: "lease").absoluteString == "https://assay.example.org/team-a/api/v1/runner/experiments/01abc/lease")
        #expect(transport.url(of: "claim-notification").absoluteString.hasSuffix("/experiments/01abc/claim-notification"))
    }

    @Test func theTokenNeverPrints() throws {
        let secret = "asr_very-secret-token"
        let token = try RunnerToken(secret)
        let transport = CurlRunnerTransport(serverURL: URL(string: "http://127.0.0.1:1")!, experiment: "e1", token: token)
        var dumped = ""
        dump(transport, to: &dumped)
        for text in [String(describing: token), String(reflecting: token), "\(transport)", String(reflecting: transport), dumped] {
            #expect(!text.contains(secret), "\(text)")
        }
    }

    @Test(arguments: ["", "asr x", "asr_\u{7F}", "asr_ä", "asr_\r\nX-Evil: 1", String(repeating: "a", count: 4097)])
    func unusableTokensAreRefused(_ text: String) {
        #expect(throws: RunnerTokenError.self) { try RunnerToken(text) }
    }

    /// A loopback port nothing listens on.
    static func closedPort() throws -> Int {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                try #require(bind(probe, raw, length) == 0 && getsockname(probe, raw, &length) == 0)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
