/// A mailbox parsed from `user@example.org` or `Display Name <user@example.org>`, checked so
/// that it can go into an SMTP command and a header without changing their meaning.
struct MailAddress: Equatable {
    var displayName: String?
    /// The bare address, for the SMTP envelope.
    var address: String

    init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.unicodeScalars.contains(where: MIMEEncoding.isControl) else {
            throw CurlError.invalidMessage("the address \(String(reflecting: text)) contains a control character such as CR or LF")
        }
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = String(name.dropFirst().dropLast())
            }
            displayName = name.isEmpty ? nil : name
            address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        } else {
            displayName = nil
            address = trimmed
        }
        try Self.validate(address, in: text)
    }

    /// A plain `local@domain` in ASCII (no SMTPUTF8), with nothing that could close the
    /// angle brackets of `RCPT TO:<…>` or start another address in a header.
    private static func validate(_ address: String, in text: String) throws {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        let forbidden = Set("<>()[],;:\\\" ".utf8)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            address.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !forbidden.contains($0) })
        else {
            throw CurlError.invalidMessage("\(String(reflecting: text)) is not a mail address of the form user@example.org")
        }
    }

    /// The mailbox as a header value: `"Name" <address>`, the name encoded if not ASCII.
    var headerValue: String {
        guard let displayName else { return address }
        return "\(MIMEEncoding.phrase(displayName)) <\(address)>"
    }

    /// The domain, for the Message-ID.
    var domain: Substring {
        address.split(separator: "@").last ?? "localhost"
    }
}
