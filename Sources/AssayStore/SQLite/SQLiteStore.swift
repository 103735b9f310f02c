import Foundation
import GRDB

/// The embedded default store: one SQLite database in WAL mode (GRDB's
/// `DatabasePool`: concurrent readers, one serialized writer), artifacts as
/// files next to it.
///
/// Every operation that changes anything is one write transaction, so leases
/// and event batches are atomic and two Runners never hold the same trial.
/// Trial records are created lazily at their first lease; see
/// `SQLiteStore+Schema.swift` for the tables.
public final class SQLiteStore: ExperimentStore {
    let pool: DatabasePool
    /// `<database>.artifacts/`: one file per sha256, shared by every owner.
    let artifactDirectory: URL

    /// How many log lines a trial keeps (its tail); older lines are dropped.
    static let logTail = 1_000

    /// Opens (creating and migrating) the database at `path`; artifacts live in
    /// `<path>.artifacts/` next to it, one file per sha256.
    public init(path: String) throws {
        let database = URL(filePath: path)
        artifactDirectory = URL(filePath: path + ".artifacts", directoryHint: .isDirectory)
        do {
            let manager = FileManager.default
            try manager.createDirectory(at: database.deletingLastPathComponent(), withIntermediateDirectories: true)
            try manager.createDirectory(at: artifactDirectory, withIntermediateDirectories: true)
            pool = try DatabasePool(path: path, configuration: Self.configuration)
            try Self.migrate(pool)
        } catch {
            throw Self.storeError(error)
        }
    }

    private static var configuration: Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Another process (a second server on the same file, a backup) may hold the lock briefly.
        configuration.busyMode = .timeout(5)
        configuration.label = "assay"
        configuration.prepareDatabase { db in
            db.add(function: containsText)
            // In WAL mode NORMAL still survives a crash of this process (what a killed or
            // restarted server needs); only an OS crash or power loss can drop the last
            // commits. FULL would fsync every commit: a lease or event batch took ~1 ms.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        return configuration
    }

    public func ping() async throws {
        _ = try await read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: Access

    /// One write transaction; errors come out as ``StoreError``.
    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(updates)
        } catch {
            throw Self.storeError(error)
        }
    }

    /// One read transaction (a consistent snapshot); errors come out as ``StoreError``.
    func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(value)
        } catch {
            throw Self.storeError(error)
        }
    }
}
