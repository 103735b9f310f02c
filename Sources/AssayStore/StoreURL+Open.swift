extension StoreURL {
    /// Opens the store this URL names: SQLite (creating and migrating the
    /// file) or MongoDB (connecting a pool and creating indexes).
    public func open(mongoPoolSize: Int = 16) async throws -> any ExperimentStore {
        switch self {
        case .sqlite(let path):
            return try SQLiteStore(path: path)
        case .mongo(let uri, let database):
            return try await MongoStore(uri: uri, database: database, poolSize: mongoPoolSize)
        }
    }
}
