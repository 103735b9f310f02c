import Foundation

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
    /// The disk (or database) is full: nothing of this write was kept; freeing space fixes it.
    case full(String)
    /// Anything else: the store's own message, for operators.
    case failure(String)

    public var description: String {
        switch self {
        case .notFound(let what): "not found: \(what)"
        case .conflict(let what): "conflict: \(what)"
        case .unavailable(let why): "store unavailable: \(why)"
        case .invalid(let why): "invalid: \(why)"
        case .full(let why): "store full: \(why)"
        case .failure(let why): "store failure: \(why)"
        }
    }
}

extension StoreError {
    /// Whether a file or database write failed for want of space: ENOSPC, directly or
    /// under Foundation's "not enough space" (CocoaError 640).
    public static func isOutOfSpace(_ error: any Error) -> Bool {
        let error = error as NSError
        if error.domain == NSPOSIXErrorDomain, error.code == Int(ENOSPC) { return true }
        if error.domain == NSCocoaErrorDomain, error.code == CocoaError.fileWriteOutOfSpace.rawValue { return true }
        return (error.userInfo[NSUnderlyingErrorKey] as? NSError).map { isOutOfSpace($0) } ?? false
    }
}
