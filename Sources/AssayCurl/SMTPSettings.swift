import Foundation

/// Where and how ``SMTPMailer`` delivers mail.
public struct SMTPSettings: Sendable {
    /// Whether a `smtp://` connection must be upgraded with STARTTLS.
    public enum StartTLS: Sendable, Equatable {
        /// Upgrade or fail: a server that does not offer STARTTLS gets nothing, not even the
        /// password, and the send fails with ``CurlError/starttlsRefused(_:)``.
        case required
        /// Stay in clear text (a relay on localhost or inside the cluster).
        case off
    }

    /// `smtp://host:port` (port 25 or 587) or `smtps://host:port` (TLS from the start, port
    /// 465; `starttls` does not apply then). A path, if any, is the name sent with EHLO.
    public var url: URL
    public var user: String?
    public var password: String?
    /// The envelope sender (`MAIL FROM`), and the `From` header of messages that set none.
    public var from: String
    public var starttls: StartTLS
    /// CA certificates (PEM) to trust in place of the system's when verifying the server.
    public var caFile: URL?
    public var connectTimeout: Duration
    /// The whole delivery, from connecting to the server's final reply.
    public var timeout: Duration

    public init(
        url: URL,
        user: String? = nil,
        password: String? = nil,
        from: String,
        starttls: StartTLS = .required,
        caFile: URL? = nil,
        connectTimeout: Duration = .seconds(10),
        timeout: Duration = .seconds(60)
    ) {
        self.url = url
        self.user = user
        self.password = password
        self.from = from
        self.starttls = starttls
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    /// Whether the connection is (or must become) encrypted.
    var requiresTLS: Bool {
        url.scheme?.lowercased() == "smtps" || starttls == .required
    }
}
