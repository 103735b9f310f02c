@testable import AssayStore
import AssayTestSupport
import Foundation
import Testing

@Suite("Store URLs")
struct StoreURLTests {
    @Test func sqliteRelativeAndAbsolute() throws {
        let here = URL(filePath: "/srv/assay")
        #expect(try StoreURL.parse("sqlite:assay-data/assay.db", relativeTo: here) == .sqlite(path: "/srv/assay/assay-data/assay.db"))
        #expect(try StoreURL.parse("sqlite:///var/lib/assay.db", relativeTo: here) == .sqlite(path: "/var/lib/assay.db"))
    }

    @Test func mongoNamesItsDatabase() throws {
        #expect(try StoreURL.parse("mongodb://u:p@db:27017/assay?tls=true") == .mongo(uri: "mongodb://u:p@db:27017/assay?tls=true", database: "assay"))
        #expect(try StoreURL.parse("mongodb://db:27017") == .mongo(uri: "mongodb://db:27017", database: "assay"))
    }

    @Test(arguments: ["postgres://x", "sqlite:", "sqlite://host/x.db", "mongodb:///", "mongodb://db/bad$name"])
    func refused(text: String) {
        #expect(throws: StoreError.self) { try StoreURL.parse(text) }
    }

    @Test func passwordsNeverShow() throws {
        let url = try StoreURL.parse("mongodb://assay:s3cret@db:27017/assay")
        #expect(!url.description.contains("s3cret"))
        // Must throw, and the message must not carry the password.
        let error = #expect(throws: StoreError.self) { try StoreURL.parse("mongodb://assay:s3cret@db:27017/bad$name") }
        #expect(error.map { !$0.description.contains("s3cret") } == true)
    }
}

@Suite("Opening a store from its URL")
struct StoreOpeningTests {
    @Test func sqliteURLOpensAnSQLiteStore() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "assay-open-\(UUID().uuidString)")
        let store = try await StoreURL.parse("sqlite:data/assay.db", relativeTo: folder).open()
        #expect(store is SQLiteStore)
        try await store.ping()
        #expect(FileManager.default.fileExists(atPath: folder.appending(path: "data/assay.db").path))
    }

    @Test func mongoURLOpensAMongoStore() async throws {
        let server = try await MongoTestServer.shared()
        let store = try await StoreURL.parse(server.uri.replacingOccurrences(of: "/?", with: "/opened?")).open()
        #expect(store is MongoStore)
        try await store.ping()
    }
}
