import AssayCore
@testable import AssayStore
import AssayTestSupport
import Foundation
import Testing

@Suite("Conformance: users, credentials, artifacts")
struct ConformanceAccountsTests {
    @Test(arguments: StoreKind.allCases)
    func usersAreUniqueByName(kind: StoreKind) async throws {
        let store = try await kind.open()
        try await store.ping()
        #expect(try await store.adminExists() == false)
        let admin = try await store.createUser(username: "ada", passwordHash: "h1", isAdmin: true, now: T0)
        #expect(try await store.adminExists())
        #expect(try await store.user(named: "ada") == admin)
        #expect(try await store.user(id: admin.id) == admin)
        #expect(try await store.user(named: "bob") == nil)
        await #expect(throws: StoreError.self) {
            _ = try await store.createUser(username: "ada", passwordHash: "h2", isAdmin: false, now: T0)
        }
        #expect(Identifier.isWellFormed(admin.id))
    }

    @Test(arguments: StoreKind.allCases)
    func credentialsByHashExpireAndBelongToTheirOwner(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (ada, experiment) = try await seed(store, trials: 1)
        let bob = try await store.createUser(username: "bob-\(UUID().uuidString.prefix(6))", passwordHash: "h", isAdmin: false, now: T0)
        let token = try await store.createCredential(Credential(id: "", kind: .apiToken, owner: ada.id, name: "laptop", secretHash: "aa11", createdAt: T0))
        let session = try await store.createCredential(Credential(id: "", kind: .session, owner: ada.id, name: "", secretHash: "bb22", createdAt: T0, expiresAt: T0.plus(3600)))
        let runner = try await store.createCredential(Credential(id: "", kind: .runner, owner: ada.id, experiment: experiment.id, name: "", secretHash: "cc33", createdAt: T0, expiresAt: T0.plus(60)))
        #expect(Identifier.isWellFormed(token.id))

        #expect(try await store.credential(secretHash: "aa11", now: T0.plus(1e6))?.id == token.id)
        #expect(try await store.credential(secretHash: "bb22", now: T0.plus(10))?.kind == .session)
        #expect(try await store.credential(secretHash: "bb22", now: T0.plus(3600)) == nil)
        #expect(try await store.credential(secretHash: "cc33", now: T0)?.experiment == experiment.id)
        #expect(try await store.credential(secretHash: "nope", now: T0) == nil)
        await #expect(throws: StoreError.self) {
            _ = try await store.createCredential(Credential(id: "", kind: .apiToken, owner: bob.id, name: "dup", secretHash: "aa11", createdAt: T0))
        }

        #expect(try await store.credentials(owner: ada.id, kind: .apiToken).map(\.id) == [token.id])
        #expect(try await store.credentials(owner: bob.id, kind: .apiToken).isEmpty)
        #expect(try await store.deleteCredential(id: token.id, owner: bob.id) == false)
        #expect(try await store.credential(secretHash: "aa11", now: T0) != nil)
        #expect(try await store.deleteCredential(id: token.id, owner: ada.id))
        #expect(try await store.credential(secretHash: "aa11", now: T0) == nil)
        try await store.deleteCredential(secretHash: "bb22")
        #expect(try await store.credential(secretHash: "bb22", now: T0) == nil)
        _ = (session, runner)
    }

    @Test(arguments: StoreKind.allCases)
    func artifactsAreContentAddressedPerOwner(kind: StoreKind) async throws {
        let store = try await kind.open()
        let ada = try await store.createUser(username: "ada", passwordHash: "h", isAdmin: false, now: T0)
        let bob = try await store.createUser(username: "bob", passwordHash: "h", isAdmin: false, now: T0)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<1_200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let file = FileManager.default.temporaryDirectory.appending(path: "artifact-\(UUID().uuidString).zip")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let sha = String(repeating: "ab", count: 32)

        let first = try await store.storeArtifact(owner: ada.id, sha256: sha, size: bytes.count, contentsOf: file, now: T0)
        #expect(first.deduplicated == false)
        #expect(first.artifact.size == bytes.count && first.artifact.sha256 == sha && first.artifact.owner == ada.id)
        let again = try await store.storeArtifact(owner: ada.id, sha256: sha, size: bytes.count, contentsOf: file, now: T0.plus(5))
        #expect(again.deduplicated && again.artifact.id == first.artifact.id)
        let bobs = try await store.storeArtifact(owner: bob.id, sha256: sha, size: bytes.count, contentsOf: file, now: T0)
        #expect(bobs.deduplicated == false && bobs.artifact.id != first.artifact.id)

        #expect(try await store.artifact(id: first.artifact.id, owner: ada.id) == first.artifact)
        #expect(try await store.artifact(id: first.artifact.id, owner: bob.id) == nil)
        let collected = Collected()
        try await store.readArtifact(id: first.artifact.id, owner: ada.id) { chunk in await collected.append(chunk) }
        #expect(await collected.bytes == bytes)
        #expect(await collected.chunks > 1)  // streamed, not one blob
        await #expect(throws: StoreError.self) {
            try await store.readArtifact(id: first.artifact.id, owner: bob.id) { _ in }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anArtifactIsFoundByItsHashForItsOwnerOnly(kind: StoreKind) async throws {
        let store = try await kind.open()
        let ada = try await store.createUser(username: "ada", passwordHash: "h", isAdmin: false, now: T0)
        let bob = try await store.createUser(username: "bob", passwordHash: "h", isAdmin: false, now: T0)
        let file = FileManager.default.temporaryDirectory.appending(path: "artifact-\(UUID().uuidString).zip")
        try Data([1, 2, 3]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let sha = String(repeating: "c0", count: 32)

        #expect(try await store.artifact(sha256: sha, owner: ada.id) == nil)
        let adas = try await store.storeArtifact(owner: ada.id, sha256: sha, size: 3, contentsOf: file, now: T0).artifact
        #expect(try await store.artifact(sha256: sha, owner: ada.id) == adas)
        #expect(try await store.artifact(sha256: sha, owner: bob.id) == nil, "another owner's bytes are not bob's")
        #expect(try await store.artifact(sha256: String(repeating: "c1", count: 32), owner: ada.id) == nil)

        let bobs = try await store.storeArtifact(owner: bob.id, sha256: sha, size: 3, contentsOf: file, now: T0.plus(1)).artifact
        #expect(try await store.artifact(sha256: sha, owner: bob.id) == bobs)
        #expect(try await store.artifact(sha256: sha, owner: ada.id) == adas)
    }
}

actor Collected {
    var bytes: [UInt8] = []
    var chunks = 0

    func append(_ chunk: [UInt8]) {
        bytes += chunk
        chunks += 1
    }
}
