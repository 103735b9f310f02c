import CMongoc
import Dispatch

/// libmongoc is initialised once per process, and its log goes nowhere: the
/// store reports through errors, and libmongoc would otherwise write to stderr.
private let mongocLibrary: Void = {
    mongoc_init()
    mongoc_log_set_handler({ _, _, _, _ in }, nil)
}()

/// A pool of libmongoc clients for one connection string and database.
///
/// `@unchecked Sendable` because `mongoc_client_pool_t` is thread-safe by
/// libmongoc's documentation while its clients are not: a client is popped for
/// one operation, used on one thread inside ``withConnection(_:)`` and pushed
/// back; it never escapes. This is the only unchecked-Sendable type of the store.
final class MongoClientPool: @unchecked Sendable {
    private let pool: OpaquePointer
    let database: String
    /// Every libmongoc call blocks (network I/O), so none runs on Swift's cooperative pool.
    private let queue = DispatchQueue(label: "assay.mongo.blocking", qos: .userInitiated, attributes: .concurrent)

    /// Timeouts applied unless the connection string sets its own, so an unreachable
    /// server is reported within seconds instead of libmongoc's 30 s / 5 min defaults.
    private static let defaultTimeouts: [(option: String, milliseconds: Int32)] = [
        ("serverSelectionTimeoutMS", 5_000),
        ("connectTimeoutMS", 5_000),
        ("socketTimeoutMS", 60_000),
    ]

    init(uri text: String, database: String, maxSize: Int, appName: String) throws(StoreError) {
        _ = mongocLibrary
        var error = bson_error_t()
        // The URI may hold a password: neither it nor libmongoc's comment on it goes into the error.
        guard let uri = mongoc_uri_new_with_error(text, &error) else {
            throw StoreError.invalid("the MongoDB connection string is not valid")
        }
        defer { mongoc_uri_destroy(uri) }
        for (option, milliseconds) in Self.defaultTimeouts where !mongoc_uri_has_option(uri, option) {
            _ = mongoc_uri_set_option_as_int32(uri, option, milliseconds)
        }
        guard let pool = mongoc_client_pool_new_with_error(uri, &error) else {
            throw StoreError(mongo: error, while: "creating the MongoDB client pool")
        }
        // Version 2 reports server errors in their own domain with the server's code (11000…).
        mongoc_client_pool_set_error_api(pool, 2)
        _ = mongoc_client_pool_set_appname(pool, appName)
        mongoc_client_pool_max_size(pool, UInt32(clamping: max(1, maxSize)))
        self.pool = pool
        self.database = database
    }

    deinit {
        mongoc_client_pool_destroy(pool)
    }

    /// Runs `body` off the cooperative pool with a client popped from the pool for
    /// this one operation. Errors other than ``StoreError`` become ``StoreError/failure(_:)``.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (MongoConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.async { [self] in
                guard let client = mongoc_client_pool_pop(pool) else {
                    continuation.resume(throwing: StoreError.failure("the MongoDB client pool handed out no client"))
                    return
                }
                defer { mongoc_client_pool_push(pool, client) }
                do {
                    continuation.resume(returning: try body(MongoConnection(client: client, database: database)))
                } catch let error as StoreError {
                    continuation.resume(throwing: error)
                } catch {
                    continuation.resume(throwing: StoreError.failure(String(describing: error)))
                }
            }
        }
    }
}
