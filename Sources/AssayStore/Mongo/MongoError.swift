import CMongoc

extension StoreError {
    /// The one place a libmongoc `bson_error_t` becomes a ``StoreError``; callers never
    /// see libmongoc domains or codes.
    ///
    /// - duplicate key (11000) → ``conflict``;
    /// - server selection, socket and timeout errors, and the server's own "shutting
    ///   down / not primary / network" codes → ``unavailable`` (a retry may work);
    /// - documents or messages too large → ``invalid``;
    /// - anything else → ``failure``, with libmongoc's message for operators.
    init(mongo error: bson_error_t, while action: String) {
        let message = Self.message(of: error)
        let described = "\(action): \(message)"
        switch (error.domain, error.code) {
        case (_, Self.duplicateKey), (_, 11001), (_, 12582):
            self = .conflict(described)
        case (MONGOC_ERROR_SERVER_SELECTION.rawValue, _), (MONGOC_ERROR_STREAM.rawValue, _):
            self = .unavailable(described)
        case (MONGOC_ERROR_CLIENT.rawValue, MONGOC_ERROR_CLIENT_TOO_BIG.rawValue),
             (MONGOC_ERROR_BSON.rawValue, _):
            self = .invalid(described)
        case (_, let code) where Self.unavailableServerCodes.contains(code):
            self = .unavailable(described)
        case (_, let code) where Self.tooLargeServerCodes.contains(code):
            self = .invalid(described)
        default:
            self = .failure(described)
        }
    }

    static let duplicateKey: UInt32 = 11000

    /// HostUnreachable, HostNotFound, MaxTimeMSExpired, NetworkTimeout, ShutdownInProgress,
    /// PrimarySteppedDown, SocketException, NotWritablePrimary, InterruptedAtShutdown,
    /// InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary.
    private static let unavailableServerCodes: Set<UInt32> = [6, 7, 50, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436]
    /// BSONObjectTooLarge and its relatives.
    private static let tooLargeServerCodes: Set<UInt32> = [10334, 17419, 17420]

    private static func message(of error: bson_error_t) -> String {
        withUnsafeBytes(of: error.message) { bytes in
            let characters = bytes.prefix { $0 != 0 }
            return String(decoding: characters, as: UTF8.self)
        }
    }
}
