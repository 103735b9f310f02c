import Foundation

extension MailMessage {
    /// The header fields the message writes itself, in lower case.
    private static let reservedHeaders: Set<String> = [
        "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version",
        "content-type", "content-transfer-encoding", "content-disposition",
    ]

    /// The message as RFC 5322 / MIME text with CRLF line endings: a `multipart/mixed` whose
    /// first part is a `multipart/alternative` (text/plain, then text/html if any; UTF-8,
    /// quoted-printable), followed by the attachments in base64.
    ///
    /// Throws ``CurlError/invalidMessage(_:)`` for a header value, name or address that
    /// contains CR, LF or another control character, a malformed address, no recipients, or
    /// an invalid content type: nothing is sent then.
    ///
    /// - Parameters:
    ///   - defaultFrom: the `From` to use when ``from`` is nil.
    ///   - date: the `Date` header.
    ///   - messageID: the `Message-ID` without angle brackets; nil generates one.
    public func rendered(defaultFrom: String? = nil, date: Date = Date(), messageID: String? = nil) throws -> Data {
        guard let fromText = from ?? defaultFrom else { throw CurlError.invalidMessage("the message has no From address") }
        let sender = try MailAddress(parsing: fromText)
        let recipients = try recipientAddresses()
        try Self.checkHeaderText(subject, field: "Subject")
        let identifier = messageID ?? "\(UUID().uuidString.lowercased())@\(sender.domain)"
        guard (try? MailAddress(parsing: identifier)) != nil else {
            throw CurlError.invalidMessage("the Message-ID \(String(reflecting: identifier)) is not of the form id@domain")
        }

        var lines = [
            "From: \(sender.headerValue)",
            "To: \(recipients.map(\.headerValue).joined(separator: ",\r\n "))",
            "Subject: \(MIMEEncoding.unstructured(subject))",
            "Date: \(MIMEEncoding.rfc5322Date(date))",
            "Message-ID: <\(identifier)>",
            "MIME-Version: 1.0",
        ]
        for header in headers {
            try Self.checkExtraHeader(header)
            lines.append("\(header.name): \(MIMEEncoding.unstructured(header.value))")
        }
        let mixed = Self.boundary()
        let alternative = Self.boundary()
        lines += ["Content-Type: multipart/mixed;", " boundary=\"\(mixed)\"", ""]

        lines += ["--\(mixed)", "Content-Type: multipart/alternative;", " boundary=\"\(alternative)\"", ""]
        lines += ["--\(alternative)"] + Self.textPart(text, subtype: "plain")
        if let html { lines += ["--\(alternative)"] + Self.textPart(html, subtype: "html") }
        lines.append("--\(alternative)--")
        for attachment in attachments {
            lines += ["--\(mixed)"] + (try Self.attachmentPart(attachment))
        }
        lines.append("--\(mixed)--")
        return Data((lines.joined(separator: MIMEEncoding.crlf) + MIMEEncoding.crlf).utf8)
    }

    /// The parsed recipients; throws if there are none or one is malformed.
    func recipientAddresses() throws -> [MailAddress] {
        guard !to.isEmpty else { throw CurlError.invalidMessage("the message has no recipients") }
        return try to.map(MailAddress.init(parsing:))
    }

    /// A multipart boundary: "=_" never occurs in quoted-printable or base64 text, so no
    /// part can contain it.
    private static func boundary() -> String {
        "=_assay_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    private static func textPart(_ text: String, subtype: String) -> [String] {
        [
            "Content-Type: text/\(subtype); charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            MIMEEncoding.quotedPrintable(text),
        ]
    }

    private static func attachmentPart(_ attachment: Attachment) throws -> [String] {
        let filename = attachment.filename
        guard !filename.isEmpty, !filename.unicodeScalars.contains(where: MIMEEncoding.isControl) else {
            throw CurlError.invalidMessage("the attachment name \(String(reflecting: filename)) is empty or contains a control character")
        }
        let typeParts = attachment.contentType.split(separator: "/", omittingEmptySubsequences: false)
        guard typeParts.count == 2, typeParts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(HTTPHeaders.isTokenByte) }) else {
            throw CurlError.invalidMessage("the attachment \(filename) has an invalid content type \(String(reflecting: attachment.contentType))")
        }
        return [
            "Content-Type: \(attachment.contentType);",
            " \(MIMEEncoding.parameter("name", filename))",
            "Content-Disposition: attachment;",
            " \(MIMEEncoding.parameter("filename", filename))",
            "Content-Transfer-Encoding: base64",
            "",
            MIMEEncoding.base64Lines(attachment.data),
        ]
    }

    private static func checkHeaderText(_ value: String, field: String) throws {
        guard !value.unicodeScalars.contains(where: MIMEEncoding.isControl) else {
            throw CurlError.invalidMessage("the \(field) header contains CR, LF or another control character")
        }
    }

    private static func checkExtraHeader(_ header: Header) throws {
        // RFC 5322 field names: printable ASCII except the colon.
        guard !header.name.isEmpty, header.name.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ":") }) else {
            throw CurlError.invalidMessage("invalid header name \(String(reflecting: header.name))")
        }
        guard !reservedHeaders.contains(header.name.lowercased()) else {
            throw CurlError.invalidMessage("the \(header.name) header is set by the message itself")
        }
        try checkHeaderText(header.value, field: header.name)
    }
}
