import AssayCore
import AssayCurl
import Foundation
import Logging

/// Sends the completion mail over SMTP (libcurl): the ``CompletionMail`` of the claim's
/// summary to the claim's recipients, with `results.csv` attached when the server sent it,
/// through the SMTP server the claim names (STARTTLS as it says, certificates verified
/// against ``caFile`` when given).
///
/// Whatever goes wrong becomes ``NotificationDelivery/failed(_:)`` with a message for people
/// that never contains the SMTP password (the server records it as the mail's `lastError`).
public struct SMTPCompletionNotifier: CompletionNotifier {
    /// PEM CA certificates to trust instead of the system's (the Runner's `ASSAY_CA_FILE`).
    public var caFile: URL?
    /// The whole delivery, from connecting to the server's last reply.
    public var timeout: Duration
    public var logger: Logger

    public init(caFile: URL? = nil, timeout: Duration = .seconds(60), logger: Logger = Logger(label: "assay-runner.mail")) {
        self.caFile = caFile
        self.timeout = timeout
        self.logger = logger
    }

    /// Used when the server has no `ASSAY_SMTP_FROM`.
    public static let defaultSender = "Assay <assay@localhost>"

    public func notify(spec: RunnerSpec, claim: NotificationClaim) async -> NotificationDelivery {
        guard let smtp = claim.smtp else { return .failed("the claim carries no SMTP settings") }
        do {
            let settings = try settings(for: smtp)
            let message = try Self.message(spec: spec, claim: claim)
            try await SMTPMailer(settings: settings, logger: logger).send(message)
            logger.info("completion mail sent", metadata: ["recipients": "\(message.to.count)"])
            return .sent
        } catch let error as CancellationError {
            return .failed("interrupted: \(error)")
        } catch {
            return .failed(Self.redacting(smtp, in: String(describing: error)))
        }
    }

    /// The mail for `claim`: the server's recipients (the declaration's `notify.email` if the
    /// claim has none), the completion mail's subject and bodies, and `results.csv`.
    public static func message(spec: RunnerSpec, claim: NotificationClaim) throws(NotifierError) -> MailMessage {
        let recipients = claim.mail?.to ?? (try? Declaration.parse(spec.declaration))?.notify.email ?? []
        guard !recipients.isEmpty else { throw NotifierError("no recipients (notify.email)") }
        let mail = CompletionMail(CompletionReport(spec: spec, summary: claim.mail))
        let attachments = claim.mail?.resultsCSV.map { csv in
            [MailMessage.Attachment(filename: "results.csv", contentType: "text/csv", data: Data(csv.utf8))]
        }
        return MailMessage(
            to: recipients, subject: mail.subject, text: mail.text, html: mail.html, attachments: attachments ?? [],
            headers: [.init(name: "X-Assay-Experiment", value: spec.experiment)])
    }

    /// The claim's SMTP settings as the mailer takes them, plus the Runner's CA file.
    func settings(for smtp: NotificationClaim.SMTP) throws(NotifierError) -> SMTPSettings {
        guard let url = URL(string: smtp.url), let scheme = url.scheme?.lowercased(), scheme == "smtp" || scheme == "smtps",
            url.host?.isEmpty == false
        else { throw NotifierError("the SMTP URL is not smtp://host:port or smtps://host:port") }
        let starttls: SMTPSettings.StartTLS
        switch smtp.starttls.lowercased() {
        case "required": starttls = .required
        case "off": starttls = .off
        default: throw NotifierError("unknown STARTTLS mode \(String(reflecting: smtp.starttls)) (required or off)")
        }
        let from = smtp.from.flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultSender
        return SMTPSettings(
            url: url, user: smtp.user, password: smtp.password, from: from, starttls: starttls, caFile: caFile, timeout: timeout)
    }

    /// `text` with the password, and any credentials in the SMTP URL, blotted out: libcurl's
    /// messages should not carry them, and this makes sure.
    static func redacting(_ smtp: NotificationClaim.SMTP, in text: String) -> String {
        var text = text
        let secrets = [smtp.password, URLComponents(string: smtp.url)?.password, URLComponents(string: smtp.url)?.percentEncodedPassword]
        for secret in secrets.compactMap({ $0 }) where !secret.isEmpty {
            text = text.replacingOccurrences(of: secret, with: "<redacted>")
        }
        return text
    }
}

/// Why the completion mail could not even be attempted.
public struct NotifierError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
