@testable import AssayServer
import AssayStore
import AssayTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct ErrorResponseTests {
    @Test(arguments: StoreKind.allCases)
    func badBodiesAre400WithTheFieldNamed(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let login = "/api/v1/auth/login"
            let malformed = try await client.send(.post, login, raw: #"{"username": "admin", "password": "#)
            #expect(malformed.status == .badRequest)
            #expect(malformed.error == ("bad_request", "malformed JSON"))

            let unknown = try await client.send(.post, login, json: ["username": "admin", "password": "x", "remember": true])
            #expect(unknown.status == .badRequest)
            #expect(unknown.error.message == #"unknown field "remember""#)

            let missing = try await client.send(.post, login, json: ["username": "admin"])
            #expect(missing.status == .badRequest)
            #expect(missing.error.message == #"missing field "password""#)

            let wrongType = try await client.send(.post, login, json: ["username": "admin", "password": 12])
            #expect(wrongType.status == .badRequest)
            #expect(wrongType.error.message == #"field "password" must be a string"#)

            let notAnObject = try await client.send(.post, login, raw: "[1, 2]")
            #expect(notAnObject.status == .badRequest)
            #expect(notAnObject.error.message == "request body must be a JSON object")

            let empty = try await client.send(.post, login)
            #expect(empty.status == .badRequest)

            let cookie = try await client.login()
            let unknownToken = try await client.send(.post, "/api/v1/tokens", json: ["name": "x", "scope": "all"], cookie: cookie)
            #expect(unknownToken.error.message == #"unknown field "scope""#)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func oversizedBodiesAre413(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let huge = String(repeating: "x", count: 100 * 1024)
            let response = try await client.send(.post, "/api/v1/auth/login", json: ["username": huge, "password": "x"])
            #expect(response.status == .contentTooLarge)
            #expect(response.error.code == "too_large")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func unknownRoutesAre404InTheErrorShape(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let response = try await client.send(.get, "/nothing-here")
            #expect(response.status == .notFound)
            #expect(response.error.code == "not_found")
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
        }
    }

    @Test func everyErrorKindMapsToItsStatusWithoutInternalText() {
        let cases: [(any Error, HTTPResponse.Status, String)] = [
            (StoreError.notFound("experiments row 7"), .notFound, "not_found"),
            (StoreError.conflict("UNIQUE constraint failed: users.username"), .conflict, "conflict"),
            (StoreError.unavailable("mongoc: No suitable servers found"), .serviceUnavailable, "store_unavailable"),
            (StoreError.invalid("string too long for column"), .unprocessableContent, "invalid"),
            (StoreError.failure("SQLITE_CORRUPT"), .internalServerError, "internal"),
            (StoreError.full("SQLite: database or disk is full"), .init(code: 507), "insufficient_storage"),
            (HTTPError(.contentTooLarge), .contentTooLarge, "too_large"),
            (CocoaError(.fileReadUnknown), .internalServerError, "internal"),
        ]
        for (error, status, code) in cases {
            let mapped = ErrorMappingMiddleware<AssayRequestContext>.map(error)
            #expect(mapped.status == status, "\(error)")
            #expect(mapped.code == code, "\(error)")
            for secret in ["row 7", "UNIQUE", "mongoc", "column", "SQLITE"] {
                #expect(!mapped.message.contains(secret), "\(error)")
            }
        }
    }

    /// ENOSPC however Foundation wraps it is "full"; other file errors are not.
    @Test func outOfSpaceIsRecognisedUnderFoundationsWrapping() {
        let posix = NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))
        #expect(StoreError.isOutOfSpace(posix))
        #expect(StoreError.isOutOfSpace(CocoaError(.fileWriteOutOfSpace)))
        #expect(StoreError.isOutOfSpace(NSError(domain: NSCocoaErrorDomain, code: 512, userInfo: [NSUnderlyingErrorKey: posix])))
        #expect(!StoreError.isOutOfSpace(CocoaError(.fileWriteNoPermission)))
        #expect(!StoreError.isOutOfSpace(NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))))
    }
}
