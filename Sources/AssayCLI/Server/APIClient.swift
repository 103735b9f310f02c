import AssayCurl
import Foundation

/// The Assay HTTP API as the CLI uses it: bearer token, JSON in and out,
/// errors turned into one line with the server's own message.
struct APIClient: Sendable {
    let base: URL
    let token: String
    let http = CurlHTTPClient(userAgent: "assay-cli")

    /// One error body, `{"error": {"code", "message"}}`.
    struct ServerError: Error, CustomStringConvertible {
        let status: Int
        let code: String
        let message: String

        var description: String { "the server answered \(status) \(code): \(message)" }
    }

    func url(_ path: String) -> URL {
        URL(string: base.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)!
    }

    func request(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String? = nil,
        timeouts: HTTPTimeouts = .total(.seconds(60))
    ) -> AssayCurl.HTTPRequest {
        var headers: HTTPHeaders = ["Authorization": "Bearer \(token)", "Accept": "application/json"]
        if let contentType { headers["Content-Type"] = contentType }
        return AssayCurl.HTTPRequest(method: method, url: url(path), headers: headers, body: body, timeouts: timeouts, maxResponseBytes: 256 << 20)
    }

    /// Sends and returns the JSON object of a 2xx answer.
    @discardableResult
    func json(_ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String? = nil) async throws -> [String: Any] {
        let response = try await http.send(request(method, path, body: body, contentType: contentType))
        try Self.check(response)
        guard !response.body.isEmpty else { return [:] }
        return (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
    }

    func bytes(_ path: String) async throws -> Data {
        let response = try await http.send(request(.get, path))
        try Self.check(response)
        return response.body
    }

    static func check(_ response: HTTPResponse) throws {
        guard !response.isSuccess else { return }
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        throw ServerError(
            status: response.status, code: error?["code"] as? String ?? "error",
            message: error?["message"] as? String ?? String(decoding: response.body.prefix(200), as: UTF8.self))
    }
}
