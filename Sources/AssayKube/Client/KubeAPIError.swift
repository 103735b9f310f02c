import AssayCurl
import Foundation

/// The API server answered a request with an error status (or a watch delivered an `ERROR`
/// event): the HTTP code, the `reason` and `message` of the Kubernetes Status it sent, and
/// the request, e.g. `POST /apis/batch/v1/namespaces/assay/jobs`.
public struct KubeAPIError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status code (for a watch `ERROR` event, the Status's `code`).
    public var code: Int
    /// The Status's machine-readable reason: `NotFound`, `AlreadyExists`, `Forbidden`,
    /// `Expired`, …; nil when the body was not a Status.
    public var reason: String?
    /// The Status's message, or the start of a body that was not a Status.
    public var message: String
    /// Method and path of the request, without the query.
    public var request: String
    /// How long the server asked the client to wait (`Retry-After`), for 429 and 503.
    public var retryAfter: Duration?

    public init(code: Int, reason: String?, message: String, request: String, retryAfter: Duration? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.request = request
        self.retryAfter = retryAfter
    }

    public var isNotFound: Bool { code == 404 }
    /// A create found the name taken, possibly by its own earlier attempt (see ``KubeRetryPolicy``).
    public var isAlreadyExists: Bool { reason == "AlreadyExists" || (code == 409 && reason == nil) }
    /// The resourceVersion is too old to watch from (410, reason `Expired` or `Gone`): list again.
    public var isGone: Bool { code == 410 || reason == "Expired" || reason == "Gone" }
    public var isForbidden: Bool { code == 403 }
    public var isUnauthorized: Bool { code == 401 }

    /// Whether the same request may succeed later: 429 Too Many Requests, 500, 502, 503, 504.
    var isRetryable: Bool { [429, 500, 502, 503, 504].contains(code) }

    public var description: String {
        let name = reason ?? Self.statusNames[code] ?? "HTTP \(code)"
        if isUnauthorized {
            return "the Kubernetes API server rejected the credentials (401 \(name)): \(request): \(message) — check the token (the service account's token file, or the kubeconfig user's token or client certificate)"
        }
        if isForbidden {
            return "the Kubernetes API server refused \(request) (403 \(name)): \(message) — check the Role bound to this service account or user"
        }
        return "\(request): \(code) \(name): \(message)"
    }

    private static let statusNames = [
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 410: "Gone",
        422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
        503: "Service Unavailable", 504: "Gateway Timeout",
    ]
}

/// A `v1` Status, as the API server sends with an error status and in watch `ERROR` events.
struct KubeStatus: Decodable {
    struct Details: Decodable {
        var retryAfterSeconds: Int?
    }

    var kind: String?
    var message: String?
    var reason: String?
    var code: Int?
    var details: Details?
}

extension KubeAPIError {
    /// The error for a non-2xx `response` to `request`: its Status if the body is one, else
    /// the start of the body.
    init(status: Int, headers: HTTPHeaders, body: Data, request: String) {
        let parsed = try? JSONDecoder().decode(KubeStatus.self, from: body)
        let kubeStatus = parsed?.kind == "Status" ? parsed : nil
        let headerDelay = headers["Retry-After"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let retryAfter = (headerDelay ?? kubeStatus?.details?.retryAfterSeconds).map { Duration.seconds(max(0, $0)) }
        self.init(
            code: status,
            reason: kubeStatus?.reason.flatMap { $0.isEmpty ? nil : $0 },
            message: kubeStatus?.message ?? Self.excerpt(body),
            request: request,
            retryAfter: retryAfter
        )
    }

    /// A watch `ERROR` event's Status.
    init(watchStatus status: KubeStatus, request: String) {
        self.init(
            code: status.code ?? 500, reason: status.reason.flatMap { $0.isEmpty ? nil : $0 },
            message: status.message ?? "", request: request
        )
    }

    private static func excerpt(_ body: Data) -> String {
        let text = String(decoding: body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return body.count > 512 ? text + "…" : (text.isEmpty ? "(empty body)" : text)
    }
}
