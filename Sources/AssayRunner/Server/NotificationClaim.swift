/// `POST claim-notification`: whether this Runner sends the completion mail. Only a granted
/// claim carries the SMTP settings (`nil` when the server has no mail configured).
public struct NotificationClaim: Sendable, Hashable, Decodable {
    public var granted: Bool
    public var smtp: SMTP?
    /// What the mail should say, when the server sends it (older servers do not); a `mail`
    /// object that cannot be read is ignored rather than failing the claim.
    public var mail: MailSummary?

    /// Where and how to send mail. Its description leaves out the password, so logging a
    /// claim cannot leak it.
    public struct SMTP: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
        /// `smtp://host:port` (or `smtps://`).
        public var url: String
        public var user: String?
        public var password: String?
        public var from: String?
        /// `required` or `off`.
        public var starttls: String

        public init(url: String, user: String? = nil, password: String? = nil, from: String? = nil, starttls: String = "required") {
            self.url = url
            self.user = user
            self.password = password
            self.from = from
            self.starttls = starttls
        }

        public var description: String {
            "SMTP(url: \(url), user: \(user ?? "none"), password: \(password == nil ? "none" : "<redacted>"), from: \(from ?? "none"), starttls: \(starttls))"
        }

        public var debugDescription: String { description }
    }

    public init(granted: Bool, smtp: SMTP? = nil, mail: MailSummary? = nil) {
        self.granted = granted
        self.smtp = smtp
        self.mail = mail
    }

    private enum CodingKeys: String, CodingKey { case granted, smtp, mail }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        granted = try container.decode(Bool.self, forKey: .granted)
        smtp = try container.decodeIfPresent(SMTP.self, forKey: .smtp)
        mail = try? container.decodeIfPresent(MailSummary.self, forKey: .mail)
    }
}
