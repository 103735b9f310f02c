import Foundation

/// Typed field access for stored documents: a missing or mistyped required field is a
/// ``StoreError/failure(_:)`` (the data was not written by this store), never a crash.
extension BSON.Document {
    func string(_ key: String) throws -> String {
        guard let value = self[key]?.string else { throw malformed(key) }
        return value
    }

    func optionalString(_ key: String) -> String? { self[key]?.string }

    func int(_ key: String) throws -> Int {
        guard let value = self[key]?.int else { throw malformed(key) }
        return value
    }

    func optionalInt(_ key: String) -> Int? { self[key]?.int }

    func double(_ key: String) throws -> Double {
        guard let value = self[key]?.double else { throw malformed(key) }
        return value
    }

    /// nx-27017 stores a `$set` boolean as int32 0/1, so a number counts too.
    func bool(_ key: String) -> Bool {
        switch self[key] {
        case .bool(let value): value
        case .int32(let value): value != 0
        case .int64(let value): value != 0
        default: false
        }
    }

    /// A time written by ``StoredValue/time(_:)`` (or a BSON date).
    func date(_ key: String) throws -> Date {
        guard let value = self[key].flatMap(StoredValue.time(from:)) else { throw malformed(key) }
        return value
    }

    func optionalDate(_ key: String) -> Date? { self[key].flatMap(StoredValue.time(from:)) }

    func document(_ key: String) throws -> BSON.Document {
        guard let value = self[key]?.document else { throw malformed(key) }
        return value
    }

    /// The elements of an array field that are documents (empty if absent).
    func documents(_ key: String) -> [BSON.Document] {
        self[key]?.array?.compactMap(\.document) ?? []
    }

    func strings(_ key: String) -> [String] {
        self[key]?.array?.compactMap(\.string) ?? []
    }

    func enumeration<Value: RawRepresentable<String>>(_ key: String, as type: Value.Type) throws -> Value {
        guard let value = Value(rawValue: try string(key)) else { throw malformed(key) }
        return value
    }

    private func malformed(_ key: String) -> StoreError {
        .failure("stored document has a missing or malformed \"\(key)\" field")
    }
}
