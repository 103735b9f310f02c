import AssayCore
import Foundation
import GRDB

/// How values that SQLite has no type for are written and read back.
extension SQLiteStore {
    static func date(_ row: Row, _ column: String) throws -> Date {
        Date(timeIntervalSince1970: try row.decode(Double.self, forColumn: column))
    }

    static func optionalDate(_ row: Row, _ column: String) throws -> Date? {
        try row.decode(Double?.self, forColumn: column).map(Date.init(timeIntervalSince1970:))
    }

    /// A status or other raw-value enum; an unknown spelling is a corrupt row, not a crash.
    static func decode<Value: RawRepresentable<String>>(_ type: Value.Type, _ row: Row, _ column: String) throws -> Value {
        let raw: String = try row.decode(forColumn: column)
        guard let value = Value(rawValue: raw) else { throw StoreError.failure("\(column) \"\(raw)\" is not a known value") }
        return value
    }

    /// Text kept as bytes (BLOB), so NUL bytes survive.
    static func bytes(_ text: String) -> Data { Data(text.utf8) }

    static func text(_ row: Row, _ column: String) throws -> String {
        String(decoding: try row.decode(Data.self, forColumn: column), as: UTF8.self)
    }

    static func seconds(_ duration: Duration) -> Double {
        duration.inSeconds
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    static func fromJSON<Value: Decodable>(_ type: Value.Type, _ text: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
