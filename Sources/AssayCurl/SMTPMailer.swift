import CCurl
import Foundation
import Logging

/// Sends mail through an SMTP server with libcurl.
///
/// With ``SMTPSettings/StartTLS/required`` (or an `smtps://` URL) the connection is encrypted
/// before anything else is sent, and the server's certificate is always verified. A message
/// is rendered and checked before connecting, so an invalid one never reaches the server.
public struct SMTPMailer: Sendable {
    public var settings: SMTPSettings
    public var logger: Logger

    public init(settings: SMTPSettings, logger: Logger = Logger(label: "assay.curl.smtp")) {
        self.settings = settings
        self.logger = logger
    }

    /// Delivers `message` to all its recipients, or throws a ``CurlError`` naming what failed:
    /// ``CurlError/invalidMessage(_:)``, ``CurlError/couldNotConnect(_:)``, ``CurlError/tls(_:)``,
    /// ``CurlError/starttlsRefused(_:)``, ``CurlError/authenticationRejected(_:)``,
    /// ``CurlError/senderRejected(_:)``, ``CurlError/recipientRejected(_:)``,
    /// ``CurlError/messageRejected(_:)``, ``CurlError/timedOut(_:)`` or ``CurlError/cancelled``.
    public func send(_ message: MailMessage) async throws {
        let body = try message.rendered(defaultFrom: settings.from)
        let sender = try MailAddress(parsing: settings.from).address
        let recipients = try message.recipientAddresses().map(\.address)
        let settings = settings
        try await TransferThread.run(name: "assay-smtp") { cancellation in
            try Self.deliver(body, from: sender, to: recipients, settings: settings, cancellation: cancellation)
        }
        logger.debug(
            "mail sent",
            metadata: ["server": "\(settings.url.redactedDescription)", "recipients": "\(recipients.count)"]
        )
    }

    /// The SMTP conversation, on the calling (transfer) thread.
    private static func deliver(
        _ body: Data,
        from sender: String,
        to recipients: [String],
        settings: SMTPSettings,
        cancellation: TransferCancellation
    ) throws {
        let server = settings.url.redactedDescription
        guard let scheme = settings.url.scheme?.lowercased(), scheme == "smtp" || scheme == "smtps" else {
            throw CurlError.invalidRequest("the SMTP URL must start with smtp:// or smtps://: \(server)")
        }
        let easy = try CurlEasy()
        try easy.set(CURLOPT_URL, settings.url.absoluteString)
        try easy.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        try easy.set(CURLOPT_USE_SSL, Int(settings.requiresTLS ? CURLUSESSL_ALL.rawValue : CURLUSESSL_NONE.rawValue))
        try easy.set(CURLOPT_SSL_VERIFYPEER, 1)
        try easy.set(CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = settings.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile.path) else {
                throw CurlError.invalidRequest("CA file \(caFile.path) is not readable")
            }
            try easy.set(CURLOPT_CAINFO, caFile.path)
        }
        if let user = settings.user {
            try easy.set(CURLOPT_USERNAME, user)
            try easy.set(CURLOPT_PASSWORD, settings.password ?? "")
        }
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, settings.connectTimeout.curlMilliseconds)
        try easy.set(CURLOPT_TIMEOUT_MS, settings.timeout.curlMilliseconds)
        try easy.set(CURLOPT_MAIL_FROM, "<\(sender)>")
        try easy.set(CURLOPT_MAIL_RCPT, list: recipients.map { "<\($0)>" })

        let upload = UploadSource(body)
        try easy.set(CURLOPT_UPLOAD, 1)
        try easy.set(CURLOPT_INFILESIZE_LARGE, offset: upload.count)
        try upload.install(on: easy)
        let replies = SMTPReplyLog()
        try replies.install(on: easy)

        let outcome = withExtendedLifetime((upload, replies)) { easy.perform(cancellation: cancellation) }
        switch outcome {
        case .cancelled:
            throw CurlError.cancelled
        case .finished(let code) where code != CURLE_OK:
            var message = easy.errorMessage.isEmpty ? String(cString: curl_easy_strerror(code)) : easy.errorMessage
            if let reply = replies.lastRefusal { message += " (server said: \(reply))" }
            var error = CurlError(code: code, message: message, context: server)
            // libcurl reports a refused message (the reply after the final ".") as a weird reply.
            if code == CURLE_WEIRD_SERVER_REPLY, easy.responseCode >= 400 { error = .messageRejected("\(server): \(message)") }
            throw error
        case .finished:
            return
        }
    }
}
