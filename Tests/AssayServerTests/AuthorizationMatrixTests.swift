@testable import AssayServer
import AssayStore
import AssayTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Every route × every kind of caller, with the status each must get: anonymous,
/// another user, the runner token of another experiment, and the right owner
/// (for runner routes: the experiment's own runner token). A route added to the
/// server without a row here fails the test.
@Suite struct AuthorizationMatrixTests {
    enum Access: Sendable { case `public`, user, admin, owned, runner }

    /// What the owner sends and gets back, per route.
    struct Row: Sendable {
        var access: Access
        var ownerStatus: HTTPResponse.Status
        /// The JSON body the owner sends (others send the same).
        var body: String? = nil
    }

    static let rows: [String: Row] = [
        "GET /healthz": Row(access: .public, ownerStatus: .ok),
        "GET /readyz": Row(access: .public, ownerStatus: .ok),
        "GET /metrics": Row(access: .public, ownerStatus: .ok),
        "GET /openapi.yaml": Row(access: .public, ownerStatus: .ok),
        "POST /api/v1/auth/login": Row(access: .public, ownerStatus: .ok, body: #"{"username": "\#(adminName)", "password": "\#(adminPassword)"}"#),
        "POST /api/v1/auth/logout": Row(access: .public, ownerStatus: .noContent),
        "GET /api/v1/me": Row(access: .user, ownerStatus: .ok),
        "GET /api/v1/tokens": Row(access: .user, ownerStatus: .ok),
        "POST /api/v1/tokens": Row(access: .user, ownerStatus: .created, body: #"{"name": "ci"}"#),
        "DELETE /api/v1/tokens/{id}": Row(access: .owned, ownerStatus: .noContent),
        "POST /api/v1/users": Row(access: .admin, ownerStatus: .created, body: #"{"username": "newcomer", "password": "newcomer-password"}"#),
        "POST /api/v1/artifacts": Row(access: .user, ownerStatus: .created),
        "GET /api/v1/artifacts": Row(access: .owned, ownerStatus: .ok),
        "GET /api/v1/artifacts/{id}": Row(access: .owned, ownerStatus: .ok),
        "POST /api/v1/experiments": Row(access: .user, ownerStatus: .created),
        "GET /api/v1/experiments": Row(access: .user, ownerStatus: .ok),
        "GET /api/v1/experiments/{id}": Row(access: .owned, ownerStatus: .ok),
        "DELETE /api/v1/experiments/{id}": Row(access: .owned, ownerStatus: .noContent),
        "POST /api/v1/experiments/{id}/cancel": Row(access: .owned, ownerStatus: .ok),
        "POST /api/v1/experiments/{id}/archive": Row(access: .owned, ownerStatus: .ok),
        "POST /api/v1/experiments/{id}/rerun": Row(access: .owned, ownerStatus: .created),
        "GET /api/v1/experiments/{id}/trials": Row(access: .owned, ownerStatus: .ok),
        "GET /api/v1/experiments/{id}/trials/{index}/logs": Row(access: .owned, ownerStatus: .ok),
        "GET /api/v1/experiments/{id}/trials/{index}/metrics": Row(access: .owned, ownerStatus: .ok),
        "POST /api/v1/experiments/{id}/visibility": Row(access: .owned, ownerStatus: .ok, body: #"{"public": false}"#),
        "GET /api/v1/experiments/{id}/results.csv": Row(access: .owned, ownerStatus: .ok),
        "GET /api/v1/experiments/{id}/results.json": Row(access: .owned, ownerStatus: .ok),
        "GET /api/v1/experiments/{id}/bundle.zip": Row(access: .owned, ownerStatus: .ok),
        "GET /api/v1/experiments/{id}/events": Row(access: .owned, ownerStatus: .ok),
        "GET /api/v1/runner/experiments/{id}/spec": Row(access: .runner, ownerStatus: .ok),
        "GET /api/v1/runner/experiments/{id}/artifact": Row(access: .runner, ownerStatus: .ok),
        "POST /api/v1/runner/experiments/{id}/lease": Row(access: .runner, ownerStatus: .ok, body: #"{"runner": "r1", "max": 1}"#),
        "POST /api/v1/runner/experiments/{id}/events": Row(access: .runner, ownerStatus: .ok, body: #"{"runner": "r1", "seq": 1, "events": []}"#),
        "POST /api/v1/runner/experiments/{id}/setup-failed": Row(access: .runner, ownerStatus: .ok, body: #"{"runner": "r1", "reason": "pip failed"}"#),
        "POST /api/v1/runner/experiments/{id}/claim-notification": Row(access: .runner, ownerStatus: .ok, body: #"{"runner": "r1"}"#),
        "POST /api/v1/runner/experiments/{id}/notification-result": Row(access: .runner, ownerStatus: .noContent, body: #"{"runner": "r1", "sent": false, "error": "relay down"}"#),
    ]

    @Test func everyRouteHasARow() async throws {
        let store = try await StoreKind.sqlite.open()
        let router = try await buildRouter(configuration: testConfiguration(), store: store, environment: ServerEnvironment(), logger: quietLogger)
        let routes = Set(router.routes.map { route in
            let path = "\(route.path)".hasPrefix("/") ? "\(route.path)" : "/\(route.path)"
            return "\(route.method) \(path)"
        }.filter { !UIController.isUIRoute($0) })  // public static pages (UIRouteTests)
        #expect(routes.subtracting(Self.rows.keys).sorted() == [], "routes without a row in the matrix")
        #expect(Set(Self.rows.keys).subtracting(routes).sorted() == [], "rows for routes that do not exist")
    }

    @Test(arguments: StoreKind.allCases)
    func everyCallerGetsItsStatusOnEveryRoute(kind: StoreKind) async throws {
        let store = try await kind.open()
        let executor = RecordingExecutor()
        try await withServer(store, executor: executor) { client in
            let ownerToken = try await client.userToken("owner")
            let otherToken = try await client.userToken("eve")
            let foreign = try await client.createExperiment(token: otherToken, artifact: try await client.artifactID(token: otherToken, seed: 9))
            let foreignRunner = try #require(executor.runnerToken(of: foreign))
            let adminCookie = try await client.login()

            for (route, row) in Self.rows.sorted(by: { $0.key < $1.key }) {
                let parts = route.split(separator: " ", maxSplits: 1)
                let method = HTTPRequest.Method(rawValue: String(parts[0]))!
                // Fresh objects per route: a DELETE or cancel must not change what the next row sees.
                let uploaded = try await client.upload(artifactBytes(100, seed: UInt8.random(in: 10...250)), token: ownerToken)
                let artifact = try #require(uploaded.json["id"] as? String)
                let experiment = try await client.createExperiment(token: ownerToken, artifact: artifact)
                let runnerToken = try #require(executor.runnerToken(of: experiment))
                var id = experiment
                if route.contains("/tokens/{id}") {
                    let created = try await client.send(.post, "/api/v1/tokens", json: ["name": "doomed"], token: ownerToken)
                    id = try #require(created.json["id"] as? String)
                } else if route.contains("/artifacts/{id}") {
                    id = artifact
                } else if route.hasSuffix("/events"), row.access == .owned {
                    // A final experiment's stream ends, so the owner's request returns.
                    _ = try await client.send(.post, "/api/v1/experiments/\(experiment)/cancel", token: ownerToken)
                }
                var uri = String(parts[1]).replacingOccurrences(of: "{id}", with: id).replacingOccurrences(of: "{index}", with: "0")
                if route == "GET /api/v1/artifacts" {
                    // The owner's artifact, looked up by its hash.
                    uri += "?sha256=\(try #require(uploaded.json["sha256"] as? String))"
                }

                func call(_ credential: Credential) async throws -> HTTPResponse.Status {
                    var headers: HTTPFields = [:]
                    switch credential {
                    case .none: break
                    case .bearer(let token): headers[.authorization] = "Bearer \(token)"
                    case .cookie(let cookie): headers[.cookie] = cookie
                    }
                    var body: ByteBuffer?
                    if route == "POST /api/v1/artifacts" {
                        headers[.contentType] = "application/zip"
                        body = ByteBuffer(bytes: artifactBytes(64, seed: UInt8.random(in: 10...250)))
                    } else if route == "POST /api/v1/experiments" {
                        headers[.contentType] = "application/json"
                        body = ByteBuffer(bytes: try JSONSerialization.data(
                            withJSONObject: ["declaration": declaration(), "artifact": artifact], options: [.sortedKeys]))
                    } else if let json = row.body {
                        headers[.contentType] = "application/json"
                        body = ByteBuffer(string: json)
                    }
                    return try await client.execute(uri: uri, method: method, headers: headers, body: body).status
                }

                let owner: Credential = switch row.access {
                case .runner: .bearer(runnerToken)
                case .admin: .cookie(adminCookie)
                default: .bearer(ownerToken)
                }
                let expected: [(String, Credential, HTTPResponse.Status)] = switch row.access {
                case .public: []
                case .user: [("anonymous", .none, .unauthorized), ("foreign runner", .bearer(foreignRunner), .forbidden)]
                case .admin: [("anonymous", .none, .unauthorized), ("another user", .bearer(otherToken), .forbidden),
                              ("foreign runner", .bearer(foreignRunner), .forbidden)]
                case .owned: [("anonymous", .none, .unauthorized), ("another user", .bearer(otherToken), .notFound),
                              ("foreign runner", .bearer(foreignRunner), .forbidden)]
                case .runner: [("anonymous", .none, .unauthorized), ("another user", .bearer(otherToken), .forbidden),
                               ("the owner's user token", .bearer(ownerToken), .forbidden),
                               ("foreign runner", .bearer(foreignRunner), .forbidden)]
                }
                for (who, credential, status) in expected {
                    #expect(try await call(credential) == status, "\(who) on \(route)")
                }
                #expect(try await call(owner) == row.ownerStatus, "the owner on \(route)")
            }
        }
    }

    enum Credential {
        case none
        case bearer(String)
        case cookie(String)
    }
}
