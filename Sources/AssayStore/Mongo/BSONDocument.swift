import CMongoc
import Foundation

/// Owns one `bson_t`, from creation to `bson_destroy`, in memory we allocate
/// ourselves with the 128-byte alignment libbson requires (a Swift stack value
/// does not guarantee it). Built only with libbson's typed appends — never via
/// JSON text, so doubles stay doubles and dates stay dates.
///
/// Not `Sendable`: a document lives inside one blocking libmongoc call.
final class BSONDocument {
    /// A `bson_t *` (Swift imports pointers to over-aligned C structs as opaque).
    let pointer: OpaquePointer

    /// An empty document, also usable as the `bson_t *reply` out-parameter that
    /// libmongoc initialises itself (re-initialising an inline `bson_t` leaks nothing).
    init() {
        pointer = OpaquePointer(UnsafeMutableRawPointer.allocate(byteCount: assay_bson_size(), alignment: 128))
        bson_init(pointer)
    }

    /// Encodes `document` field by field.
    convenience init(_ document: BSON.Document) throws(StoreError) {
        self.init()
        for field in document.fields {
            try append(field.key, field.value)
        }
    }

    /// Encodes `values` as a BSON array body (keys "0", "1", …).
    convenience init(array values: [BSON]) throws(StoreError) {
        self.init()
        for (index, value) in values.enumerated() {
            try append(String(index), value)
        }
    }

    deinit {
        // bson_init marks the struct static: bson_destroy frees the data buffer, we free the struct.
        bson_destroy(pointer)
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    /// Appends one field with the append function of its type.
    func append(_ key: String, _ value: BSON) throws(StoreError) {
        precondition(!key.utf8.contains(0), "BSON keys are C strings; user data is never a key")
        let appended: Bool
        switch value {
        case .document(let document):
            let child = try BSONDocument(document)
            appended = withKey(key) { bson_append_document(pointer, $0, $1, child.pointer) }
        case .array(let values):
            let child = try BSONDocument(array: values)
            appended = withKey(key) { bson_append_array(pointer, $0, $1, child.pointer) }
        case .unsupported(let type):
            throw .failure("BSON type \(type) is read-only in this store")
        default:
            appended = withKey(key) { key, keyLength in appendScalar(value, key: key, keyLength: keyLength) }
        }
        guard appended else { throw .invalid("a document grew past the BSON size limit") }
    }

    private func withKey(_ key: String, _ body: (UnsafePointer<CChar>, Int32) -> Bool) -> Bool {
        key.withCString { body($0, Int32(key.utf8.count)) }
    }

    private func appendScalar(_ value: BSON, key: UnsafePointer<CChar>, keyLength: Int32) -> Bool {
        switch value {
        case .string(let text):
            // The explicit length keeps NUL bytes; an empty buffer may have no base address,
            // and libbson would turn a NULL value into BSON null.
            var text = text
            return text.withUTF8 { bytes in
                guard bytes.count <= Int32.max else { return false }
                return bytes.withMemoryRebound(to: CChar.self) { characters in
                    guard let base = characters.baseAddress else {
                        return "".withCString { bson_append_utf8(pointer, key, keyLength, $0, 0) }
                    }
                    return bson_append_utf8(pointer, key, keyLength, base, Int32(characters.count))
                }
            }
        case .int32(let number): return bson_append_int32(pointer, key, keyLength, number)
        case .int64(let number): return bson_append_int64(pointer, key, keyLength, number)
        case .double(let number): return bson_append_double(pointer, key, keyLength, number)
        case .bool(let flag): return bson_append_bool(pointer, key, keyLength, flag)
        case .date(let date): return bson_append_date_time(pointer, key, keyLength, Self.milliseconds(date))
        case .null: return bson_append_null(pointer, key, keyLength)
        case .document, .array, .unsupported: preconditionFailure("not a scalar")
        }
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
