@testable import AssayStore
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
        do {
            _ = try StoreURL.parse("mongodb://assay:s3cret@db:27017/bad$name")
        } catch {
            #expect(!error.description.contains("s3cret"))
        }
    }
}
