import AssayCore
@testable import AssayRunner
import Foundation
import Testing

@Suite("Completion mail")
struct CompletionMailTests {
    let report = CompletionReport(
        name: "mnist <lr> sweep", state: .completed, counts: [.succeeded: 5, .failed: 1], seconds: 812.4,
        objective: .init(metric: "accuracy", goal: .maximize), parameterNames: ["lr", "opt"],
        best: [
            .init(index: 3, parameters: ["lr": "0.01", "opt": "adam"], metrics: ["accuracy": 0.93, "loss": 0.2134567]),
            .init(index: 0, parameters: ["lr": "0.1", "opt": "sgd & co"], metrics: ["accuracy": 0.9]),
        ],
        link: "https://assay.example.org/experiments/e1?x=1&y=2")

    @Test func subjectSaysHowItEnded() {
        #expect(CompletionMail(report).subject == "[Assay] mnist <lr> sweep completed: 5 of 6 trials succeeded")
        var failed = report
        failed.state = .failed
        failed.reason = "setup pip install exited with 1:\nno GPU here"
        #expect(CompletionMail(failed).subject == "[Assay] mnist <lr> sweep failed: setup pip install exited with 1:")
        failed.name = "evil\r\nBcc: x@y"
        #expect(!CompletionMail(failed).subject.contains("\n"), "no header injection through the name")
    }

    @Test func textBodyHasCountsTableAndLink() {
        #expect(CompletionMail(report).text == """
            Experiment “mnist <lr> sweep” completed after 13m 32s.

            Trials: 5 succeeded, 1 failed (6 in all)

            Best trials by accuracy (maximize):

            trial  lr    opt       accuracy  loss
            3      0.01  adam      0.93      0.213457
            0      0.1   sgd & co  0.9

            Open the experiment: https://assay.example.org/experiments/e1?x=1&y=2

            """)
    }

    @Test func htmlBodyIsEscaped() {
        let html = CompletionMail(report).html
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("mnist &lt;lr&gt; sweep"))
        #expect(!html.contains("<lr>"))
        #expect(html.contains("<td style=\"padding:6px 10px;border-bottom:1px solid #d0d7de;text-align:left\">sgd &amp; co</td>"))
        #expect(html.contains("href=\"https://assay.example.org/experiments/e1?x=1&amp;y=2\""))
        #expect(html.contains("<th style=\"padding:6px 10px;border-bottom:1px solid #d0d7de;text-align:left;background:#f6f8fa\">accuracy</th>"))
        var hostile = report
        hostile.link = "javascript:alert(1)"
        hostile.reason = "<script>alert(1)</script>"
        hostile.state = .failed
        let escaped = CompletionMail(hostile).html
        #expect(!escaped.contains("javascript:"), "only http(s) links are linked")
        #expect(escaped.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!escaped.contains("<script>"))
    }

    @Test func aFailureWithoutTrialsStillReads() {
        let mail = CompletionMail(CompletionReport(name: "x", state: .failed, reason: "artifact entry \"../a\" climbs out"))
        #expect(mail.text == "Experiment “x” failed.\n\nReason: artifact entry \"../a\" climbs out\n")
        #expect(mail.html.contains("artifact entry &quot;../a&quot; climbs out"))
    }

    @Test(arguments: [(3.25, "3.2s"), (45, "45s"), (812.4, "13m 32s"), (7500, "2h 5m")])
    func durations(seconds: Double, text: String) {
        #expect(CompletionMail.duration(seconds) == text)
    }

    /// The server's `mail` object is read leniently and filled in from the declaration.
    @Test func reportFromTheClaimsSummary() throws {
        let claim = try JSONDecoder().decode(NotificationClaim.self, from: Data("""
            {"granted": true, "smtp": {"url": "smtp://mail:25", "starttls": "off"},
             "mail": {"to": ["me@example.org"],
                      "experiment": {"id": "e1", "status": "completed", "counts": {"succeeded": 2, "timed_out": 1, "weird": 3}, "seconds": "soon"},
                      "url": "https://assay/e1", "future": {"nested": [1]}, "resultsCsv": "trial,status\\n1,succeeded\\n",
                      "best": [{"trial": 1, "status": "succeeded", "parameters": {"lr": 0.01, "layers": 2, "opt": "adam"}, "metrics": {"loss": 0.5, "tag": "x"}}, 7]}}
            """.utf8))
        #expect(claim.granted)
        #expect(claim.smtp?.starttls == "off")
        let summary = try #require(claim.mail)
        #expect(summary.seconds == nil, "a field of another type counts as absent")
        #expect(summary.best?.count == 1)
        #expect(summary.resultsCSV == "trial,status\n1,succeeded\n")
        let spec = RunnerSpec(
            experiment: "e1", status: .completed, declaration: """
                {"name": "lr sweep", "artifact": "a1", "command": ["true"], "objective": {"metric": "loss", "goal": "minimize"},
                 "parameters": {"opt": {"type": "choice", "values": ["adam", "sgd"]}, "lr": {"type": "const", "value": 0.01}}}
                """, artifact: nil, trials: 2, maxAttempts: 1, leaseSeconds: 30)
        let report = CompletionReport(spec: spec, summary: summary)
        #expect(report.name == "lr sweep")
        #expect(report.counts == [.succeeded: 2, .timedOut: 1])
        #expect(report.objective == .init(metric: "loss", goal: .minimize))
        #expect(report.parameterNames == ["opt", "lr", "layers"])
        #expect(report.best.first?.parameters == ["lr": "0.01", "layers": "2", "opt": "adam"])
        #expect(report.best.first?.metrics == ["loss": 0.5])
        #expect(report.link == "https://assay/e1")
    }

    @Test func aMalformedMailObjectDoesNotFailTheClaim() throws {
        let claim = try JSONDecoder().decode(NotificationClaim.self, from: Data(#"{"granted": true, "smtp": null, "mail": [1, 2]}"#.utf8))
        #expect(claim.granted)
        #expect(claim.mail == nil)
        let refused = try JSONDecoder().decode(NotificationClaim.self, from: Data(#"{"granted": false}"#.utf8))
        #expect(!refused.granted && refused.smtp == nil)
    }
}
