import Foundation

/// An HTTP request for ``CurlHTTPClient``.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// An `http` or `https` URL. Credentials belong in headers, not in the URL.
    public var url: URL
    public var headers: HTTPHeaders
    /// The body to send; nil sends none (an empty one for POST, PUT and PATCH).
    public var body: Data?
    public var timeouts: HTTPTimeouts
    /// The largest response body ``CurlHTTPClient/send(_:)`` accepts, and the longest line
    /// ``CurlHTTPClient/lines(_:)`` accepts; larger fails with ``CurlError/responseTooLarge(limit:)``.
    public var maxResponseBytes: Int
    /// Told the bytes sent and received each time they change, on the transfer's thread
    /// (so it must return quickly); nil reports nothing.
    public var progress: (@Sendable (TransferProgress) -> Void)?

    public init(
        method: HTTPMethod = .get,
        url: URL,
        headers: HTTPHeaders = [:],
        body: Data? = nil,
        timeouts: HTTPTimeouts = .default,
        maxResponseBytes: Int = 16 << 20,
        progress: (@Sendable (TransferProgress) -> Void)? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
        self.maxResponseBytes = maxResponseBytes
        self.progress = progress
    }
}
