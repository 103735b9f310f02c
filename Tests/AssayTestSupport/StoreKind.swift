import AssayStore
import Foundation
import Testing

/// The stores the store conformance suite and the server's route tests run
/// against: every such test is parameterised over these kinds, so both
/// implementations pass the same checks.
public enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, mongo

    public var testDescription: String { rawValue }

    /// A fresh, empty store: a new SQLite file, or a new database on the shared nx-27017.
    public func open() async throws -> any ExperimentStore {
        switch self {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appending(path: "assay-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return try SQLiteStore(path: folder.appending(path: "assay.db").path)
        case .mongo:
            let server = try await MongoTestServer.shared()
            return try await MongoStore(uri: server.uri, database: "t\(UUID().uuidString.prefix(8).lowercased())")
        }
    }
}
