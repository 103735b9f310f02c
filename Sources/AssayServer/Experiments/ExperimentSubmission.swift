import AssayCore
import AssayStore
import Foundation
import Hummingbird

/// What `POST /api/v1/experiments` was sent: the declaration text to parse and
/// the artifact id it names. JSON bodies are `{"declaration": {…}, "artifact": "<id>"}`;
/// YAML bodies are the assay.yaml text whose `artifact` field holds the id.
struct ExperimentSubmission: Sendable {
    /// Declarations are small; this is far above any real one.
    static let maxBytes = 1024 * 1024

    /// The text that is parsed and stored (JSON, or the YAML as sent).
    var text: String
    /// The artifact id from the body (JSON; the declaration's own `artifact` is then the
    /// CLI's local path and stays as written) or nil to take the declaration's (YAML).
    var artifact: String?

    static func read(_ request: Request) async throws -> ExperimentSubmission {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.tooLarge(limit: maxBytes)
        }
        let data = Data(buffer: buffer)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("application/yaml") || contentType.hasPrefix("application/x-yaml") || contentType.hasPrefix("text/yaml") {
            guard let text = String(data: data, encoding: .utf8) else { throw APIError.badRequest("the YAML body must be UTF-8") }
            return ExperimentSubmission(text: text, artifact: nil)
        }
        return try fromJSON(data)
    }

    static func fromJSON(_ data: Data) throws -> ExperimentSubmission {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw APIError.badRequest(data.isEmpty ? "request body must be a JSON object" : "malformed JSON")
        }
        if let unknown = object.keys.sorted().first(where: { $0 != "declaration" && $0 != "artifact" }) {
            throw APIError.badRequest("unknown field \"\(unknown)\"")
        }
        guard object["declaration"] is [String: Any] else {
            throw APIError.badRequest(object["declaration"] == nil ? "missing field \"declaration\"" : "field \"declaration\" must be an object")
        }
        var artifact: String?
        if let value = object["artifact"] {
            guard let id = value as? String else { throw APIError.badRequest("field \"artifact\" must be a string") }
            artifact = id
        }
        // Stored as sent: the order of `parameters` is the order of the plan.
        guard let text = JSONMemberText.of("declaration", in: data) else { throw APIError.badRequest("malformed JSON") }
        return ExperimentSubmission(text: text, artifact: artifact)
    }
}

extension APIError {
    /// 422 `invalid_declaration` with every problem (`fields: [{"path", "message"}]`).
    static func invalidDeclaration(_ errors: [AssayCore.FieldError]) -> APIError {
        APIError(
            .unprocessableContent, code: "invalid_declaration",
            message: errors.map(\.description).joined(separator: "; "),
            fields: errors.map { FieldError(field: $0.path, message: $0.message) }, fieldKey: "path")
    }
}
