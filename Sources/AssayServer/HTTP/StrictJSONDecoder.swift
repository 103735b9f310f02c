import Foundation
import Hummingbird

/// A request body type whose top-level fields are exactly its coding keys:
/// a body with any other field is refused (400) with the field named, so a
/// misspelt option never passes silently.
///
/// Conform with `typealias Field = CodingKeys` and
/// `enum CodingKeys: String, CodingKey, CaseIterable`.
public protocol StrictDecodable: Decodable {
    associatedtype Field: CodingKey & CaseIterable
}

extension StrictDecodable {
    static var fields: Set<String> { Set(Field.allCases.map(\.stringValue)) }
}

/// Decodes JSON request bodies: size-limited (413), unknown fields rejected,
/// errors naming the field (see ``ErrorMappingMiddleware``).
public struct StrictJSONDecoder: RequestDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let limit = context.maxUploadSize
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.tooLarge(limit: limit)
        }
        return try Self.decode(type, from: Data(buffer: buffer))
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        guard !data.isEmpty else { throw APIError.badRequest("request body must be a JSON object") }
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw APIError.badRequest("malformed JSON")
        }
        if let strict = type as? any StrictDecodable.Type {
            guard let object = value as? [String: Any] else { throw APIError.badRequest("request body must be a JSON object") }
            if let unknown = object.keys.sorted().first(where: { !strict.fields.contains($0) }) {
                throw APIError.badRequest("unknown field \"\(unknown)\"")
            }
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw APIError.decoding(error)
        }
    }
}
