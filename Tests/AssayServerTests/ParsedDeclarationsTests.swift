import AssayStore
import AssayTestSupport
@testable import AssayServer
import Foundation
import Testing

@Suite struct ParsedDeclarationsTests {
    @Test func aDeclarationIsParsedOnceAndReadAgainWhenItsTextDiffers() async throws {
        let store = try await StoreKind.sqlite.open()
        let user = try await store.createUser(username: "alice", passwordHash: "x", isAdmin: false, now: Date())
        var record = try await store.createExperiment(
            NewExperiment(owner: user.id, name: "a", declaration: "name: a\ncommand: [x]", trialCount: 1), now: Date())
        let cache = ParsedDeclarations(limit: 2)
        #expect(cache.declaration(of: record)?.name == "a")
        #expect(cache.declaration(of: record)?.name == "a")
        record.declaration = "name: b\ncommand: [x]"  // the same id with another text is never answered from the cache
        #expect(cache.declaration(of: record)?.name == "b")
        record.declaration = "name: [not, text]"
        #expect(cache.declaration(of: record) == nil)
        let other = try await store.createExperiment(
            NewExperiment(owner: user.id, name: "c", declaration: "name: c\ncommand: [x]", trialCount: 1), now: Date())
        let third = try await store.createExperiment(
            NewExperiment(owner: user.id, name: "d", declaration: "name: d\ncommand: [x]", trialCount: 1), now: Date())
        #expect(cache.declaration(of: other)?.name == "c")
        #expect(cache.declaration(of: third)?.name == "d")  // past the limit: forgets, still answers
        #expect(cache.declaration(of: other)?.name == "c")
    }
}
