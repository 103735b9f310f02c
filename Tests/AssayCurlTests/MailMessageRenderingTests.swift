import AssayCurl
import Foundation
import Testing

@Suite("MailMessage renders safe MIME")
struct MailMessageRenderingTests {
    let message = MailMessage(
        from: "Assay <assay@example.org>",
        to: ["ada@example.org", "Grace Hopper <grace@example.org>"],
        subject: "Experiment finished",
        text: "Best trial: 7\n" + String(repeating: "long line ", count: 30) + "\ntrailing space ",
        html: "<p>Best trial: <b>7</b></p>",
        attachments: [.init(filename: "results.csv", contentType: "text/csv", data: Data(repeating: 0xFF, count: 1_000))]
    )

    private func text(_ message: MailMessage) throws -> String {
        let rendered = try message.rendered(date: Date(timeIntervalSince1970: 0), messageID: "id-1@example.org")
        return String(decoding: rendered, as: UTF8.self)
    }

    @Test func linesEndInCRLFAndStayShort() throws {
        let rendered = try text(message)
        #expect(rendered.hasSuffix("\r\n"))
        let lines = rendered.components(separatedBy: "\r\n")
        #expect(!lines.contains { $0.contains("\n") || $0.contains("\r") })
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(lines.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000"))
        #expect(lines.contains("Message-ID: <id-1@example.org>"))
        #expect(lines.contains("From: \"Assay\" <assay@example.org>"))
        #expect(lines.contains("trailing space=20"))
    }

    @Test(arguments: ["Done\r\nBcc: victim@example.org", "Done\nBcc: x@example.org", "Done\rX", "Done\u{0}"])
    func lineBreaksInTheSubjectAreRejected(subject: String) {
        var message = message
        message.subject = subject
        #expect(throws: CurlError.invalidMessage("the Subject header contains CR, LF or another control character")) {
            try message.rendered()
        }
    }

    @Test(arguments: ["ada@example.org\r\nRCPT TO:<x@example.org>", "Ada\n <ada@example.org>", "ada@example.org>", "no-at-sign", "a b@example.org"])
    func malformedRecipientsAreRejected(recipient: String) {
        var message = message
        message.to = [recipient]
        #expect {
            try message.rendered()
        } throws: { error in
            guard case CurlError.invalidMessage = error else { return false }
            return true
        }
    }

    @Test func extraHeadersCannotInjectOrOverride() throws {
        var message = message
        message.headers = [.init(name: "X-Assay-Experiment", value: "sweep-1")]
        #expect(try text(message).contains("\r\nX-Assay-Experiment: sweep-1\r\n"))
        for header in [MailMessage.Header(name: "X-Evil", value: "a\r\nBcc: b@example.org"), .init(name: "Bcc", value: "b@example.org"), .init(name: "X Bad", value: "1")] {
            message.headers = [header]
            #expect(throws: CurlError.self) { try message.rendered() }
        }
    }

    @Test func nonASCIISubjectAndNamesAreEncodedWords() throws {
        var message = message
        message.subject = "Résultats: ✅ " + String(repeating: "überlang ", count: 10)
        message.from = "Jürgen Ölmann <j@example.org>"
        let rendered = try text(message)
        #expect(rendered.utf8.allSatisfy { $0 < 0x80 })
        #expect(rendered.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(rendered.contains("Subject: =?UTF-8?B?"))
        #expect(rendered.contains("From: =?UTF-8?B?"))
    }

    @Test func messageWithoutRecipientsIsRejected() {
        var message = message
        message.to = []
        #expect(throws: CurlError.invalidMessage("the message has no recipients")) { try message.rendered() }
    }
}
