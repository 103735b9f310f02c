import AssayCurl
import Foundation

/// The Assay HTTP API as the CLI uses it: bearer token, JSON in and out,
/// errors turned into one line with the server's own message.
struct APIClient: Sendable {
    let base: URL
    /// The API token; nil only for logging in.
    let token: String?
    let http = CurlHTTPClient(userAgent: "assay-cli")

    /// One error body, `{"error": {"code", "message", "fields"?}}`.
    struct ServerError: Error, CustomStringConvertible {
        let status: Int
        let code: String
        let message: String
        /// `path: message` (or `field: message`) of each invalid field, when the server lists them.
        var fields: [String] = []

        /// The error of a non-2xx answer's body, JSON or not.
        init(status: Int, body: some DataProtocol) {
            let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
            let error = object?["error"] as? [String: Any]
            self.status = status
            code = error?["code"] as? String ?? "error"
            message = error?["message"] as? String ?? String(decoding: Data(body).prefix(200), as: UTF8.self)
            fields = (error?["fields"] as? [[String: Any]] ?? []).compactMap { field in
                guard let message = field["message"] as? String else { return nil }
                let path = field["path"] as? String ?? field["field"] as? String ?? ""
                return path.isEmpty ? message : "\(path): \(message)"
            }
        }

        var description: String {
            switch status {
            case 401: "the server rejected the credentials (\(message)): run `assay login URL` again or check ASSAY_TOKEN"
            case 403: "not allowed: \(message)"
            case 404: message
            case 422 where !fields.isEmpty: fields.joined(separator: "\n")
            default: "the server answered \(status) \(code): \(message)"
            }
        }
    }

    init(base: URL, token: String?) {
        self.base = base
        self.token = token
    }

    func url(_ path: String) -> URL {
        URL(string: base.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)!
    }

    func request(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String? = nil,
        timeouts: HTTPTimeouts = .total(.seconds(60))
    ) -> AssayCurl.HTTPRequest {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if let contentType { headers["Content-Type"] = contentType }
        return AssayCurl.HTTPRequest(method: method, url: url(path), headers: headers, body: body, timeouts: timeouts, maxResponseBytes: 256 << 20)
    }

    /// Sends and returns the answer, which must be 2xx.
    func send(_ request: AssayCurl.HTTPRequest) async throws -> HTTPResponse {
        let response = try await http.send(request)
        guard response.isSuccess else { throw ServerError(status: response.status, body: response.body) }
        return response
    }

    /// Sends and returns the JSON object of a 2xx answer.
    @discardableResult
    func json(_ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String? = nil) async throws -> [String: Any] {
        try Self.object(try await data(method, path, body: body, contentType: contentType))
    }

    /// Sends and decodes a 2xx answer.
    func decode<T: Decodable>(_ type: T.Type, _ path: String, method: HTTPMethod = .get, body: Data? = nil, contentType: String? = nil) async throws -> T {
        try await decode(type, request(method, path, body: body, contentType: contentType))
    }

    /// Sends `request` and decodes its 2xx answer.
    func decode<T: Decodable>(_ type: T.Type, _ request: AssayCurl.HTTPRequest) async throws -> T {
        let answer = try await send(request).body
        do {
            return try JSONDecoder().decode(type, from: answer)
        } catch {
            throw CLIFailure(.failed, "the server's answer to \(request.method) \(request.url.path) is not what this CLI understands: \(error)")
        }
    }

    /// The body of a 2xx answer.
    func data(_ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String? = nil) async throws -> Data {
        try await send(request(method, path, body: body, contentType: contentType)).body
    }

    /// The body of a 2xx answer to a GET.
    func bytes(_ path: String) async throws -> Data {
        try await data(.get, path)
    }

    /// A JSON body as an object (empty for an empty body).
    static func object(_ data: Data) throws -> [String: Any] {
        guard !data.isEmpty else { return [:] }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }
}
