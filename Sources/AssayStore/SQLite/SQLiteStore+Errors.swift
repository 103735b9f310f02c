import Foundation
import GRDB

extension SQLiteStore {
    /// The one place SQLite, GRDB and file errors become ``StoreError``; a
    /// ``StoreError`` (or a cancellation) thrown inside a transaction passes through.
    static func storeError(_ error: any Error) -> any Error {
        switch error {
        case is StoreError, is CancellationError:
            return error
        case let error as DatabaseError:
            let message = error.message ?? "\(error.resultCode)"
            switch error.resultCode {
            case .SQLITE_CONSTRAINT where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
                || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY:
                return StoreError.conflict(message)
            case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CANTOPEN:
                return StoreError.unavailable("SQLite: \(message)")
            case .SQLITE_FULL:
                return StoreError.full("SQLite: \(message)")
            default:
                return StoreError.failure("SQLite: \(message)")
            }
        case let error as NSError where StoreError.isOutOfSpace(error):
            return StoreError.full("\(error.localizedDescription)")
        case is EncodingError, is DecodingError, is RowDecodingError:
            return StoreError.failure("stored data does not decode: \(error)")
        default:
            return StoreError.failure("\(error)")
        }
    }

    /// Text columns hold what SQLite's C strings can: a NUL byte would cut the
    /// value short, so such input is refused rather than stored truncated.
    /// (Log lines, metric names and text metric values are stored as bytes and
    /// keep their NULs.)
    static func checkText(_ text: String, _ field: String) throws(StoreError) {
        if text.utf8.contains(0) { throw .invalid("\(field) contains a NUL byte") }
    }

    /// JSON cannot carry NaN or infinity; numbers are refused rather than altered.
    static func checkFinite(_ number: Double, _ field: String) throws(StoreError) {
        if !number.isFinite { throw .invalid("\(field): \(number) is not a finite number") }
    }
}
