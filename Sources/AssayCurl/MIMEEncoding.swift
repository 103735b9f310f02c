import Foundation

/// The encodings a mail message needs: RFC 2047 encoded-words for non-ASCII header text,
/// RFC 2231 parameters for non-ASCII file names, quoted-printable for text bodies and
/// base64 for attachments. Every line produced ends in CRLF and is at most 76 characters.
enum MIMEEncoding {
    static let crlf = "\r\n"

    /// A control character other than tab: CR and LF among them, which would end a header.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F
    }

    // MARK: Header text

    /// Unstructured header text (a subject): as it is if it is short printable ASCII,
    /// otherwise as RFC 2047 encoded-words, one per folded line.
    static func unstructured(_ text: String) -> String {
        let isPlain = text.utf8.allSatisfy { $0 == 0x09 || (0x20..<0x7F).contains($0) }
        if isPlain, text.utf8.count <= 900, !text.contains("=?") { return text }
        return encodedWords(text).joined(separator: crlf + " ")
    }

    /// A display name: a quoted string if ASCII, otherwise encoded-words.
    static func phrase(_ text: String) -> String {
        let isPlain = text.utf8.allSatisfy { (0x20..<0x7F).contains($0) }
        guard isPlain, !text.contains("=?") else { return encodedWords(text).joined(separator: crlf + " ") }
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    /// `=?UTF-8?B?…?=` words of 64 characters at most (RFC 2047 allows 75), so that a
    /// `Subject: ` before the first one still fits in 78; a character is never split across two.
    static func encodedWords(_ text: String) -> [String] {
        // 39 bytes make 52 base64 characters, plus 12 for "=?UTF-8?B?" and "?=".
        let maxBytes = 39
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > maxBytes {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(encodedWord(chunk)) }
        return words
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }

    /// A MIME parameter such as `filename="report.csv"`, in RFC 2231 form
    /// (`filename*=UTF-8''…`) when the value is not plain ASCII.
    static func parameter(_ name: String, _ value: String) -> String {
        let isPlain = value.utf8.allSatisfy { (0x20..<0x7F).contains($0) && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        if isPlain { return "\(name)=\"\(value)\"" }
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        let encoded = value.utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : hexEscape($0, prefix: "%") }
        return "\(name)*=UTF-8''\(encoded.joined())"
    }

    // MARK: Bodies

    /// Text as quoted-printable (RFC 2045): line breaks of any kind become CRLF, lines are
    /// wrapped with soft breaks at 76 characters, and trailing spaces are encoded.
    static func quotedPrintable(_ text: String) -> String {
        var output: [String] = []
        for line in normalizedLines(text) {
            let bytes = Array(line.utf8)
            var current = ""
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                let token: String
                switch byte {
                case UInt8(ascii: " "), UInt8(ascii: "\t"):
                    token = isLast ? hexEscape(byte, prefix: "=") : String(UnicodeScalar(byte))
                case 0x21...0x7E where byte != UInt8(ascii: "="):
                    token = String(UnicodeScalar(byte))
                default:
                    token = hexEscape(byte, prefix: "=")
                }
                // 75 plus the "=" of a soft break makes 76.
                if current.utf8.count + token.utf8.count > 75 {
                    output.append(current + "=")
                    current = ""
                }
                current += token
            }
            output.append(current)
        }
        return output.joined(separator: crlf)
    }

    /// Bytes as base64 in lines of 76 characters separated by CRLF.
    static func base64Lines(_ data: Data) -> String {
        data.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
    }

    /// The lines of `text`, whether it separates them with CRLF, LF or CR.
    static func normalizedLines(_ text: String) -> [Substring] {
        text.replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
    }

    private static func hexEscape(_ byte: UInt8, prefix: String) -> String {
        let digits = Array("0123456789ABCDEF")
        return prefix + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }

    // MARK: Dates

    /// An RFC 5322 date in UTC, e.g. `Tue, 03 Mar 2026 14:05:09 +0000`, independent of locale.
    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.weekday, .day, .month, .year, .hour, .minute, .second], from: date)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func twoDigits(_ value: Int?) -> String {
            let value = value ?? 0
            return value < 10 ? "0\(value)" : "\(value)"
        }
        let weekday = weekdays[((parts.weekday ?? 1) - 1) % 7]
        let month = months[((parts.month ?? 1) - 1) % 12]
        return "\(weekday), \(twoDigits(parts.day)) \(month) \(parts.year ?? 1970) "
            + "\(twoDigits(parts.hour)):\(twoDigits(parts.minute)):\(twoDigits(parts.second)) +0000"
    }
}
