import CMongoc
import Foundation

extension BSONDocument {
    /// The document as Swift values.
    func read() -> BSON.Document {
        Self.read(pointer)
    }

    /// Reads a `bson_t` that libmongoc owns (a cursor's current document) into Swift values.
    static func read(_ bson: OpaquePointer) -> BSON.Document {
        let iterator = BSONIterator()
        guard bson_iter_init(iterator.pointer, bson) else { return BSON.Document() }
        return iterator.readDocument()
    }
}

/// Owns one `bson_iter_t` (128-byte aligned, like `bson_t`) and walks a document with `bson_iter_*`.
private final class BSONIterator {
    /// A `bson_iter_t *`.
    let pointer: OpaquePointer

    init() {
        pointer = OpaquePointer(UnsafeMutableRawPointer.allocate(byteCount: assay_bson_iter_size(), alignment: 128))
    }

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    func readDocument() -> BSON.Document {
        var fields: [(String, BSON)] = []
        while bson_iter_next(pointer) {
            fields.append((String(cString: bson_iter_key(pointer)), currentValue()))
        }
        return BSON.Document(fields)
    }

    func readArray() -> [BSON] {
        var values: [BSON] = []
        while bson_iter_next(pointer) {
            values.append(currentValue())
        }
        return values
    }

    private func currentValue() -> BSON {
        let type = bson_iter_type(pointer)
        switch type {
        case BSON_TYPE_UTF8:
            var length: UInt32 = 0
            guard let characters = bson_iter_utf8(pointer, &length) else { return .string("") }
            return .string(String(decoding: UnsafeRawBufferPointer(start: characters, count: Int(length)), as: UTF8.self))
        case BSON_TYPE_INT32: return .int32(bson_iter_int32(pointer))
        case BSON_TYPE_INT64: return .int64(bson_iter_int64(pointer))
        case BSON_TYPE_DOUBLE: return .double(bson_iter_double(pointer))
        case BSON_TYPE_BOOL: return .bool(bson_iter_bool(pointer))
        case BSON_TYPE_DATE_TIME: return .date(Date(timeIntervalSince1970: Double(bson_iter_date_time(pointer)) / 1000))
        case BSON_TYPE_NULL, BSON_TYPE_UNDEFINED: return .null
        case BSON_TYPE_DOCUMENT:
            let child = BSONIterator()
            guard bson_iter_recurse(pointer, child.pointer) else { return .document(BSON.Document()) }
            return .document(child.readDocument())
        case BSON_TYPE_ARRAY:
            let child = BSONIterator()
            guard bson_iter_recurse(pointer, child.pointer) else { return .array([]) }
            return .array(child.readArray())
        default:
            return .unsupported(type.rawValue)
        }
    }
}
