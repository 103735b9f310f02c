@testable import AssayRunner
import Foundation
import Testing

@Suite("Backoff and error classes")
struct BackoffTests {
    @Test func waitsGrowExponentiallyUpToTheCap() {
        let backoff = Backoff(initial: .milliseconds(250), maximum: .seconds(3), random: { 0.999_999 })
        let waits = (1...7).map { backoff.delay(afterFailures: $0).inSeconds }
        let expected = [0.25, 0.5, 1, 2, 3, 3, 3]
        for (wait, bound) in zip(waits, expected) {
            #expect(abs(wait - bound * 0.999_999) < 1e-6)
        }
    }

    @Test func jitterIsFull() {
        #expect(Backoff(random: { 0 }).delay(afterFailures: 5) == .zero)
        #expect(Backoff(initial: .seconds(1), random: { 0.5 }).delay(afterFailures: 2) == .seconds(1))
        let random = Backoff(initial: .seconds(1), maximum: .seconds(8))
        for failures in 1...10 {
            let wait = random.delay(afterFailures: failures)
            #expect(wait >= .zero && wait <= .seconds(8))
        }
    }

    @Test(arguments: [
        (RunnerServerError.transport("connection refused"), true),
        (.status(500, "boom"), true), (.status(503, "down"), true), (.status(429, "slow down"), true), (.status(408, "timeout"), true),
        (.status(400, "bad"), false), (.status(401, "who"), false), (.status(403, "no"), false), (.status(404, "gone"), false),
        (.status(413, "big"), false), (.status(422, "invalid"), false), (RunnerServerError(.invalidResponse, "garbage"), false),
    ])
    func retryableErrors(error: RunnerServerError, retryable: Bool) {
        #expect(error.isRetryable == retryable)
    }

    @Test func foreignErrorsCountAsTransportFailures() {
        struct Refused: Error {}
        #expect(RunnerServerError.classify(Refused()).kind == .transport)
        #expect(RunnerServerError.classify(RunnerServerError.status(404, "x")).kind == .status(404))
    }

    @Test func smtpSettingsNeverShowThePassword() {
        let settings = NotificationClaim.SMTP(url: "smtp://mail:587", user: "assay", password: "hunter2", from: "a@b")
        #expect(!"\(settings)".contains("hunter2"))
        #expect(!String(reflecting: settings).contains("hunter2"))
        #expect(!"\(NotificationClaim(granted: true, smtp: settings))".contains("hunter2"))
        #expect("\(settings)".contains("<redacted>"))
    }
}
