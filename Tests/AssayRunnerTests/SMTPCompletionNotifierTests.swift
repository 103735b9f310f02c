import AssayCore
import AssayCurl
@testable import AssayRunner
import Foundation
import Testing

/// What the SMTP notifier sends and how it fails (delivery through a real SMTP server with
/// STARTTLS and AUTH is covered by Tests/system/test_runner.py and the AssayCurl tests).
@Suite("SMTP completion notifier")
struct SMTPCompletionNotifierTests {
    static let spec = RunnerSpec(
        experiment: "01exp", status: .completed,
        declaration: #"{"name": "lr sweep", "command": ["true"], "notify": {"email": ["decl@example.org"]}, "parameters": {"lr": {"type": "float", "values": [0.1, 0.01]}}}"#,
        artifact: nil, trials: 2, maxAttempts: 1, leaseSeconds: 30)
    static let smtp = NotificationClaim.SMTP(
        url: "smtp://127.0.0.1:1", user: "mailer", password: "pa55-w0rd-secret", from: "Assay <assay@example.org>", starttls: "required")
    static let summary = MailSummary(
        to: ["ada@example.org", "grace@example.org"], name: "lr sweep", status: .completed, counts: ["succeeded": 2], seconds: 12,
        objectiveMetric: "loss", objectiveGoal: "minimize",
        best: [.init(index: 1, parameters: ["lr": "0.01"], metrics: ["loss": 0.2])], resultsCSV: "trial,lr,loss\n1,0.01,0.2\n")

    @Test func theMailIsTheCompletionMailForTheServersRecipientsWithResultsAttached() throws {
        let message = try SMTPCompletionNotifier.message(spec: Self.spec, claim: NotificationClaim(granted: true, smtp: Self.smtp, mail: Self.summary))
        let mail = CompletionMail(CompletionReport(spec: Self.spec, summary: Self.summary))
        #expect(message.to == ["ada@example.org", "grace@example.org"])
        #expect(message.subject == "[Assay] lr sweep completed: 2 of 2 trials succeeded")
        #expect(message.subject == mail.subject)
        #expect(message.text == mail.text)
        #expect(message.html == mail.html)
        #expect(message.attachments.map(\.filename) == ["results.csv"])
        #expect(message.attachments.first?.contentType == "text/csv")
        #expect(message.attachments.first?.data == Data("trial,lr,loss\n1,0.01,0.2\n".utf8))
        #expect(message.headers.map { "\($0.name): \($0.value)" } == ["X-Assay-Experiment: 01exp"])
        #expect(message.from == nil, "the sender is the SMTP settings' from")
    }

    @Test func withoutASummaryTheDeclarationNamesRecipientsAndNothingIsAttached() throws {
        var summary = Self.summary
        summary.to = nil
        summary.resultsCSV = nil
        let message = try SMTPCompletionNotifier.message(spec: Self.spec, claim: NotificationClaim(granted: true, smtp: Self.smtp, mail: summary))
        #expect(message.to == ["decl@example.org"])
        #expect(message.attachments.isEmpty)
        let bare = try SMTPCompletionNotifier.message(spec: Self.spec, claim: NotificationClaim(granted: true, smtp: Self.smtp))
        #expect(bare.subject.hasPrefix("[Assay] lr sweep completed"))
    }

    @Test func noRecipientsIsAFailureNotAnEmptyMail() async {
        var spec = Self.spec
        spec.declaration = #"{"name": "x", "command": ["true"]}"#
        let delivery = await SMTPCompletionNotifier().notify(spec: spec, claim: NotificationClaim(granted: true, smtp: Self.smtp))
        #expect(delivery == .failed("no recipients (notify.email)"))
    }

    @Test func settingsComeFromTheClaimAndTheRunnersCAFile() throws {
        let notifier = SMTPCompletionNotifier(caFile: URL(filePath: "/etc/assay/ca.pem"), timeout: .seconds(7))
        let settings = try notifier.settings(for: Self.smtp)
        #expect(settings.url.absoluteString == "smtp://127.0.0.1:1")
        #expect(settings.user == "mailer")
        #expect(settings.password == "pa55-w0rd-secret")
        #expect(settings.from == "Assay <assay@example.org>")
        #expect(settings.starttls == .required)
        #expect(settings.caFile?.path == "/etc/assay/ca.pem")
        #expect(settings.timeout == .seconds(7))

        var plain = Self.smtp
        plain.starttls = "off"
        plain.from = nil
        let relaxed = try notifier.settings(for: plain)
        #expect(relaxed.starttls == .off)
        #expect(relaxed.from == SMTPCompletionNotifier.defaultSender)
    }

    @Test(arguments: [("https://mail.example.org", "required"), ("not a url", "required"), ("smtp://", "required"), ("smtp://mail:25", "maybe")])
    func unusableSettingsFailBeforeConnecting(url: String, starttls: String) async {
        var smtp = Self.smtp
        smtp.url = url
        smtp.starttls = starttls
        let delivery = await SMTPCompletionNotifier().notify(spec: Self.spec, claim: NotificationClaim(granted: true, smtp: smtp, mail: Self.summary))
        guard case .failed(let message) = delivery else { Issue.record("sent with \(smtp)"); return }
        #expect(!message.isEmpty)
    }

    @Test func anUnreachableServerFailsWithoutThePassword() async throws {
        var smtp = Self.smtp
        smtp.url = "smtp://127.0.0.1:\(try CurlRunnerTransportTests.closedPort())"
        let delivery = await SMTPCompletionNotifier(timeout: .seconds(5)).notify(
            spec: Self.spec, claim: NotificationClaim(granted: true, smtp: smtp, mail: Self.summary))
        guard case .failed(let message) = delivery else { Issue.record("sent to a closed port"); return }
        #expect(message.contains("could not connect"), "\(message)")
        #expect(!message.contains("pa55-w0rd-secret"))
    }

    @Test func credentialsAreBlottedOutOfMessages() {
        let smtp = NotificationClaim.SMTP(url: "smtp://user:url-secret@mail:25", password: "pa55")
        let text = SMTPCompletionNotifier.redacting(smtp, in: "login pa55 failed at smtp://user:url-secret@mail:25")
        #expect(text == "login <redacted> failed at smtp://user:<redacted>@mail:25")
    }
}
