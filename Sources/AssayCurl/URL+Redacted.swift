import Foundation

extension URL {
    /// The URL for messages and logs: scheme, host, port and path only. User info and the
    /// query (where tokens and signatures travel) are left out.
    var redactedDescription: String {
        guard let components = URLComponents(url: self, resolvingAgainstBaseURL: false),
            let scheme = components.scheme, let host = components.host
        else { return "<unparseable URL>" }
        let port = components.port.map { ":\($0)" } ?? ""
        let query = components.percentEncodedQuery == nil ? "" : "?<redacted>"
        return "\(scheme)://\(host)\(port)\(components.percentEncodedPath)\(query)"
    }
}
