import AssayRunner
@testable import AssayServer
import AssayStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The real server application over a fresh SQLite store, reached through HummingbirdTesting's
/// router client: what the Runner tests run against (no mock server).
struct TestServer: Sendable {
    let client: any TestClientProtocol
    let store: any ExperimentStore
    let executor: RecordingExecutor
    /// An API token of the user `alice`.
    let token: String

    static let adminName = "admin"
    static let adminPassword = "admin-password"

    /// Builds the application (a bootstrapped admin, cheap bcrypt, optional SMTP settings)
    /// and runs `body` with a test server whose user `alice` exists.
    static func run(smtp: ServerConfiguration.SMTP? = nil, _ body: @escaping @Sendable (TestServer) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "assay-runner-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appending(path: "assay.db").path)
        var configuration = ServerConfiguration(admin: .init(username: adminName, password: adminPassword), bcryptCost: 4)
        configuration.smtp = smtp
        var logger = Logger(label: "assay-runner-test-server")
        logger.logLevel = .warning
        let executor = RecordingExecutor()
        let app = try await buildApplication(
            configuration: configuration, store: store, environment: ServerEnvironment(executor: executor), logger: logger)
        try await app.test(.router) { client in
            let token = try await client.userToken("alice")
            try await body(TestServer(client: client, store: store, executor: executor, token: token))
        }
    }

    /// Uploads `zip`, creates an experiment of `declaration` with it, and returns the
    /// experiment's id and its runner token (as the executor received it).
    func createExperiment(_ declaration: [String: Any], artifact zip: URL) async throws -> (id: String, runnerToken: String) {
        var headers: HTTPFields = [.contentType: "application/zip", .authorization: "Bearer \(token)"]
        let upload = try await client.executeRequest(
            uri: "/api/v1/artifacts", method: .post, headers: headers, body: ByteBuffer(bytes: Array(try Data(contentsOf: zip))))
        try #require(upload.status == .created || upload.status == .ok)
        let artifact = try #require(upload.json["id"] as? String)
        var declaration = declaration
        declaration["artifact"] = artifact
        headers[.contentType] = "application/json"
        let created = try await client.executeRequest(
            uri: "/api/v1/experiments", method: .post, headers: headers,
            body: ByteBuffer(bytes: Array(try JSONSerialization.data(withJSONObject: ["declaration": declaration, "artifact": artifact], options: [.sortedKeys]))))
        try #require(created.status == .created, "\(String(buffer: created.body))")
        let id = try #require(created.json["id"] as? String)
        return (id, try #require(executor.runnerToken(of: id)))
    }

    /// The runner routes of `experiment`, as a Runner reaches them.
    func runnerServer(_ experiment: String, token: String) -> HTTPRunnerServer<RouterTransport> {
        HTTPRunnerServer(transport: RouterTransport(client: client, experiment: experiment, token: token))
    }

    /// `POST /api/v1/experiments/{id}/cancel` as alice.
    func cancel(_ experiment: String) async throws {
        let response = try await client.executeRequest(
            uri: "/api/v1/experiments/\(experiment)/cancel", method: .post, headers: [.authorization: "Bearer \(token)"], body: nil)
        try #require(response.status == .ok)
    }

    func experiment(_ id: String) async throws -> ExperimentRecord {
        try #require(try await store.experiment(id: id, owner: nil))
    }

    func trials(_ id: String) async throws -> [TrialRecord] {
        try await store.trials(experiment: id, owner: nil, query: TrialQuery(limit: 1000))
    }
}

/// ``RunnerHTTPTransport`` over the router test client: the runner token goes in the
/// `Authorization` header, as libcurl will send it.
struct RouterTransport: RunnerHTTPTransport {
    let client: any TestClientProtocol
    let experiment: String
    let token: String

    func send(_ method: RunnerHTTPMethod, route: String, body: Data?) async throws -> RunnerHTTPResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        if body != nil { headers[.contentType] = "application/json" }
        let response = try await client.executeRequest(
            uri: "/api/v1/runner/experiments/\(experiment)/\(route)", method: method == .get ? .get : .post, headers: headers,
            body: body.map { ByteBuffer(bytes: Array($0)) })
        return RunnerHTTPResponse(status: Int(response.status.code), body: Data(response.body.readableBytesView))
    }

    func download(route: String, to file: URL) async throws -> RunnerHTTPResponse {
        let response = try await send(.get, route: route, body: nil)
        guard response.status == 200 else { return response }
        try response.body.write(to: file)
        return RunnerHTTPResponse(status: 200)
    }
}

extension TestClientProtocol {
    /// Logs in as admin, creates `username` and returns an API token of theirs.
    func userToken(_ username: String) async throws -> String {
        func post(_ uri: String, _ json: [String: Any], cookie: String? = nil) async throws -> TestResponse {
            var headers: HTTPFields = [.contentType: "application/json"]
            if let cookie { headers[.cookie] = cookie }
            return try await executeRequest(
                uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: Array(try JSONSerialization.data(withJSONObject: json))))
        }
        func login(_ name: String, _ password: String) async throws -> String {
            let response = try await post("/api/v1/auth/login", ["username": name, "password": password])
            try #require(response.status == .ok)
            let setCookie = try #require(response.headers[.setCookie])
            return String(try #require(setCookie.split(separator: ";").first))
        }
        let admin = try await login(TestServer.adminName, TestServer.adminPassword)
        let created = try await post("/api/v1/users", ["username": username, "password": "password-\(username)"], cookie: admin)
        try #require(created.status == .created)
        let session = try await login(username, "password-\(username)")
        let token = try await post("/api/v1/tokens", ["name": "cli"], cookie: session)
        try #require(token.status == .created)
        return try #require(token.json["token"] as? String)
    }
}

extension TestResponse {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }
}
