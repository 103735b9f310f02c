import Foundation

/// How user-chosen names and numbers are kept safe in documents.
enum StoredValue {
    /// A metric name as a field name: "x" + hex of its UTF-8 bytes, so `$`, `.` and NUL
    /// in names are never interpreted (the name itself is stored verbatim as a value).
    static func fieldKey(_ name: String) -> String {
        var key = "x"
        key.reserveCapacity(1 + name.utf8.count * 2)
        for byte in name.utf8 {
            key.append(hexDigits[Int(byte >> 4)])
            key.append(hexDigits[Int(byte & 0x0f)])
        }
        return key
    }

    private static let hexDigits = Array("0123456789abcdef")

    /// A time, as int64 milliseconds since 1970 (UTC). Not a BSON date: nx-27017 turns a
    /// date that `$set` writes into a string (which no longer compares with `$lte`), and
    /// one representation for every time keeps reading and querying simple.
    static func time(_ date: Date) -> BSON { .int64(BSONDocument.milliseconds(date)) }

    static func time(_ date: Date?) -> BSON { date.map(time) ?? .null }

    /// Reads what ``time(_:)`` wrote, or a BSON date.
    static func time(from value: BSON) -> Date? {
        if case .date(let date) = value { return date }
        return value.int.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    /// A number; NaN and ±infinity are written as the strings "NaN", "Infinity" and
    /// "-Infinity" (nx-27017 keeps documents as JSON, which has no such numbers).
    static func number(_ value: Double) -> BSON {
        if value.isFinite { return .double(value) }
        return .string(value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity")
    }

    static func number(_ value: Double?) -> BSON {
        value.map(number) ?? .null
    }

    /// Reads what ``number(_:)`` wrote; nil for null or anything else.
    static func number(from value: BSON) -> Double? {
        switch value {
        case .string("NaN"): .nan
        case .string("Infinity"): .infinity
        case .string("-Infinity"): -.infinity
        default: value.double
        }
    }
}
