import AssayCurl
import Foundation
import Synchronization

/// ``RunnerHTTPTransport`` over libcurl: what `assay-runner` talks to the server with.
///
/// Every request carries `Authorization: Bearer <runner token>`, is bounded by
/// ``requestTimeout`` and verifies TLS (against ``caFile`` when given). The artifact is
/// streamed to disk and may not be larger than the size the last `spec` answer announced
/// (or ``maxArtifactBytes`` before any): a server that sends more is cut off, not trusted.
///
/// libcurl's failures are mapped once, in ``RunnerServerError/init(_:)``: no answer at all
/// (refused, reset, timed out) is a retryable transport error; a certificate that does not
/// verify, an oversized answer or a file that cannot be written is not.
public struct CurlRunnerTransport: RunnerHTTPTransport, CustomStringConvertible {
    /// The server's base URL, e.g. `https://assay.example.org` (a path prefix is kept).
    public let serverURL: URL
    public let experiment: String
    private let token: RunnerToken
    private let client: CurlHTTPClient
    /// The longest a request may take, connecting included; a download may take longer as
    /// long as bytes keep arriving (it fails after this long without any).
    public var requestTimeout: Duration
    public var connectTimeout: Duration
    /// The largest artifact downloaded before a `spec` answer announced its size.
    public var maxArtifactBytes: Int
    /// The largest JSON answer accepted.
    public var maxResponseBytes: Int
    private let announced = AnnouncedArtifact()

    /// - Parameters:
    ///   - serverURL: an `http` or `https` URL without credentials, query or fragment.
    ///   - experiment: the experiment id (letters, digits, `.`, `_` and `-`).
    ///   - caFile: PEM CA certificates to trust instead of the system's.
    public init(
        serverURL: URL, experiment: String, token: RunnerToken, caFile: URL? = nil, userAgent: String = "assay-runner",
        requestTimeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(10),
        maxArtifactBytes: Int = 4 << 30, maxResponseBytes: Int = 16 << 20
    ) {
        self.serverURL = serverURL
        self.experiment = experiment
        self.token = token
        client = CurlHTTPClient(caFile: caFile, userAgent: userAgent)
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.maxArtifactBytes = maxArtifactBytes
        self.maxResponseBytes = maxResponseBytes
    }

    public var description: String { "CurlRunnerTransport(\(url(of: "").absoluteString))" }

    /// `<server>/api/v1/runner/experiments/<id>/<route>`.
    public func url(of route: String) -> URL {
        var url = serverURL.appending(path: "api/v1/runner/experiments").appending(path: experiment)
        for component in route.split(separator: "/") { url = url.appending(path: String(component)) }
        return url
    }

    public func send(_ method: RunnerHTTPMethod, route: String, body: Data?) async throws -> RunnerHTTPResponse {
        var headers = authorization
        headers["Accept"] = "application/json"
        if body != nil { headers["Content-Type"] = "application/json" }
        let request = AssayCurl.HTTPRequest(
            method: method == .get ? .get : .post, url: url(of: route), headers: headers, body: body,
            timeouts: .total(requestTimeout, connect: connectTimeout), maxResponseBytes: maxResponseBytes)
        let response = try await mapped(tooLarge: "the answer to \(route) is larger than \(maxResponseBytes) bytes") {
            try await client.send(request)
        }
        if route == "spec", response.status == 200 { announced.remember(specBody: response.body) }
        return RunnerHTTPResponse(status: response.status, body: response.body)
    }

    public func download(route: String, to file: URL) async throws -> RunnerHTTPResponse {
        let limit = announced.size ?? maxArtifactBytes
        let request = AssayCurl.HTTPRequest(
            method: .get, url: url(of: route), headers: authorization,
            timeouts: HTTPTimeouts(connect: connectTimeout, total: nil, lowSpeed: .init(bytesPerSecond: 1, duration: requestTimeout)),
            maxResponseBytes: maxResponseBytes)
        let response = try await mapped(tooLarge: "the \(route) download is larger than the \(limit) bytes announced") {
            do {
                return try await client.download(request, to: file, maxBytes: limit)
            } catch CurlError.unexpectedStatus(let status, let body) {
                // An error answer is the server's to explain: it goes back with its body.
                return AssayCurl.HTTPResponse(status: status, headers: [:], body: Data(body.utf8))
            }
        }
        return RunnerHTTPResponse(status: response.status, body: response.body)
    }

    private var authorization: HTTPHeaders {
        ["Authorization": token.authorization]
    }

    /// Runs a libcurl call, turning its errors into what the Runner understands.
    private func mapped<T>(tooLarge: @autoclosure () -> String, _ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error as CurlError {
            switch error {
            case .cancelled: throw CancellationError()
            case .responseTooLarge: throw RunnerServerError(.invalidResponse, tooLarge())
            default: throw RunnerServerError(error)
            }
        }
    }
}

extension RunnerServerError {
    /// The one place a libcurl failure becomes a runner server error. Not being able to reach
    /// the server is worth retrying; a certificate that does not verify, a request libcurl
    /// refuses (an unreadable CA file) or a file that cannot be written will fail again.
    init(_ error: CurlError) {
        switch error {
        case .couldNotConnect, .timedOut, .transport, .cancelled, .unexpectedStatus:
            self = .transport(error.description)
        case .tls, .invalidRequest, .invalidMessage, .responseTooLarge, .file:
            self.init(.invalidResponse, error.description)
        case .starttlsRefused, .authenticationRejected, .senderRejected, .recipientRejected, .messageRejected:
            self.init(.invalidResponse, error.description)
        }
    }
}

/// The artifact size of the latest `spec` answer: the download's cap.
private final class AnnouncedArtifact: Sendable {
    private let bytes = Mutex<Int?>(nil)

    var size: Int? { bytes.withLock { $0 } }

    func remember(specBody: Data) {
        struct Spec: Decodable {
            struct Artifact: Decodable { var size: Int }
            var artifact: Artifact?
        }
        guard let size = (try? JSONDecoder().decode(Spec.self, from: specBody))?.artifact?.size, size >= 0 else { return }
        bytes.withLock { $0 = size }
    }
}
