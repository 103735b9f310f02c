import AssayCurl
import Foundation
import Logging
import Synchronization

/// A client for the few Kubernetes API calls Assay makes (Jobs, Pods, Secrets: create, get,
/// list, delete, watch, pod logs), over libcurl, with no Kubernetes client library.
///
/// - Every request carries the access's bearer token, read fresh from its file (tokens
///   rotate); a 401 re-reads the file once and retries when the token changed.
/// - Failures that may pass (429, 500, 502, 503, 504, refused or broken connections,
///   timeouts) are retried per ``KubeRetryPolicy``; see there for what that means for creates.
/// - Errors are mapped once: an answer with an error status becomes a ``KubeAPIError``, no
///   answer a ``KubeClientError``, a cancelled task `CancellationError`.
/// - No token appears in an error, a description or a log line.
public final class KubeClient: Sendable {
    public let access: KubeAccess
    public let configuration: KubeClientConfiguration
    let http: CurlHTTPClient
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void
    private let requests = Atomic<Int>(0)

    /// - Parameter sleep: waits between retries; tests pass one that records and returns.
    public init(
        access: KubeAccess,
        logger: Logger,
        configuration: KubeClientConfiguration = KubeClientConfiguration(),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.access = access
        self.configuration = configuration
        self.logger = logger
        self.sleep = sleep
        http = access.httpClient(userAgent: configuration.userAgent, logger: logger)
    }

    /// HTTP requests sent so far, retries and watch connections included (for benchmarks).
    public var requestCount: Int { requests.load(ordering: .relaxed) }

    func countRequest() {
        requests.add(1, ordering: .relaxed)
    }

    /// The namespace to use when the caller names none.
    func namespace(_ namespace: String?) -> String { namespace ?? access.namespace }

    // MARK: Requests

    /// One API call before it becomes an HTTP request.
    struct Call: Sendable {
        var method: HTTPMethod
        var path: String
        var query: [(name: String, value: String)] = []
        var body: Data?
        var accept = "application/json"

        /// `GET /api/v1/namespaces/x/pods`: for messages and logs (the query stays out).
        var summary: String { "\(method) \(path)" }
    }

    /// Sends `call` with retries and returns its 2xx response; throws ``KubeAPIError`` for an
    /// error status, ``KubeClientError`` when no answer came.
    func perform(_ call: Call) async throws -> HTTPResponse {
        let started = ContinuousClock.now
        var attempt = 0
        var reloadedToken = false
        while true {
            attempt += 1
            try Task.checkCancellation()
            let token = try currentToken(for: call)
            let failure: any Error
            var retryAfter: Duration?
            do {
                let response = try await send(call, token: token, timeouts: .total(configuration.requestTimeout, connect: configuration.connectTimeout))
                if response.isSuccess { return response }
                let error = KubeAPIError(status: response.status, headers: response.headers, body: response.body, request: call.summary)
                if error.isUnauthorized, !reloadedToken, try tokenChangedOnReload(from: token, for: call) {
                    reloadedToken = true
                    logger.info("Kubernetes API answered 401: retrying with the re-read token", metadata: ["request": "\(call.summary)"])
                    continue
                }
                guard error.isRetryable else { throw error }
                failure = error
                retryAfter = error.retryAfter
            } catch let error as KubeClientError where error.isRetryable {
                failure = error
            }
            guard let delay = configuration.retry.delay(afterAttempt: attempt, elapsed: .now - started, retryAfter: retryAfter) else {
                throw failure
            }
            logger.warning(
                "Kubernetes API request failed; retrying",
                metadata: ["request": "\(call.summary)", "attempt": "\(attempt)", "delay": "\(delay)", "error": "\(failure)"]
            )
            try await sleep(delay)
        }
    }

    /// One HTTP request for `call`, counted; libcurl failures become ``KubeClientError``.
    private func send(_ call: Call, token: String?, timeouts: HTTPTimeouts) async throws -> HTTPResponse {
        let request = try httpRequest(for: call, token: token, timeouts: timeouts)
        countRequest()
        do {
            return try await http.send(request)
        } catch let error as CurlError {
            throw clientError(error, call: call)
        }
    }

    /// The HTTP request for `call` with the token as `Authorization`.
    func httpRequest(for call: Call, token: String?, timeouts: HTTPTimeouts) throws -> HTTPRequest {
        var headers: HTTPHeaders = ["Accept": call.accept]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if call.body != nil { headers["Content-Type"] = "application/json" }
        return HTTPRequest(
            method: call.method, url: try url(for: call), headers: headers, body: call.body,
            timeouts: timeouts, maxResponseBytes: configuration.maxResponseBytes
        )
    }

    /// The server URL (keeping any path prefix it has) with the call's path and query.
    private func url(for call: Call) throws -> URL {
        let base = access.server.absoluteString.hasSuffix("/")
            ? String(access.server.absoluteString.dropLast()) : access.server.absoluteString
        let query = call.query.map { "\(Self.queryEncoded($0.name))=\(Self.queryEncoded($0.value))" }
            .joined(separator: "&")
        guard let url = URL(string: base + call.path + (query.isEmpty ? "" : "?" + query)) else {
            throw KubeClientError(kind: .invalidRequest, request: call.summary, server: serverName, detail: "cannot build the URL")
        }
        return url
    }

    private static func queryEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: KubeResource.unreserved) ?? text
    }

    /// The API server's URL for messages.
    var serverName: String { access.server.absoluteString }

    // MARK: Credentials

    /// The bearer token to send now, if the access uses one.
    func currentToken(for call: Call) throws -> String? {
        guard let token = access.credentials.token else { return nil }
        do {
            return try token.current()
        } catch {
            throw KubeClientError(kind: .credentials, request: call.summary, server: serverName, detail: "\(error)")
        }
    }

    /// After a 401: re-reads a token file and says whether the token is now different (so a
    /// retry may succeed). A literal token cannot change.
    func tokenChangedOnReload(from sent: String?, for call: Call) throws -> Bool {
        guard let token = access.credentials.token, token.file != nil else { return false }
        do {
            return try token.reload() != sent
        } catch {
            throw KubeClientError(kind: .credentials, request: call.summary, server: serverName, detail: "\(error)")
        }
    }

    /// The one place a libcurl failure of an API call is mapped.
    func clientError(_ error: CurlError, call: Call) -> any Error {
        if case .cancelled = error { return CancellationError() }
        var mapped = KubeClientError(error, request: call.summary, server: serverName)
        mapped.usesClientCertificate = access.credentials.clientIdentity != nil
        return mapped
    }

    // MARK: JSON

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    /// Decodes a response body, mapping a mismatch to ``KubeClientError/Kind/invalidResponse``.
    func decode<T: Decodable>(_ type: T.Type, from body: Data, call: Call) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch {
            throw KubeClientError(
                kind: .invalidResponse, request: call.summary, server: serverName,
                detail: "not a valid \(T.self): \(error)"
            )
        }
    }
}
