@testable import AssayServer
import AssayStore
import AssayTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct AuthRouteTests {
    @Test(arguments: StoreKind.allCases)
    func loginSetsAnHTTPOnlySessionCookieThatOpensMe(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let response = try await client.send(.post, "/api/v1/auth/login", json: ["username": adminName, "password": adminPassword])
            #expect(response.status == .ok)
            #expect(response.json["username"] as? String == adminName)
            #expect(response.json["passwordHash"] == nil)
            let setCookie = try #require(response.headers[.setCookie])
            #expect(setCookie.hasPrefix("\(Authentication.sessionCookieName)="))
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Lax"))
            #expect(setCookie.contains("Path=/"))
            let cookie = String(setCookie.split(separator: ";")[0])

            let me = try await client.send(.get, "/api/v1/me", cookie: cookie)
            #expect(me.status == .ok)
            #expect(me.json["username"] as? String == adminName)
            #expect(me.json["admin"] as? Bool == true)

            #expect(try await client.send(.post, "/api/v1/auth/logout", cookie: cookie).status == .noContent)
            #expect(try await client.send(.get, "/api/v1/me", cookie: cookie).status == .unauthorized)
        }
    }

    /// Over real HTTP: the client address keys the rate limit, the cookie round-trips.
    @Test(arguments: StoreKind.allCases)
    func aLiveServerLogsInAndLimitsByClientAddress(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store, setup: .live) { client in
            let cookie = try await client.login()
            #expect(try await client.send(.get, "/api/v1/me", cookie: cookie).json["username"] as? String == adminName)
            for _ in 0..<5 {
                _ = try await client.send(.post, "/api/v1/auth/login", json: ["username": adminName, "password": "guess"])
            }
            let limited = try await client.send(.post, "/api/v1/auth/login", json: ["username": adminName, "password": adminPassword])
            #expect(limited.status == .tooManyRequests)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theSessionIsStoredHashedAndExpires(kind: StoreKind) async throws {
        let store = try await kind.open()
        let clock = TestClock()
        try await withServer(store, clock: clock) { client in
            let cookie = try await client.login()
            let secret = String(cookie.dropFirst("\(Authentication.sessionCookieName)=".count))
            let admin = try #require(try await store.user(named: adminName))
            let sessions = try await store.credentials(owner: admin.id, kind: .session)
            #expect(sessions.map(\.secretHash) == [SecretToken.hash(secret)])
            clock.advance(ServerEnvironment().sessionLifetime + 1)
            #expect(try await client.send(.get, "/api/v1/me", cookie: cookie).status == .unauthorized)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aWrongPasswordAndAnUnknownUserGetTheSame401(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let wrong = try await client.send(.post, "/api/v1/auth/login", json: ["username": adminName, "password": "not-it"])
            let unknown = try await client.send(.post, "/api/v1/auth/login", json: ["username": "nobody", "password": "not-it"])
            #expect(wrong.status == .unauthorized)
            #expect(unknown.status == .unauthorized)
            #expect(wrong.error.code == "invalid_credentials")
            #expect(wrong.error.message == unknown.error.message)
            #expect(wrong.headers[.setCookie] == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func loginFailuresAreRateLimitedPerUsernameAndClient(kind: StoreKind) async throws {
        let store = try await kind.open()
        let clock = TestClock()
        try await withServer(store, clock: clock) { client in
            for _ in 0..<5 {
                let response = try await client.send(.post, "/api/v1/auth/login", json: ["username": adminName, "password": "guess"])
                #expect(response.status == .unauthorized)
            }
            let limited = try await client.send(.post, "/api/v1/auth/login", json: ["username": adminName, "password": adminPassword])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.error.code == "rate_limited")
            #expect(limited.headers[.retryAfter] == "60")
            // Another username from the same client is not blocked.
            let other = try await client.send(.post, "/api/v1/auth/login", json: ["username": "someone", "password": "guess"])
            #expect(other.status == .unauthorized)
            clock.advance(30)
            #expect(try await client.send(.post, "/api/v1/auth/login", json: ["username": adminName, "password": adminPassword]).status == .tooManyRequests)
            clock.advance(31)
            #expect(try await client.send(.post, "/api/v1/auth/login", json: ["username": adminName, "password": adminPassword]).status == .ok)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func apiTokensAreCreatedUsedListedAndDeleted(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let cookie = try await client.login()
            let created = try await client.send(.post, "/api/v1/tokens", json: ["name": "laptop"], cookie: cookie)
            #expect(created.status == .created)
            let id = try #require(created.json["id"] as? String)
            let token = try #require(created.json["token"] as? String)
            #expect(token.hasPrefix(Authentication.apiTokenPrefix))
            #expect(created.json["name"] as? String == "laptop")

            let admin = try #require(try await store.user(named: adminName))
            let stored = try await store.credentials(owner: admin.id, kind: .apiToken)
            #expect(stored.map(\.secretHash) == [SecretToken.hash(token)])

            let me = try await client.send(.get, "/api/v1/me", token: token)
            #expect(me.status == .ok)
            #expect(me.json["username"] as? String == adminName)

            let list = try await client.send(.get, "/api/v1/tokens", token: token)
            let listed = try #require(list.json["tokens"] as? [[String: Any]])
            #expect(listed.map { $0["id"] as? String } == [id])
            #expect(listed.allSatisfy { $0["token"] == nil })

            #expect(try await client.send(.delete, "/api/v1/tokens/\(id)", token: token).status == .noContent)
            #expect(try await client.send(.get, "/api/v1/me", token: token).status == .unauthorized)
            #expect(try await client.send(.delete, "/api/v1/tokens/\(id)", cookie: cookie).status == .notFound)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anotherUsersTokenIdIsNotFound(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let ada = try await client.userToken("ada")
            let bob = try await client.userToken("bob")
            let adaTokens = try await client.send(.get, "/api/v1/tokens", token: ada)
            let adaTokenID = try #require((adaTokens.json["tokens"] as? [[String: Any]])?.first?["id"] as? String)
            let response = try await client.send(.delete, "/api/v1/tokens/\(adaTokenID)", token: bob)
            #expect(response.status == .notFound)
            #expect(response.error.code == "not_found")
            #expect(try await client.send(.get, "/api/v1/me", token: ada).status == .ok)
            #expect(try await client.send(.delete, "/api/v1/tokens/not-an-id", token: bob).status == .notFound)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func onlyAnAdminCreatesUsers(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let ada = try await client.userToken("ada")
            let forbidden = try await client.send(.post, "/api/v1/users", json: ["username": "eve", "password": "password-eve"], token: ada)
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.error.code == "forbidden")
            #expect(try await store.user(named: "eve") == nil)

            let cookie = try await client.login()
            let taken = try await client.send(.post, "/api/v1/users", json: ["username": "ada", "password": "password-ada"], cookie: cookie)
            #expect(taken.status == .conflict)
            let invalid = try await client.send(.post, "/api/v1/users", json: ["username": "-x y", "password": "short"], cookie: cookie)
            #expect(invalid.status == .unprocessableContent)
            let fields = (invalid.json["error"] as? [String: Any])?["fields"] as? [[String: Any]]
            #expect(fields?.compactMap { $0["field"] as? String } == ["username", "password"])

            let created = try await client.send(.post, "/api/v1/users", json: ["username": "carol", "password": "password-carol"], cookie: cookie)
            #expect(created.status == .created)
            #expect(created.json["admin"] as? Bool == false)
            let carol = try #require(try await store.user(named: "carol"))
            #expect(carol.passwordHash.hasPrefix("$2"))
            #expect(!carol.passwordHash.contains("password-carol"))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func userRoutesNeedAUser(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            for (method, uri) in [(HTTPRequest.Method.get, "/api/v1/me"), (.get, "/api/v1/tokens"), (.post, "/api/v1/tokens"),
                                  (.delete, "/api/v1/tokens/01h0000000000000000000000a"), (.post, "/api/v1/users")] {
                let response = try await client.send(method, uri, json: [:])
                #expect(response.status == .unauthorized, "\(method) \(uri)")
                #expect(response.error.code == "unauthorized")
            }
            #expect(try await client.send(.get, "/api/v1/me", token: "asy_unknown").status == .unauthorized)
            #expect(try await client.send(.get, "/api/v1/me", cookie: "\(Authentication.sessionCookieName)=forged").status == .unauthorized)
            var headers: HTTPFields = [:]
            headers[.authorization] = "Basic YWRtaW46YWRtaW4="
            #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: headers).status == .unauthorized)
            // A session secret is not an API token.
            let cookie = try await client.login()
            let secret = String(cookie.dropFirst("\(Authentication.sessionCookieName)=".count))
            #expect(try await client.send(.get, "/api/v1/me", token: secret).status == .unauthorized)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func runnerTokensAreRefusedOnUserRoutes(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let admin = try #require(try await store.user(named: adminName))
            let experiment = try await store.createExperiment(
                NewExperiment(owner: admin.id, name: "exp", declaration: #"{"name":"exp"}"#, trialCount: 1), now: Date())
            let secret = SecretToken.generate()
            _ = try await store.createCredential(Credential(
                id: "", kind: .runner, owner: admin.id, experiment: experiment.id, name: "runner",
                secretHash: SecretToken.hash(secret), createdAt: Date(timeIntervalSince1970: 1_800_000_000),
                expiresAt: Date(timeIntervalSince1970: 1_800_003_600)))
            for (method, uri) in [(HTTPRequest.Method.get, "/api/v1/me"), (.post, "/api/v1/tokens"), (.post, "/api/v1/users")] {
                let response = try await client.send(method, uri, json: ["name": "x"], token: secret)
                #expect(response.status == .forbidden, "\(method) \(uri)")
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theAdminIsBootstrappedOnceAcrossStarts(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in _ = try await client.login() }
        let first = try #require(try await store.user(named: adminName))
        #expect(first.isAdmin)
        // A second start with the same settings, and one naming another admin, create nobody.
        try await withServer(store) { client in _ = try await client.login() }
        try await withServer(store, configuration: testConfiguration(admin: "root")) { _ in }
        #expect(try await store.user(named: adminName) == first)
        #expect(try await store.user(named: "root") == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func noAdminIsCreatedWithoutBootstrapSettings(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store, configuration: ServerConfiguration(bcryptCost: 4)) { client in
            let response = try await client.send(.post, "/api/v1/auth/login", json: ["username": adminName, "password": adminPassword])
            #expect(response.status == .unauthorized)
        }
        #expect(try await !store.adminExists())
    }
}
