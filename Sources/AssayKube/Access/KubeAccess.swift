import AssayCurl
import Foundation
import Logging

/// Everything needed to reach one cluster's API server: its URL, which CAs to trust for its
/// certificate, the credentials to present, and the namespace to work in.
///
/// Build one with ``inCluster(directory:environment:)`` (a pod's service account),
/// ``kubeconfig(path:context:environment:)``, or ``discover(environment:serviceAccountDirectory:)``
/// (the first that applies). TLS is always verified: there is no way to express
/// `insecure-skip-tls-verify`.
public struct KubeAccess: Sendable, CustomStringConvertible {
    /// Which certificate authorities may vouch for the API server's certificate.
    public enum Trust: Sendable, Equatable {
        /// The system's CA bundle (a cluster with a publicly trusted certificate).
        case system
        /// A PEM file, read at each connection (a service account's `ca.crt`, a kubeconfig's
        /// `certificate-authority`).
        case caFile(URL)
        /// PEM bytes (a kubeconfig's `certificate-authority-data`, decoded).
        case caData(Data)
    }

    /// The `https` URL of the API server, possibly with a path prefix (some proxies serve the
    /// API under one).
    public var server: URL
    public var trust: Trust
    public var credentials: KubeCredentials
    /// The namespace to use when a caller names none: the service account's, or the context's.
    public var namespace: String
    /// Where this access came from, for messages: `in-cluster service account /var/run/…` or
    /// `kubeconfig /home/u/.kube/config, context "dev"`.
    public var origin: String

    public init(server: URL, trust: Trust, credentials: KubeCredentials, namespace: String, origin: String) {
        self.server = server
        self.trust = trust
        self.credentials = credentials
        self.namespace = namespace
        self.origin = origin
    }

    public var description: String {
        "KubeAccess(server: \(server.absoluteString), namespace: \(namespace), credentials: \(credentials), from \(origin))"
    }

    /// An HTTP client that trusts ``trust`` and presents the client certificate, if any.
    /// Bearer tokens are not part of it: they travel as a header, added per request.
    func httpClient(userAgent: String, logger: Logger) -> CurlHTTPClient {
        var client = CurlHTTPClient(clientIdentity: credentials.clientIdentity, userAgent: userAgent, logger: logger)
        switch trust {
        case .system: break
        case .caFile(let file): client.caFile = file
        case .caData(let data): client.caData = data
        }
        return client
    }
}

/// What ``KubeAccess`` presents to the API server: a bearer token, a client certificate, or
/// both (a kubeconfig user may have both; the server accepts either).
public struct KubeCredentials: Sendable, CustomStringConvertible {
    public var token: KubeToken?
    public var clientIdentity: TLSClientIdentity?

    public init(token: KubeToken? = nil, clientIdentity: TLSClientIdentity? = nil) {
        self.token = token
        self.clientIdentity = clientIdentity
    }

    /// Names the kinds of credentials and where they come from; never a token.
    public var description: String {
        let parts = [token.map { "\($0)" }, clientIdentity.map { _ in "client certificate" }].compactMap { $0 }
        return parts.isEmpty ? "none" : parts.joined(separator: " + ")
    }
}
