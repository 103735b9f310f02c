import Foundation

/// A mail to send with ``SMTPMailer``: a text body, optionally an HTML alternative, and
/// attachments. ``rendered(defaultFrom:date:messageID:)`` turns it into an RFC 5322 / MIME
/// message.
public struct MailMessage: Sendable {
    /// A file attached to the mail.
    public struct Attachment: Sendable {
        public var filename: String
        /// A MIME type such as `application/pdf` or `text/csv`.
        public var contentType: String
        public var data: Data

        public init(filename: String, contentType: String = "application/octet-stream", data: Data) {
            self.filename = filename
            self.contentType = contentType
            self.data = data
        }
    }

    /// An extra header field, such as `Reply-To` or `X-Assay-Experiment`.
    public struct Header: Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The `From` header (`user@example.org` or `Name <user@example.org>`); nil uses the
    /// mailer's ``SMTPSettings/from``.
    public var from: String?
    /// The recipients, each `user@example.org` or `Name <user@example.org>`.
    public var to: [String]
    public var subject: String
    /// The plain-text body.
    public var text: String
    /// An HTML alternative to `text`, shown by clients that can.
    public var html: String?
    public var attachments: [Attachment]
    /// Further header fields. The ones the message sets itself (From, To, Subject, Date,
    /// Message-ID, MIME-Version, Content-*) cannot be given here.
    public var headers: [Header]

    public init(
        from: String? = nil,
        to: [String],
        subject: String,
        text: String,
        html: String? = nil,
        attachments: [Attachment] = [],
        headers: [Header] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = attachments
        self.headers = headers
    }
}
