@testable import AssayServer
import AssayStore
import Foundation
import Hummingbird
import Logging
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// A clock the tests move by hand (rate-limit windows, session expiry).
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))

    func now() -> Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

let adminName = "admin"
let adminPassword = "admin-password"

/// The configuration of a test server: a bootstrapped admin and cheap bcrypt.
func testConfiguration(admin: String = adminName) -> ServerConfiguration {
    ServerConfiguration(admin: .init(username: admin, password: adminPassword), bcryptCost: 4)
}

/// Warnings and errors only, so test output stays readable.
let quietLogger: Logger = {
    var logger = Logger(label: "assay-server-test")
    logger.logLevel = .warning
    return logger
}()

/// Builds the application over `store` and runs `body` with a router test client.
func withServer(
    _ store: any ExperimentStore, clock: TestClock = TestClock(), configuration: ServerConfiguration = testConfiguration(),
    setup: TestingSetup = .router, logger: Logger = quietLogger, readinessTimeout: Duration = .seconds(2), executor: any Executor = RecordingExecutor(), _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    var configuration = configuration
    configuration.port = 0  // live tests: any free port
    let app = try await buildApplication(
        configuration: configuration, store: store, environment: ServerEnvironment(now: { clock.now() }, readinessTimeout: readinessTimeout, executor: executor), logger: logger)
    try await app.test(setup) { client in try await body(client) }
}

extension TestClientProtocol {
    /// Sends `json` (an object, or raw text when a String) with optional bearer token / cookie.
    func send(
        _ method: HTTPRequest.Method, _ uri: String, json: Any? = nil, raw: String? = nil, token: String? = nil, cookie: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let cookie { headers[.cookie] = cookie }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            // Sorted keys: a dictionary's order is random per run, and a declaration's
            // parameter order is its plan's order, so tests send a fixed one.
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]))
        } else if let raw {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: raw)
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body)
    }

    /// Logs in and returns the `name=value` of the session cookie.
    func login(_ username: String = adminName, _ password: String = adminPassword) async throws -> String {
        let response = try await send(.post, "/api/v1/auth/login", json: ["username": username, "password": password])
        try #require(response.status == .ok)
        let setCookie = try #require(response.headers[.setCookie])
        return String(try #require(setCookie.split(separator: ";").first))
    }

    /// Logs in as admin, creates `username` and returns an API token of theirs.
    func userToken(_ username: String, admin: Bool = false) async throws -> String {
        let cookie = try await login()
        let created = try await send(.post, "/api/v1/users", json: ["username": username, "password": "password-\(username)", "admin": admin], cookie: cookie)
        try #require(created.status == .created)
        let session = try await login(username, "password-\(username)")
        let token = try await send(.post, "/api/v1/tokens", json: ["name": "cli"], cookie: session)
        try #require(token.status == .created)
        return try #require(token.json["token"] as? String)
    }
}

extension TestResponse {
    /// The body as a JSON object (empty if it is none).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    /// `error.code` and `error.message` of an error body.
    var error: (code: String, message: String) {
        let error = json["error"] as? [String: Any] ?? [:]
        return (error["code"] as? String ?? "", error["message"] as? String ?? "")
    }
}
