/// A JSON object read with its keys in document order, each value reduced to its kind (scalars kept).
///
/// Metric lines and result files are flat objects whose key order is the order a user
/// expects to see their metrics in. Foundation's JSON readers return dictionaries, which
/// lose that order, and on Linux they bridge `true`/`false` to numbers, so this small
/// reader implements RFC 8259 itself. Nested objects and arrays are validated but only
/// their kind is kept, because callers reject them by key.
struct FlatJSONObject {
    /// A value of the top-level object.
    enum Value: Equatable {
        case number(Double)
        case string(String)
        case bool(Bool)
        case null
        case object
        case array

        /// The value's kind as it reads in a sentence: "a string", "an array".
        var kindDescription: String {
            switch self {
            case .number: "a number"
            case .string: "a string"
            case .bool: "a boolean"
            case .null: "null"
            case .object: "an object"
            case .array: "an array"
            }
        }
    }

    /// Why a text is not a JSON object.
    enum Failure: Error, Equatable {
        /// The text is not JSON at all; the message says what and where.
        case syntax(String)
        /// The text is valid JSON, but its top-level value is not an object.
        case notAnObject(found: Value)
    }

    var entries: [(key: String, value: Value)]

    /// Deeper nesting than this is refused rather than risking the stack on hostile input.
    static let maximumDepth = 256

    init(parsing text: some StringProtocol) throws(Failure) {
        var reader = Reader(bytes: Array(text.utf8))
        reader.skipWhitespace()
        if reader.peek() == UInt8(ascii: "{") {
            entries = try reader.readObject(depth: 1)
        } else {
            let value = try reader.readValue(depth: 1)
            try reader.expectEnd()
            throw .notAnObject(found: value)
        }
        try reader.expectEnd()
    }
}

extension FlatJSONObject {
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

        mutating func skipWhitespace() {
            while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                offset += 1
            }
        }

        func failure(_ what: String) -> Failure {
            .syntax("\(what) at \(position(of: offset))")
        }

        /// "column 7", or "line 2, column 3" once the text spans lines.
        func position(of offset: Int) -> String {
            let before = bytes[..<offset]
            let line = before.count(where: { $0 == 0x0A }) + 1
            let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            let column = offset - lineStart + 1
            return bytes.contains(0x0A) ? "line \(line), column \(column)" : "column \(column)"
        }

        mutating func expectEnd() throws(Failure) {
            skipWhitespace()
            if offset < bytes.count {
                throw failure("unexpected text after the JSON value")
            }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
            skipWhitespace()
            guard peek() == byte else { throw failure("expected \(what)") }
            offset += 1
        }

        mutating func readValue(depth: Int) throws(Failure) -> Value {
            guard depth <= FlatJSONObject.maximumDepth else { throw failure("nesting too deep") }
            skipWhitespace()
            guard let byte = peek() else { throw failure("unexpected end of text") }
            switch byte {
            case UInt8(ascii: "{"):
                _ = try readObject(depth: depth + 1)
                return .object
            case UInt8(ascii: "["):
                try readArray(depth: depth + 1)
                return .array
            case UInt8(ascii: "\""):
                return .string(try readString())
            case UInt8(ascii: "t"):
                try readLiteral("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try readLiteral("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try readLiteral("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return .number(try readNumber())
            default:
                throw failure("unexpected character")
            }
        }

        mutating func readObject(depth: Int) throws(Failure) -> [(key: String, value: Value)] {
            try expect(UInt8(ascii: "{"), "'{'")
            var entries: [(key: String, value: Value)] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                offset += 1
                return entries
            }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw failure("expected a string key") }
                let key = try readString()
                try expect(UInt8(ascii: ":"), "':' after a key")
                entries.append((key, try readValue(depth: depth)))
                skipWhitespace()
                switch peek() {
                case UInt8(ascii: ","): offset += 1
                case UInt8(ascii: "}"): offset += 1; return entries
                default: throw failure("expected ',' or '}'")
                }
            }
        }

        mutating func readArray(depth: Int) throws(Failure) {
            try expect(UInt8(ascii: "["), "'['")
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                offset += 1
                return
            }
            while true {
                _ = try readValue(depth: depth)
                skipWhitespace()
                switch peek() {
                case UInt8(ascii: ","): offset += 1
                case UInt8(ascii: "]"): offset += 1; return
                default: throw failure("expected ',' or ']'")
                }
            }
        }

        mutating func readLiteral(_ literal: String) throws(Failure) {
            guard bytes[offset...].starts(with: literal.utf8) else { throw failure("unexpected character") }
            offset += literal.utf8.count
        }

        mutating func readNumber() throws(Failure) -> Double {
            let start = offset
            if peek() == UInt8(ascii: "-") { offset += 1 }
            if peek() == UInt8(ascii: "0") {
                offset += 1
            } else {
                guard skipDigits() else { throw failure("expected a digit") }
            }
            if peek() == UInt8(ascii: ".") {
                offset += 1
                guard skipDigits() else { throw failure("expected a digit after '.'") }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                offset += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { offset += 1 }
                guard skipDigits() else { throw failure("expected a digit in the exponent") }
            }
            let lexeme = String(decoding: bytes[start..<offset], as: UTF8.self)
            guard let number = Double(lexeme), number.isFinite else {
                throw .syntax("number \(lexeme) is out of range at \(position(of: start))")
            }
            return number
        }

        /// Skips a run of digits; false if there was none.
        mutating func skipDigits() -> Bool {
            let start = offset
            while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                offset += 1
            }
            return offset > start
        }

        mutating func readString() throws(Failure) -> String {
            offset += 1
            var utf8: [UInt8] = []
            while true {
                guard let byte = peek() else { throw failure("unterminated string") }
                switch byte {
                case UInt8(ascii: "\""):
                    offset += 1
                    return String(decoding: utf8, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    offset += 1
                    try readEscape(into: &utf8)
                case 0..<0x20:
                    throw failure("control character in string")
                default:
                    utf8.append(byte)
                    offset += 1
                }
            }
        }

        mutating func readEscape(into utf8: inout [UInt8]) throws(Failure) {
            guard let byte = peek() else { throw failure("unterminated string") }
            offset += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"): utf8.append(contentsOf: String(try readEscapedScalar()).utf8)
            default: throw failure("invalid escape")
            }
        }

        /// The scalar of a `\uXXXX` escape (the `\u` already read), joining a surrogate pair.
        mutating func readEscapedScalar() throws(Failure) -> Unicode.Scalar {
            let first = try readHexQuad()
            var value = first
            if (0xD800..<0xDC00).contains(first) {
                guard bytes[offset...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
                    throw failure("unpaired surrogate")
                }
                offset += 2
                let low = try readHexQuad()
                guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
                value = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(value) else { throw failure("unpaired surrogate") }
            return scalar
        }

        mutating func readHexQuad() throws(Failure) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = peek(), let digit = Self.hexDigitValue(byte) else {
                    throw failure("invalid \\u escape")
                }
                value = value << 4 | digit
                offset += 1
            }
            return value
        }

        static func hexDigitValue(_ byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
            default: nil
            }
        }
    }
}
