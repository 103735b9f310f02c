import Foundation
import HTTPTypes
import Hummingbird

/// An error as clients see it: a status and `{"error": {"code", "message"}}`
/// (plus `fields` for validation errors). Every error leaving a handler
/// becomes one of these in ``ErrorMappingMiddleware``; handlers just throw.
public struct APIError: Error, Sendable, Equatable, HTTPResponseError {
    /// One invalid input field and what is wrong with it.
    public struct FieldError: Sendable, Equatable, Codable {
        public var field: String
        public var message: String

        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    public var status: HTTPResponse.Status
    /// Stable, machine-readable (`unauthorized`, `not_found`…).
    public var code: String
    /// For people; never internal text.
    public var message: String
    public var fields: [FieldError]
    /// Extra response headers (`Retry-After`).
    public var headers: HTTPFields
    /// The name each entry of `fields` gives its field: `field` for request
    /// bodies, `path` for declaration field paths (`parameters.lr.max`).
    public var fieldKey: String

    public init(
        _ status: HTTPResponse.Status, code: String, message: String, fields: [FieldError] = [], headers: HTTPFields = [:],
        fieldKey: String = "field"
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers
        self.fieldKey = fieldKey
    }

    public static func badRequest(_ message: String) -> APIError {
        APIError(.badRequest, code: "bad_request", message: message)
    }

    public static let unauthorized = APIError(.unauthorized, code: "unauthorized", message: "authentication required")

    public static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, code: "forbidden", message: message)
    }

    public static func notFound(_ what: String) -> APIError {
        APIError(.notFound, code: "not_found", message: "\(what) not found")
    }

    public static func conflict(_ message: String) -> APIError {
        APIError(.conflict, code: "conflict", message: message)
    }

    public static func tooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "too_large", message: "request body exceeds \(limit) bytes")
    }

    public static func invalid(_ fields: [FieldError]) -> APIError {
        APIError(.unprocessableContent, code: "validation_failed",
                 message: fields.map { "\($0.field): \($0.message)" }.joined(separator: "; "), fields: fields)
    }

    public static func rateLimited(retryAfter seconds: Int) -> APIError {
        APIError(.tooManyRequests, code: "rate_limited", message: "too many attempts; retry in \(seconds) s",
                 headers: [.retryAfter: String(seconds)])
    }

    public static let storeUnavailable = APIError(.serviceUnavailable, code: "store_unavailable", message: "the store is unavailable; retry later")

    /// The disk under the store or the upload's temporary file is full: nothing was kept.
    public static let insufficientStorage = APIError(
        .init(code: 507), code: "insufficient_storage", message: "the server has no space left to store this; nothing of it was kept")

    public static let internalError = APIError(.internalServerError, code: "internal", message: "internal server error")

    private struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var fields: [[String: String]]?
        }
        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(error: .init(code: code, message: message, fields: fields.isEmpty ? nil : fields.map { [fieldKey: $0.field, "message": $0.message] }))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var response = Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(body))))
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension APIError {
    /// A 400 naming the field and what is wrong with it, without Swift type names.
    public static func decoding(_ error: DecodingError) -> APIError {
        .badRequest(describe(error))
    }

    /// Names the field and what is wrong, without Swift type internals.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (last.map { [$0] } ?? [])
            return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \"\(path(context.codingPath, key))\""
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "field \"\(path(context.codingPath))\" must be \(jsonName(type))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "malformed JSON" : "field \"\(path(context.codingPath))\" has an invalid value"
        @unknown default:
            return "malformed JSON"
        }
    }

    private static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Double.Type, is Int32.Type, is Int64.Type: "a number"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
