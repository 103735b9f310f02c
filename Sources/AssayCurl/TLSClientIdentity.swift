import Foundation

/// A certificate and its private key that ``CurlHTTPClient`` presents when the server asks
/// for one (mutual TLS), as kubeconfigs with `client-certificate` and `client-key` need.
///
/// Both are PEM, given as bytes or as files. The key must not be encrypted: there is nowhere
/// to ask for a passphrase. Descriptions never show the key.
public struct TLSClientIdentity: Sendable, Equatable, CustomStringConvertible {
    /// Where a PEM document comes from.
    public enum Source: Sendable, Equatable {
        /// The PEM bytes themselves (a kubeconfig's `client-certificate-data`, decoded).
        case pem(Data)
        /// A PEM file, read by libcurl at each request, so a renewed file is picked up.
        case file(URL)
    }

    public var certificate: Source
    public var privateKey: Source

    public init(certificate: Source, privateKey: Source) {
        self.certificate = certificate
        self.privateKey = privateKey
    }

    public var description: String {
        "TLSClientIdentity(certificate: \(Self.describe(certificate)), privateKey: \(Self.describe(privateKey)))"
    }

    private static func describe(_ source: Source) -> String {
        switch source {
        case .pem(let data): "PEM data (\(data.count) bytes)"
        case .file(let url): url.path
        }
    }
}
