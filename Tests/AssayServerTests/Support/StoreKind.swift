@testable import AssayStore
import Foundation
import Testing

/// The stores every route test runs against (the same kinds as the store's
/// conformance suite): a fresh, empty SQLite file or MongoDB database.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, mongo

    var testDescription: String { rawValue }

    func open() async throws -> any ExperimentStore {
        switch self {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appending(path: "assay-server-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return try SQLiteStore(path: folder.appending(path: "assay.db").path)
        case .mongo:
            let server = try await MongoTestServer.shared()
            return try await MongoStore(uri: server.uri, database: "s\(UUID().uuidString.prefix(8).lowercased())")
        }
    }
}
