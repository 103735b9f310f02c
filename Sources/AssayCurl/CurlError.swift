/// Why an HTTP request or a mail delivery through libcurl failed.
///
/// Every libcurl result code is mapped to one of these cases in one place
/// (`CurlError(code:message:context:)`), so callers never see C codes. Messages carry
/// libcurl's own explanation (from `CURLOPT_ERRORBUFFER`) and, for SMTP, the server's last
/// reply; they never contain credentials: URLs appear only in redacted form and the
/// `Authorization` header and SMTP password are never part of a message.
public enum CurlError: Error, Sendable, Equatable {
    /// The request cannot be sent as given: an unsupported URL scheme, a method or header
    /// containing CR/LF, a bad CA file path.
    case invalidRequest(String)
    /// The mail cannot be rendered safely: a header value or address with CR/LF, a malformed
    /// address, no recipients.
    case invalidMessage(String)
    /// The host name did not resolve or the connection was refused or unreachable.
    case couldNotConnect(String)
    /// The TLS handshake failed, most often because the server's certificate could not be
    /// verified against the trusted CAs.
    case tls(String)
    /// The connect timeout, the total timeout or the low-speed limit expired.
    case timedOut(String)
    /// The calling task was cancelled (or the consumer of a stream went away).
    case cancelled
    /// The response (for ``CurlHTTPClient/lines(_:)``: one line) exceeded the allowed size.
    case responseTooLarge(limit: Int)
    /// The server answered with a status outside 200–299; `body` is the start of its answer.
    case unexpectedStatus(Int, body: String)
    /// A downloaded file could not be written or moved into place.
    case file(String)
    /// STARTTLS was required but the SMTP server does not offer it (or refused it).
    case starttlsRefused(String)
    /// The SMTP server rejected the user name and password, or offered no way to log in.
    case authenticationRejected(String)
    /// The SMTP server rejected the envelope sender (`MAIL FROM`).
    case senderRejected(String)
    /// The SMTP server rejected a recipient (`RCPT TO`).
    case recipientRejected(String)
    /// The SMTP server refused the message itself (`DATA` or the final reply).
    case messageRejected(String)
    /// Any other libcurl failure: its result code and message.
    case transport(code: Int, message: String)
}

extension CurlError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidRequest(let reason): "invalid request: \(reason)"
        case .invalidMessage(let reason): "invalid mail message: \(reason)"
        case .couldNotConnect(let reason): "could not connect: \(reason)"
        case .tls(let reason): "TLS failed: \(reason)"
        case .timedOut(let reason): "timed out: \(reason)"
        case .cancelled: "cancelled"
        case .responseTooLarge(let limit): "response larger than the limit of \(limit) bytes"
        case .unexpectedStatus(let status, let body):
            body.isEmpty ? "unexpected HTTP status \(status)" : "unexpected HTTP status \(status): \(body)"
        case .file(let reason): "file error: \(reason)"
        case .starttlsRefused(let reason): "STARTTLS refused: \(reason)"
        case .authenticationRejected(let reason): "SMTP authentication rejected: \(reason)"
        case .senderRejected(let reason): "SMTP sender rejected: \(reason)"
        case .recipientRejected(let reason): "SMTP recipient rejected: \(reason)"
        case .messageRejected(let reason): "SMTP message rejected: \(reason)"
        case .transport(let code, let message): "transfer failed (curl code \(code)): \(message)"
        }
    }
}
