@testable import AssayServer
import AssayStore
import Crypto
import AssayTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

extension TestClientProtocol {
    /// Uploads `bytes` as an artifact.
    func upload(_ bytes: [UInt8], token: String?) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/zip"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: "/api/v1/artifacts", method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
    }
}

/// Bytes that look like nothing in particular, `count` long.
func artifactBytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
}

@Suite struct ArtifactRouteTests {
    @Test(arguments: StoreKind.allCases)
    func anUploadIsDeduplicatedPerOwnerAndDownloadsUnchanged(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let alice = try await client.userToken("alice")
            let bob = try await client.userToken("bob")
            let bytes = artifactBytes(300_000)
            let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()

            let first = try await client.upload(bytes, token: alice)
            #expect(first.status == .created)
            #expect(first.json["sha256"] as? String == sha)
            #expect(first.json["size"] as? Int == bytes.count)
            #expect(first.json["deduplicated"] as? Bool == false)
            let id = try #require(first.json["id"] as? String)

            let again = try await client.upload(bytes, token: alice)
            #expect(again.status == .ok)
            #expect(again.json["id"] as? String == id)
            #expect(again.json["deduplicated"] as? Bool == true)

            let bobs = try await client.upload(bytes, token: bob)
            #expect(bobs.status == .created)
            #expect(bobs.json["deduplicated"] as? Bool == false)
            #expect(bobs.json["id"] as? String != id)

            let download = try await client.send(.get, "/api/v1/artifacts/\(id)", token: alice)
            #expect(download.status == .ok)
            #expect(download.headers[.contentType] == "application/zip")
            #expect(Array(download.body.readableBytesView) == bytes)

            #expect(try await client.send(.get, "/api/v1/artifacts/\(id)", token: bob).status == .notFound)
            #expect(try await client.send(.get, "/api/v1/artifacts/not-an-id", token: bob).status == .notFound)

            let experiment = try await client.createExperiment(token: alice, artifact: id)
            let owner = try #require(try await store.user(named: "alice"))
            let runnerSecret = SecretToken.generate()
            _ = try await store.createCredential(Credential(
                id: "", kind: .runner, owner: owner.id, experiment: experiment, name: "runner",
                secretHash: SecretToken.hash(runnerSecret), createdAt: Date(timeIntervalSince1970: 1_800_000_000)))
            #expect(try await client.upload(bytes, token: runnerSecret).status == .forbidden)
            #expect(try await client.send(.get, "/api/v1/artifacts/\(id)", token: runnerSecret).status == .forbidden)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anArtifactIsFoundByItsHashForItsOwnerOnly(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let alice = try await client.userToken("alice")
            let bob = try await client.userToken("bob")
            let bytes = artifactBytes(5_000, seed: 3)
            let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()

            let before = try await client.send(.get, "/api/v1/artifacts?sha256=\(sha)", token: alice)
            #expect(before.status == .notFound)
            #expect(before.error.code == "not_found")

            let uploaded = try await client.upload(bytes, token: alice)
            let id = try #require(uploaded.json["id"] as? String)
            for given in [sha, sha.uppercased()] {
                let found = try await client.send(.get, "/api/v1/artifacts?sha256=\(given)", token: alice)
                #expect(found.status == .ok)
                #expect(found.json["id"] as? String == id)
                #expect(found.json["sha256"] as? String == sha)
                #expect(found.json["size"] as? Int == bytes.count)
                #expect(found.json["deduplicated"] as? Bool == true)
            }

            let bobs = try await client.send(.get, "/api/v1/artifacts?sha256=\(sha)", token: bob)
            #expect(bobs.status == .notFound, "another user's artifact with the same bytes is not found")
            #expect(bobs.json["id"] == nil)

            for query in ["", "?sha256=", "?sha256=\(sha.dropLast())", "?sha256=\(sha)0", "?sha256=\(sha.dropLast())g", "?hash=\(sha)"] {
                let bad = try await client.send(.get, "/api/v1/artifacts\(query)", token: alice)
                #expect(bad.status == .badRequest, "\(query)")
                #expect(bad.error.code == "bad_request")
                #expect(bad.error.message.contains("sha256"), "the message names the parameter: \(bad.error.message)")
            }
            #expect(try await client.send(.get, "/api/v1/artifacts?sha256=\(sha)").status == .unauthorized)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anArtifactOverTheLimitIs413AndNothingIsStored(kind: StoreKind) async throws {
        let store = try await kind.open()
        var configuration = testConfiguration()
        configuration.maxArtifactBytes = 1000
        try await withServer(store, configuration: configuration) { client in
            let token = try await client.userToken("alice")
            let over = try await client.upload(artifactBytes(1001), token: token)
            #expect(over.status == .contentTooLarge)
            #expect(over.error.code == "too_large")
            let exact = try await client.upload(artifactBytes(1000), token: token)
            #expect(exact.status == .created)
            #expect(exact.json["deduplicated"] as? Bool == false)
        }
    }

    /// Over real HTTP the body arrives in many parts and the download is streamed.
    @Test(arguments: StoreKind.allCases)
    func aLiveServerStreamsALargeArtifactBothWays(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store, setup: .live) { client in
            let token = try await client.userToken("alice")
            let bytes = artifactBytes(3_000_000, seed: 7)
            let uploaded = try await client.upload(bytes, token: token)
            #expect(uploaded.status == .created)
            let id = try #require(uploaded.json["id"] as? String)
            let download = try await client.send(.get, "/api/v1/artifacts/\(id)", token: token)
            #expect(download.status == .ok)
            #expect(Array(download.body.readableBytesView) == bytes)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func artifactRoutesNeedAUser(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withServer(store) { client in
            let upload = try await client.upload([1, 2, 3], token: nil)
            let download = try await client.send(.get, "/api/v1/artifacts/00000000000000000000000000")
            #expect(upload.status == .unauthorized)
            #expect(download.status == .unauthorized)
        }
    }
}
