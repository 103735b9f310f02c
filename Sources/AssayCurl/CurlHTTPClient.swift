import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An HTTP(S) client over libcurl, for the Runner's calls to the Assay server and the
/// Kubernetes API.
///
/// - TLS certificates are always verified; there is no switch to turn that off. `caFile`
///   names the CA certificates (PEM) to trust *instead of* the system's, e.g. a cluster's
///   `ca.crt` or a test server's private CA; `caData` gives them as bytes instead (a
///   kubeconfig's `certificate-authority-data`).
/// - `clientIdentity` is the certificate and key presented when the server asks for one.
/// - Each transfer runs on a thread of its own, so a blocking libcurl call never occupies
///   Swift's cooperative thread pool. Cancelling the calling task aborts the transfer at once
///   with ``CurlError/cancelled``.
/// - Redirects are not followed (an `Authorization` header must not travel to another host).
/// - A non-2xx status is not an error for ``send(_:)`` (see ``HTTPResponse/requireSuccess()``);
///   ``download(_:to:maxBytes:)`` and ``lines(_:)`` throw ``CurlError/unexpectedStatus(_:body:)``.
public struct CurlHTTPClient: Sendable {
    /// CA certificates (PEM) to trust in place of the system bundle; nil uses the system's.
    public var caFile: URL?
    /// CA certificates (PEM bytes) to trust in place of the system bundle. Set this or
    /// `caFile`, not both: a request with both fails with ``CurlError/invalidRequest(_:)``.
    public var caData: Data?
    /// The certificate and key for servers that require one; nil presents none.
    public var clientIdentity: TLSClientIdentity?
    public var userAgent: String
    public var logger: Logger

    public init(
        caFile: URL? = nil,
        caData: Data? = nil,
        clientIdentity: TLSClientIdentity? = nil,
        userAgent: String = "Assay",
        logger: Logger = Logger(label: "assay.curl.http")
    ) {
        self.caFile = caFile
        self.caData = caData
        self.clientIdentity = clientIdentity
        self.userAgent = userAgent
        self.logger = logger
    }

    /// Sends `request` and returns the whole response, whatever its status. Fails with
    /// ``CurlError/responseTooLarge(limit:)`` past `request.maxResponseBytes`.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await TransferThread.run(name: "assay-http") { cancellation in
            let receiver = HTTPResponseReceiver(destination: .memory, limit: request.maxResponseBytes)
            return try perform(request, into: receiver, cancellation: cancellation)
        }
    }

    /// Streams the body of `request` into `file` (replacing it once complete) and returns the
    /// status and headers.
    ///
    /// The body goes to a temporary file beside `file`, which is renamed into place only after
    /// the whole body arrived, so `file` is never left half-written. Throws
    /// ``CurlError/responseTooLarge(limit:)`` past `maxBytes` and
    /// ``CurlError/unexpectedStatus(_:body:)`` for a non-2xx status; `file` is untouched then.
    public func download(_ request: HTTPRequest, to file: URL, maxBytes: Int) async throws -> HTTPResponse {
        try await TransferThread.run(name: "assay-http-download") { cancellation in
            let partial = file.deletingLastPathComponent()
                .appending(path: ".\(file.lastPathComponent).\(UUID().uuidString).partial")
            guard FileManager.default.createFile(atPath: partial.path, contents: nil) else {
                throw CurlError.file("cannot create \(partial.path)")
            }
            var keep = false
            defer { if !keep { try? FileManager.default.removeItem(at: partial) } }
            let handle = try FileHandle(forWritingTo: partial)
            let receiver = HTTPResponseReceiver(destination: .file(handle), limit: maxBytes)
            let response = try perform(request, into: receiver, cancellation: cancellation)
            try response.requireSuccess()
            do {
                try handle.synchronize()
                try handle.close()
            } catch {
                throw CurlError.file("cannot write \(partial.path): \(error)")
            }
            guard rename(partial.path, file.path) == 0 else {
                throw CurlError.file("cannot move the download to \(file.path): \(String(cString: strerror(errno)))")
            }
            keep = true
            return HTTPResponse(status: response.status, headers: response.headers, body: Data())
        }
    }

    /// The body of a long-lived response (Server-Sent Events, a Kubernetes watch) as lines,
    /// yielded as soon as each is complete; a CR before the LF is dropped, empty lines are kept.
    ///
    /// The transfer starts at once. The stream finishes when the server ends the response and
    /// throws ``CurlError/unexpectedStatus(_:body:)`` for a non-2xx status, ``CurlError`` for a
    /// failed transfer, and ``CurlError/responseTooLarge(limit:)`` for a line longer than
    /// `request.maxResponseBytes`. Cancelling the consuming task (or dropping the stream)
    /// ends the transfer. Lines are buffered without bound while the consumer is slower than
    /// the server. Use ``HTTPTimeouts/streaming(connect:stalledAfter:)`` for the timeouts.
    public func lines(_ request: HTTPRequest) -> AsyncThrowingStream<String, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: String.self)
        let cancellation = TransferCancellation()
        continuation.onTermination = { _ in cancellation.cancel() }
        TransferThread.start(name: "assay-http-lines") {
            do {
                let receiver = HTTPResponseReceiver(destination: .lines(continuation), limit: request.maxResponseBytes)
                try perform(request, into: receiver, cancellation: cancellation).requireSuccess()
                continuation.finish()
            } catch CurlError.cancelled {
                // Only the consumer cancels, and it ends its iteration without an error; an
                // error here could overtake that end.
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }
}
