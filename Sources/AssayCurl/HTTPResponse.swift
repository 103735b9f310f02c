import Foundation

/// An HTTP response: status, headers and (except for downloads) the body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    /// The body; empty for ``CurlHTTPClient/download(_:to:maxBytes:)``, whose body is in the file.
    public var body: Data

    public init(status: Int, headers: HTTPHeaders, body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The response itself if its status is 2xx; otherwise throws
    /// ``CurlError/unexpectedStatus(_:body:)`` with the start of the body.
    @discardableResult
    public func requireSuccess() throws -> HTTPResponse {
        guard isSuccess else { throw CurlError.unexpectedStatus(status, body: Self.excerpt(body)) }
        return self
    }

    /// The start of a body as text, for error messages.
    static func excerpt(_ body: Data, limit: Int = 4_096) -> String {
        let text = String(decoding: body.prefix(limit), as: UTF8.self)
        return body.count > limit ? text + "…" : text
    }
}
