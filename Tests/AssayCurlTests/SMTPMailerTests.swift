import AssayCurl
import Foundation
import Testing

@Suite("SMTPMailer against a real aiosmtpd server")
struct SMTPMailerTests {
    static let attachmentBytes = Data((0..<5_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
    /// Lines that SMTP's end-of-data marker and dot-stuffing could eat or change.
    static let text = "Sweep finished.\n.\n.hidden line\n..two dots\n. \nBest trial: 7 (accuracy 0.93)\nÜmlaut at the end"

    static func message(to recipients: [String] = ["Ada Lovelace <ada@example.org>", "grace@example.org"]) -> MailMessage {
        MailMessage(
            to: recipients,
            subject: "Experiment sweep-1 finished",
            text: text,
            html: "<p>Sweep <b>finished</b>.</p>\n.\n<p>Best trial: 7</p>",
            attachments: [.init(filename: "results.bin", contentType: "application/octet-stream", data: attachmentBytes)],
            headers: [.init(name: "X-Assay-Experiment", value: "sweep-1")]
        )
    }

    static func settings(_ server: SMTPCaptureServer, starttls: SMTPSettings.StartTLS = .off) -> SMTPSettings {
        SMTPSettings(url: server.url, from: "Assay <assay@example.org>", starttls: starttls, timeout: .seconds(10))
    }

    @Test func plainDeliveryArrivesIntact() async throws {
        try await SMTPCaptureServer.with { server in
            try await SMTPMailer(settings: Self.settings(server)).send(Self.message())

            let deliveries = try server.deliveries()
            try #require(deliveries.count == 1)
            let delivery = deliveries[0]
            #expect(delivery.envelope == .init(mailFrom: "assay@example.org", rcptTos: ["ada@example.org", "grace@example.org"]))
            let mail = delivery.mail
            #expect(mail.defects.isEmpty)
            #expect(mail.bareLineBreaks == 0)
            #expect(mail.rawLines.allSatisfy { $0.utf8.count <= 998 })
            #expect(mail.subject == "Experiment sweep-1 finished")
            #expect(mail.from == "Assay <assay@example.org>")
            #expect(mail.to == "Ada Lovelace <ada@example.org>, grace@example.org")
            #expect(mail.messageID.hasSuffix("@example.org>"))
            #expect(!mail.date.isEmpty)
            #expect(mail.rawLines.contains("X-Assay-Experiment: sweep-1"))
            #expect(mail.parts.map(\.contentType) == [
                "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/octet-stream",
            ])
            #expect(mail.parts[2].text == Self.text)
            #expect(mail.parts[3].text == "<p>Sweep <b>finished</b>.</p>\n.\n<p>Best trial: 7</p>")
            #expect(mail.parts[4].filename == "results.bin")
            #expect(mail.parts[4].data == Self.attachmentBytes)
        }
    }

    @Test func nonASCIISubjectAndNamesSurvive() async throws {
        let subject = "Résultats de l’expérience ✅ — " + String(repeating: "größte Genauigkeit ", count: 5)
        try await SMTPCaptureServer.with { server in
            var message = Self.message(to: ["Jürgen Ölmann <juergen@example.org>"])
            message.subject = subject
            message.attachments = [.init(filename: "Ergebnisse für Jürgen.csv", contentType: "text/csv", data: Data("a,b\n1,2\n".utf8))]
            try await SMTPMailer(settings: Self.settings(server)).send(message)

            let mail = try #require(try server.deliveries().first).mail
            #expect(mail.defects.isEmpty)
            #expect(mail.subject == subject)
            #expect(mail.to == "Jürgen Ölmann <juergen@example.org>")
            #expect(mail.parts.last?.filename == "Ergebnisse für Jürgen.csv")
        }
    }

    @Test func starttlsWithAuthentication() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificates = try TestCertificates(in: directory)
        try await SMTPCaptureServer.with(certificates: certificates, user: "assay", password: "s3cret-pass") { server in
            var settings = Self.settings(server, starttls: .required)
            settings.user = "assay"
            settings.password = "s3cret-pass"
            settings.caFile = certificates.authority
            try await SMTPMailer(settings: settings).send(Self.message())
            let deliveries = try server.deliveries()
            #expect(deliveries.count == 1)
        }
    }

    @Test func wrongPasswordIsRejectedWithoutShowingIt() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificates = try TestCertificates(in: directory)
        try await SMTPCaptureServer.with(certificates: certificates, user: "assay", password: "s3cret-pass") { server in
            var settings = Self.settings(server, starttls: .required)
            settings.user = "assay"
            settings.password = "wrong-Passw0rd"
            settings.caFile = certificates.authority
            let error = await #expect(throws: CurlError.self) { try await SMTPMailer(settings: settings).send(Self.message()) }
            #expect(error?.caseName == "authenticationRejected", "\(String(describing: error))")
            #expect(!"\(String(describing: error))".contains("wrong-Passw0rd"))
            let deliveries = try server.deliveries()
            #expect(deliveries.isEmpty)
        }
    }

    @Test func requiredStarttlsFailsAgainstAServerWithoutIt() async throws {
        try await SMTPCaptureServer.with { server in
            let error = await #expect(throws: CurlError.self) {
                try await SMTPMailer(settings: Self.settings(server, starttls: .required)).send(Self.message())
            }
            #expect(error?.caseName == "starttlsRefused", "\(String(describing: error))")
            let deliveries = try server.deliveries()
            #expect(deliveries.isEmpty)
        }
    }

    @Test func rejectedRecipientIsNamed() async throws {
        try await SMTPCaptureServer.with { server in
            let error = await #expect(throws: CurlError.self) {
                try await SMTPMailer(settings: Self.settings(server)).send(Self.message(to: ["rejected@example.org"]))
            }
            #expect(error?.caseName == "recipientRejected", "\(String(describing: error))")
            let reason = error.map { "\($0)" } ?? ""
            #expect(reason.contains("550"))
            #expect(reason.contains("mailbox unavailable"))
        }
    }

    @Test func headerInjectionIsRejectedBeforeConnecting() async throws {
        // Nobody listens here: had the mailer connected, the error would be couldNotConnect.
        let port = try LoopbackSocket.unusedPort()
        let settings = SMTPSettings(url: try #require(URL(string: "smtp://127.0.0.1:\(port)")), from: "assay@example.org", starttls: .off)
        var message = Self.message()
        message.subject = "Finished\r\nBcc: everyone@example.org"
        await #expect(throws: CurlError.invalidMessage("the Subject header contains CR, LF or another control character")) {
            try await SMTPMailer(settings: settings).send(message)
        }
    }

    @Test func unreachableServerIsAConnectError() async throws {
        let port = try LoopbackSocket.unusedPort()
        let settings = SMTPSettings(url: try #require(URL(string: "smtp://127.0.0.1:\(port)")), from: "assay@example.org")
        let error = await #expect(throws: CurlError.self) { try await SMTPMailer(settings: settings).send(Self.message()) }
        #expect(error?.caseName == "couldNotConnect", "\(String(describing: error))")
    }
}
