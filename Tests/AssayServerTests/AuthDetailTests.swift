@testable import AssayServer
import AssayStore
import AssayTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct AuthDetailTests {
    @Test(arguments: StoreKind.allCases)
    func noPasswordOrSecretReachesTheLog(kind: StoreKind) async throws {
        let store = try await kind.open()
        let recorder = LogRecorder()
        try await withServer(store, logger: recorder.logger()) { client in
            let cookie = try await client.login()
            _ = try await client.send(.post, "/api/v1/auth/login", json: ["username": adminName, "password": "wrong-guess"])
            let created = try await client.send(.post, "/api/v1/tokens", json: ["name": "laptop"], cookie: cookie)
            let token = try #require(created.json["token"] as? String)
            _ = try await client.send(.get, "/api/v1/me", token: token)
            _ = try await client.send(.post, "/api/v1/users", json: ["username": "ada", "password": "ada-password"], token: token)
            let lines = recorder.all
            #expect(lines.contains { $0.contains("admin bootstrapped") })
            #expect(lines.contains { $0.contains("login") })
            let secrets = [adminPassword, "wrong-guess", "ada-password", token, String(cookie.split(separator: "=")[1])]
            for secret in secrets {
                #expect(!lines.contains { $0.contains(secret) }, "\(secret) was logged")
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aTokenNeedsAName(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let cookie = try await client.login()
            for name in ["", "   ", String(repeating: "n", count: 101)] {
                let response = try await client.send(.post, "/api/v1/tokens", json: ["name": name], cookie: cookie)
                #expect(response.status == .unprocessableContent)
                #expect(response.error.code == "validation_failed")
            }
        }
    }

    @Test func theSessionCookieIsSecureBehindHTTPS() async throws {
        let store = try await StoreKind.sqlite.open()
        var configuration = testConfiguration()
        configuration.publicURL = URL(string: "https://assay.example.org")
        try await withServer(store, configuration: configuration) { client in
            let response = try await client.send(.post, "/api/v1/auth/login", json: ["username": adminName, "password": adminPassword])
            #expect(response.headers[.setCookie]?.contains("Secure") == true)
            let logout = try await client.send(.post, "/api/v1/auth/logout")
            #expect(logout.status == .noContent)
            #expect(logout.headers[.setCookie]?.contains("Max-Age=0") == true)
        }
    }

    @Test func theRateLimitWindowSlides() {
        let limiter = LoginRateLimiter(maxFailures: 3, window: 60)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for offset in [0.0, 10, 20] {
            #expect(limiter.retryAfter(key: "k", now: start.addingTimeInterval(offset)) == nil)
            limiter.recordFailure(key: "k", now: start.addingTimeInterval(offset))
        }
        #expect(limiter.retryAfter(key: "k", now: start.addingTimeInterval(20)) == 40)
        #expect(limiter.retryAfter(key: "other", now: start.addingTimeInterval(20)) == nil)
        // The first failure leaves the window at 60 s: one more attempt is allowed.
        #expect(limiter.retryAfter(key: "k", now: start.addingTimeInterval(60)) == nil)
        limiter.recordFailure(key: "k", now: start.addingTimeInterval(60))
        #expect(limiter.retryAfter(key: "k", now: start.addingTimeInterval(61)) == 9)
        limiter.reset(key: "k")
        #expect(limiter.retryAfter(key: "k", now: start.addingTimeInterval(61)) == nil)
    }
}
