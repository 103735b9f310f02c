import Foundation

/// The kinds of objects Assay reads and writes, each under its API group's path.
public enum KubeResource: String, Sendable, Hashable, CaseIterable {
    /// `batch/v1` Jobs.
    case jobs
    /// `v1` Pods.
    case pods
    /// `v1` Secrets.
    case secrets

    /// The API group and version prefix.
    var groupVersionPath: String {
        switch self {
        case .jobs: "/apis/batch/v1"
        case .pods, .secrets: "/api/v1"
        }
    }

    /// The collection in `namespace` (`/apis/batch/v1/namespaces/assay/jobs`), or one object
    /// in it when `name` is given.
    public func path(namespace: String, name: String? = nil) -> String {
        let collection = "\(groupVersionPath)/namespaces/\(Self.segment(namespace))/\(rawValue)"
        return name.map { "\(collection)/\(Self.segment($0))" } ?? collection
    }

    /// `value` percent-encoded as one path segment. Kubernetes names never need it, but a
    /// malformed name must not be able to reach another path.
    static func segment(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    /// RFC 3986 unreserved characters: safe anywhere in a URL.
    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
}
