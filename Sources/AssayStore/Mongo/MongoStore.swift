import Foundation

/// The cluster store: MongoDB through libmongoc (see docs/storage.md for the
/// semantics, shared with ``SQLiteStore``).
///
/// Collections: `users`, `credentials`, `artifacts` (+ the GridFS bucket `blobs`,
/// one file per sha256), `experiments`, `trials` (written at first lease, not at
/// creation), `metrics` (columnar buckets), `logs` (line chunks, tail kept),
/// `batches` (applied event batches). Indexes are created at start.
///
/// Each operation pops one client from the pool and runs its libmongoc calls on a
/// dedicated dispatch queue, never on Swift's cooperative pool.
public final class MongoStore: ExperimentStore {
    let pool: MongoClientPool

    /// Connects a pool to `uri` (a mongodb:// connection string; TLS and auth options pass
    /// through to libmongoc), uses `database`, creates indexes at start.
    ///
    /// Unless the connection string sets them, `serverSelectionTimeoutMS` and
    /// `connectTimeoutMS` are 5 s and `socketTimeoutMS` 60 s, so an unreachable server
    /// is reported as ``StoreError/unavailable(_:)`` within seconds.
    public init(uri: String, database: String, poolSize: Int = 16) async throws {
        pool = try MongoClientPool(uri: uri, database: database, maxSize: poolSize, appName: "assay")
        try await pool.withConnection { connection in try Self.createIndexes(connection) }
    }

    public func ping() async throws {
        try await pool.withConnection { connection in
            _ = try connection.readCommand(["ping": 1], database: "admin")
        }
    }

    /// Runs `body` with one pooled connection, off the cooperative pool.
    @discardableResult
    func run<T: Sendable>(_ body: @escaping @Sendable (MongoConnection) throws -> T) async throws -> T {
        try await pool.withConnection(body)
    }
}

/// Collection names.
enum Collections {
    static let users = "users"
    static let credentials = "credentials"
    static let artifacts = "artifacts"
    static let experiments = "experiments"
    static let trials = "trials"
    static let metrics = "metrics"
    static let logs = "logs"
    static let batches = "batches"
    /// GridFS bucket of artifact bytes (`blobs.files`, `blobs.chunks`).
    static let blobs = "blobs"
}
