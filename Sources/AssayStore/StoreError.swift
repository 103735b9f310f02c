/// Errors every store maps its own failures into (callers never see SQLite or
/// libmongoc codes).
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The object does not exist (or belongs to someone else).
    case notFound(String)
    /// A unique value is taken (username, token hash…).
    case conflict(String)
    /// The store cannot be reached or timed out; retrying later may work.
    case unavailable(String)
    /// The input cannot be stored (too large, malformed) — nothing was written.
    case invalid(String)
    /// Anything else: the store's own message, for operators.
    case failure(String)

    public var description: String {
        switch self {
        case .notFound(let what): "not found: \(what)"
        case .conflict(let what): "conflict: \(what)"
        case .unavailable(let why): "store unavailable: \(why)"
        case .invalid(let why): "invalid: \(why)"
        case .failure(let why): "store failure: \(why)"
        }
    }
}
