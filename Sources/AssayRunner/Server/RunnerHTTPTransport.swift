import Foundation

/// Carries requests to one experiment's runner routes: the base URL, the runner token and
/// the HTTP client live here (libcurl in `assay-runner`, the router test client in tests).
public protocol RunnerHTTPTransport: Sendable {
    /// Sends `body` (JSON, when given) to `route` (`"lease"`, `"events"`…, relative to
    /// `/api/v1/runner/experiments/{id}/`) and returns the answer.
    ///
    /// - Throws: when no answer arrived (``RunnerServerError/transport(_:)`` preferably).
    func send(_ method: RunnerHTTPMethod, route: String, body: Data?) async throws -> RunnerHTTPResponse

    /// `GET route`, writing a successful answer's body into `file` instead of memory; the
    /// returned response then has an empty body (an error answer keeps its body).
    func download(route: String, to file: URL) async throws -> RunnerHTTPResponse
}

public enum RunnerHTTPMethod: String, Sendable, Hashable {
    case get = "GET", post = "POST"
}

public struct RunnerHTTPResponse: Sendable, Hashable {
    public var status: Int
    public var body: Data

    public init(status: Int, body: Data = Data()) {
        self.status = status
        self.body = body
    }
}
