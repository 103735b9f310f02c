import AssayCurl

/// A request to the API server that got no answer at all (or one that cannot be read): the
/// connection, TLS, a timeout, unreadable credentials. The description says plainly what to
/// check. Answers with an error status are ``KubeAPIError``s instead.
public struct KubeClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The TLS handshake failed: the server's certificate did not verify against the
        /// trusted CAs, or the server refused the client certificate. Never retried.
        case tls
        /// The host did not resolve, or the connection was refused or unreachable.
        case connection
        /// No answer within the request timeout, or a watch stalled.
        case timeout
        /// The connection broke during the transfer.
        case transport
        /// The token file or CA file could not be read.
        case credentials
        /// The request cannot be sent as built (an unreadable CA file, a malformed URL).
        case invalidRequest
        /// The answer was not what the API promises: not JSON of the expected shape, too large.
        case invalidResponse
    }

    public var kind: Kind
    /// Method and path of the request, without the query.
    public var request: String
    /// The API server's URL.
    public var server: String
    /// What went wrong, in libcurl's or the decoder's words.
    public var detail: String
    /// Whether the access presents a client certificate (a TLS failure may then be its fault).
    var usesClientCertificate = false

    public init(kind: Kind, request: String, server: String, detail: String) {
        self.kind = kind
        self.request = request
        self.server = server
        self.detail = detail
    }

    /// Whether trying again may help.
    var isRetryable: Bool { [.connection, .timeout, .transport].contains(kind) }

    public var description: String {
        switch kind {
        case .tls where usesClientCertificate:
            "TLS with the Kubernetes API server \(server) failed (\(request)): \(detail) — check the CA (ca.crt / certificate-authority-data) and the client certificate and key (client-certificate-data / client-key-data)"
        case .tls:
            "cannot verify the TLS certificate of the Kubernetes API server \(server) (\(request)): \(detail) — check the CA (ca.crt / certificate-authority-data)"
        case .connection:
            "cannot connect to the Kubernetes API server \(server) (\(request)): \(detail) — check the server address (KUBERNETES_SERVICE_HOST/PORT or the kubeconfig cluster's server) and that it is reachable"
        case .timeout:
            "the Kubernetes API server \(server) did not answer \(request) in time: \(detail)"
        case .transport:
            "\(request) to the Kubernetes API server \(server) failed: \(detail)"
        case .credentials:
            "cannot read the credentials for the Kubernetes API server \(server): \(detail)"
        case .invalidRequest:
            "cannot send \(request) to the Kubernetes API server \(server): \(detail)"
        case .invalidResponse:
            "the Kubernetes API server \(server) answered \(request) with something Assay cannot read: \(detail)"
        }
    }
}

extension KubeClientError {
    /// The one place a libcurl failure becomes a client error. `CurlError.unexpectedStatus`
    /// and `.cancelled` are handled by the caller (as ``KubeAPIError`` and `CancellationError`).
    init(_ error: CurlError, request: String, server: String) {
        let kind: Kind = switch error {
        case .tls: .tls
        case .couldNotConnect: .connection
        case .timedOut: .timeout
        case .invalidRequest: .invalidRequest
        case .responseTooLarge, .unexpectedStatus: .invalidResponse
        default: .transport
        }
        self.init(kind: kind, request: request, server: server, detail: "\(error)")
    }
}
