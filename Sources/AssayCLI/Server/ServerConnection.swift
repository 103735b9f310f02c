import Foundation

/// Which server the commands talk to, and with which token: `ASSAY_URL` and
/// `ASSAY_TOKEN` when set, else what `assay login` stored. A stored token is
/// only ever sent to the server it was made for.
enum ServerConnection {
    /// An http(s) URL, or an input error naming where the text came from.
    static func address(_ text: String, from source: String) throws -> URL {
        guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host() != nil else {
            throw InputError(description: "\(source) \"\(text)\" is not an http(s) URL (e.g. https://assay.example.org)")
        }
        return url
    }

    /// The client for the server in use; exit 4 when there is no login.
    static func client(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> APIClient {
        let stored = try StoredLogin.load()
        let envURL = environment["ASSAY_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let envToken = environment["ASSAY_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        guard let text = envURL ?? stored?.url else {
            throw CLIFailure(.notLoggedIn, "not logged in: run `assay login URL`, or set ASSAY_URL and ASSAY_TOKEN")
        }
        let url = try address(text, from: envURL == nil ? "the stored login's URL" : "ASSAY_URL")
        let storedToken = stored.flatMap { Self.sameServer($0.url, text) ? $0.token : nil }
        guard let token = envToken ?? storedToken else {
            throw CLIFailure(.notLoggedIn, "no API token for \(text): run `assay login \(text)`, or set ASSAY_TOKEN")
        }
        return APIClient(base: url, token: token)
    }

    static func sameServer(_ a: String, _ b: String) -> Bool {
        func normal(_ text: String) -> String { text.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "/")) }
        return normal(a) == normal(b)
    }
}
