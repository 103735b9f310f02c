import Foundation

/// A BSON value as plain Swift data. Store code builds filters, updates and
/// documents from these and reads replies into them; only ``BSONDocument``
/// touches libbson.
enum BSON: Sendable, Equatable {
    case string(String)
    case int32(Int32)
    case int64(Int64)
    case double(Double)
    case bool(Bool)
    /// Milliseconds are kept (BSON dates have millisecond precision).
    case date(Date)
    case null
    case document(Document)
    case array([BSON])
    /// A type the store never writes (ObjectId, binary…), kept as its BSON type code.
    case unsupported(UInt32)

    /// An ordered document: field order matters for commands and sort specifications.
    struct Document: Sendable, Equatable, ExpressibleByDictionaryLiteral {
        private(set) var fields: [(key: String, value: BSON)]

        init() { fields = [] }

        init(dictionaryLiteral elements: (String, BSON)...) {
            fields = elements.map { (key: $0.0, value: $0.1) }
        }

        init(_ elements: [(String, BSON)]) {
            fields = elements.map { (key: $0.0, value: $0.1) }
        }

        /// The first field named `key`.
        subscript(key: String) -> BSON? {
            get { fields.first { $0.key == key }?.value }
            set {
                if let position = fields.firstIndex(where: { $0.key == key }) {
                    if let newValue { fields[position].value = newValue } else { fields.remove(at: position) }
                } else if let newValue {
                    fields.append((key: key, value: newValue))
                }
            }
        }

        static func == (lhs: Document, rhs: Document) -> Bool {
            lhs.fields.elementsEqual(rhs.fields) { $0.key == $1.key && $0.value == $1.value }
        }
    }

    static func int(_ value: Int) -> BSON { .int64(Int64(value)) }

    /// `value`, or BSON null for nil.
    static func optional(_ value: String?) -> BSON { value.map(BSON.string) ?? .null }
    static func optional(_ value: Int?) -> BSON { value.map(BSON.int) ?? .null }
}

extension BSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int64) { self = .int64(value) }
    init(floatLiteral value: Double) { self = .double(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: BSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, BSON)...) { self = .document(Document(elements)) }
}

// MARK: Reading values

extension BSON {
    var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// Any BSON number that holds an exact integer (servers may return int32, int64 or double).
    var int: Int? {
        switch self {
        case .int32(let value): Int(value)
        case .int64(let value): Int(value)
        case .double(let value): value.isFinite && value.rounded() == value ? Int(exactly: value) : nil
        default: nil
        }
    }

    /// Any BSON number as a double.
    var double: Double? {
        switch self {
        case .int32(let value): Double(value)
        case .int64(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    var bool: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    var date: Date? {
        if case .date(let value) = self { value } else { nil }
    }

    var document: Document? {
        if case .document(let value) = self { value } else { nil }
    }

    var array: [BSON]? {
        if case .array(let value) = self { value } else { nil }
    }

    var isNull: Bool {
        if case .null = self { true } else { false }
    }
}
