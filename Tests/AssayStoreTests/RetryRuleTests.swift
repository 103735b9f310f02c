import AssayCore
@testable import AssayStore
import Testing

/// The rule itself, without a store; the conformance suite checks both stores apply it.
@Suite("Retry rule")
struct RetryRuleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var end: RetryRule.AttemptEnd
        var attempt: Int
        var lostLeases: Int
        var maxAttempts: Int
        var next: TrialStatus
        var testDescription: String { "\(end) of attempt \(attempt), \(lostLeases) lost, max \(maxAttempts) → \(next)" }
    }

    @Test(arguments: [
        // A lost lease spends no retry, up to three of them.
        Case(end: .leaseLost, attempt: 1, lostLeases: 1, maxAttempts: 1, next: .pending),
        Case(end: .leaseLost, attempt: 3, lostLeases: 3, maxAttempts: 1, next: .pending),
        Case(end: .leaseLost, attempt: 4, lostLeases: 4, maxAttempts: 1, next: .failed),
        Case(end: .leaseLost, attempt: 9, lostLeases: 4, maxAttempts: 9, next: .failed),
        // Real failures count attempts less lost leases against maxAttempts.
        Case(end: .reported(.failed), attempt: 1, lostLeases: 0, maxAttempts: 1, next: .failed),
        Case(end: .reported(.failed), attempt: 2, lostLeases: 1, maxAttempts: 1, next: .failed),
        Case(end: .reported(.failed), attempt: 2, lostLeases: 1, maxAttempts: 2, next: .pending),
        Case(end: .reported(.timedOut), attempt: 4, lostLeases: 3, maxAttempts: 2, next: .pending),
        Case(end: .reported(.timedOut), attempt: 3, lostLeases: 1, maxAttempts: 2, next: .timedOut),
        // Other ends are final as reported.
        Case(end: .reported(.succeeded), attempt: 1, lostLeases: 0, maxAttempts: 3, next: .succeeded),
        Case(end: .reported(.canceled), attempt: 1, lostLeases: 0, maxAttempts: 3, next: .canceled),
    ])
    func nextStatus(of example: Case) {
        #expect(RetryRule.next(
            after: example.end, attempt: example.attempt, lostLeases: example.lostLeases, maxAttempts: example.maxAttempts,
            experimentIsFinal: false) == example.next)
    }

    @Test func aFinalExperimentCountsEveryEndedTrialAsCanceled() {
        for end in [RetryRule.AttemptEnd.leaseLost, .reported(.failed), .reported(.succeeded)] {
            #expect(RetryRule.next(after: end, attempt: 1, lostLeases: 1, maxAttempts: 3, experimentIsFinal: true) == .canceled)
        }
    }

    @Test func theReasonSaysWhenTheTrialGivesUp() {
        #expect(RetryRule.lostLeaseReason(lostLeases: 1) == "lease expired")
        #expect(RetryRule.lostLeaseReason(lostLeases: 3) == "lease expired")
        #expect(RetryRule.lostLeaseReason(lostLeases: 4) == "lost its Runner 4 times (lease expired); see the Runner logs")
    }
}
