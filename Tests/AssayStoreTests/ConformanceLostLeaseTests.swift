import AssayCore
@testable import AssayStore
import AssayTestSupport
import Foundation
import Testing

/// A lost lease (the Runner was killed, evicted, cut off) is no fault of the trial: it
/// spends none of the user's retries, up to `RetryRule.maxLostLeases` per trial, through
/// the lease path (expired trials go out first) and the reaper (`expireLeases`) alike.
@Suite("Conformance: lost leases")
struct ConformanceLostLeaseTests {
    /// The fault the design promises to survive, with the default `retries: 0`: a killed
    /// Runner's trials run again elsewhere and the experiment completes.
    @Test(arguments: StoreKind.allCases)
    func aLostLeaseSpendsNoRetry(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 2, maxAttempts: 1, lease: .seconds(10))
        _ = try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: T0)
        _ = try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: T0.plus(5))

        // The reaper: trial 0's lease ran out; it waits for its second attempt.
        #expect(try await store.expireLeases(now: T0.plus(10)).trials == 1)
        #expect(try await store.experiment(id: experiment.id, owner: user.id)?.counts == TrialCounts(pending: 1, running: 1))
        let requeued = try #require(try await store.trial(experiment: experiment.id, index: 0, owner: user.id))
        #expect(requeued.status == .pending && requeued.attempt == 1 && requeued.runner == nil)

        // The lease path: trial 1's lease ran out too; it goes out first, then the requeued trial 0.
        let again = try await store.lease(experiment: experiment.id, runner: "r2", max: 2, now: T0.plus(15))
        #expect(again == [TrialLease(index: 1, attempt: 2, deadline: T0.plus(25)), TrialLease(index: 0, attempt: 2, deadline: T0.plus(25))])
        #expect(try await store.experiment(id: experiment.id, owner: user.id)?.counts == TrialCounts(running: 2))

        let outcome = try await store.applyEvents(
            EventBatch(experiment: experiment.id, runner: "r2", seq: 1, events: again.map { finished($0) }), now: T0.plus(16))
        #expect(outcome.experimentStatus == .completed && outcome.revoked.isEmpty)
        let record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(succeeded: 2))
        #expect(record.status == .completed && record.finishedAt == T0.plus(16))
        for index in 0..<2 {
            let trial = try #require(try await store.trial(experiment: experiment.id, index: index, owner: user.id))
            #expect(trial.status == .succeeded && trial.attempt == 2 && trial.runner == "r2")
            #expect(trial.attempts.map(\.status) == [.failed, .succeeded])
            #expect(trial.attempts.map(\.reason) == ["lease expired", nil])
            #expect(trial.attempts.map(\.runner) == ["r1", "r2"])
        }
    }

    /// Retries count the attempts that really failed or timed out, whatever leases were
    /// lost before, between or after them.
    @Test(arguments: StoreKind.allCases)
    func retriesCountOnlyRealFailures(kind: StoreKind) async throws {
        let store = try await kind.open()
        // retries: 1. Lost (lease path), failed, then the one retry: failed again, final.
        let (user, experiment) = try await seed(store, trials: 1, maxAttempts: 2, lease: .seconds(10))
        _ = try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: T0)
        let second = try await store.lease(experiment: experiment.id, runner: "r2", max: 1, now: T0.plus(10))
        #expect(second.map(\.attempt) == [2])
        _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r2", seq: 1, events: [finished(second[0], .failed)]), now: T0.plus(11))
        #expect(try await store.experiment(id: experiment.id, owner: user.id)?.counts == TrialCounts(pending: 1))
        let third = try await store.lease(experiment: experiment.id, runner: "r3", max: 1, now: T0.plus(12))
        #expect(third == [TrialLease(index: 0, attempt: 3, deadline: T0.plus(22))])
        _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r3", seq: 1, events: [finished(third[0], .timedOut)]), now: T0.plus(13))
        var record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(timedOut: 1) && record.status == .completed)
        var trial = try #require(try await store.trial(experiment: experiment.id, index: 0, owner: user.id))
        #expect(trial.status == .timedOut && trial.attempts.map(\.status) == [.failed, .failed, .timedOut])
        #expect(trial.attempts.map(\.reason) == ["lease expired", nil, nil])
        #expect(try await store.lease(experiment: experiment.id, runner: "r4", max: 1, now: T0.plus(14)).isEmpty)

        // retries: 1. Failed, lost (reaper), failed: the second real failure is final.
        let (_, mixed) = try await seed(store, trials: 1, maxAttempts: 2, lease: .seconds(10), username: "mixed", now: T0.plus(100))
        let first = try await store.lease(experiment: mixed.id, runner: "r1", max: 1, now: T0.plus(100))
        _ = try await store.applyEvents(EventBatch(experiment: mixed.id, runner: "r1", seq: 1, events: [finished(first[0], .failed)]), now: T0.plus(101))
        #expect(try await store.lease(experiment: mixed.id, runner: "r2", max: 1, now: T0.plus(102)).map(\.attempt) == [2])
        #expect(try await store.expireLeases(now: T0.plus(112)).trials == 1)
        #expect(try await store.experiment(id: mixed.id, owner: nil)?.counts == TrialCounts(pending: 1))
        let last = try await store.lease(experiment: mixed.id, runner: "r3", max: 1, now: T0.plus(113))
        #expect(last.map(\.attempt) == [3])
        _ = try await store.applyEvents(EventBatch(experiment: mixed.id, runner: "r3", seq: 1, events: [finished(last[0], .failed)]), now: T0.plus(114))
        record = try #require(try await store.experiment(id: mixed.id, owner: nil))
        #expect(record.counts == TrialCounts(failed: 1) && record.status == .completed)

        // retries: 0. Lost (reaper), then a real failure: final at once.
        let (_, strict) = try await seed(store, trials: 1, maxAttempts: 1, lease: .seconds(10), username: "strict", now: T0.plus(200))
        _ = try await store.lease(experiment: strict.id, runner: "r1", max: 1, now: T0.plus(200))
        #expect(try await store.expireLeases(now: T0.plus(210)).trials == 1)
        let retried = try await store.lease(experiment: strict.id, runner: "r2", max: 1, now: T0.plus(211))
        #expect(retried.map(\.attempt) == [2])
        _ = try await store.applyEvents(EventBatch(experiment: strict.id, runner: "r2", seq: 1, events: [finished(retried[0], .failed)]), now: T0.plus(212))
        record = try #require(try await store.experiment(id: strict.id, owner: nil))
        #expect(record.counts == TrialCounts(failed: 1) && record.status == .completed && record.finishedAt == T0.plus(212))
        trial = try #require(try await store.trial(experiment: strict.id, index: 0, owner: nil))
        #expect(trial.attempts.map(\.reason) == ["lease expired", nil])
    }

    /// A trial that kills its Runner every time (out of memory, say) does not loop forever:
    /// three lost leases come back, the fourth fails it, whatever retries are left.
    @Test(arguments: StoreKind.allCases)
    func theFourthLostLeaseFailsTheTrial(kind: StoreKind) async throws {
        let store = try await kind.open()
        let reason = "lost its Runner 4 times (lease expired); see the Runner logs"
        #expect(RetryRule.maxLostLeases == 3)

        // Through the lease path, with retries: 0.
        let (user, experiment) = try await seed(store, trials: 1, maxAttempts: 1, lease: .seconds(10))
        var now = T0
        #expect(try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: now).map(\.attempt) == [1])
        for attempt in 2...4 {
            now = now.plus(10)
            let lease = try await store.lease(experiment: experiment.id, runner: "r\(attempt)", max: 1, now: now)
            #expect(lease == [TrialLease(index: 0, attempt: attempt, deadline: now.plus(10))])
            #expect(try await store.experiment(id: experiment.id, owner: user.id)?.counts == TrialCounts(running: 1))
        }
        now = now.plus(10)
        #expect(try await store.lease(experiment: experiment.id, runner: "r5", max: 1, now: now).isEmpty)
        var record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(failed: 1))
        #expect(record.status == .completed && record.finishedAt == now)
        var trial = try #require(try await store.trial(experiment: experiment.id, index: 0, owner: user.id))
        #expect(trial.status == .failed && trial.attempt == 4 && trial.runner == "r4" && trial.leaseDeadline == nil)
        #expect(trial.attempts.map(\.status) == Array(repeating: .failed, count: 4))
        #expect(trial.attempts.map(\.reason) == ["lease expired", "lease expired", "lease expired", reason])

        // Through the reaper, with retries: 2 left untouched.
        let (_, reaped) = try await seed(store, trials: 1, maxAttempts: 3, lease: .seconds(10), username: "reaped", now: T0.plus(100))
        now = T0.plus(100)
        for attempt in 1...4 {
            #expect(try await store.lease(experiment: reaped.id, runner: "r\(attempt)", max: 1, now: now).map(\.attempt) == [attempt])
            now = now.plus(10)
            #expect(try await store.expireLeases(now: now).trials == 1)
            let counts = try await store.experiment(id: reaped.id, owner: nil)?.counts
            #expect(counts == (attempt < 4 ? TrialCounts(pending: 1) : TrialCounts(failed: 1)), "attempt \(attempt)")
        }
        record = try #require(try await store.experiment(id: reaped.id, owner: nil))
        #expect(record.status == .completed && record.finishedAt == now)
        #expect(try await store.lease(experiment: reaped.id, runner: "r5", max: 1, now: now).isEmpty)
        trial = try #require(try await store.trial(experiment: reaped.id, index: 0, owner: nil))
        #expect(trial.status == .failed && trial.attempts.map(\.reason).last == reason)
    }

    /// Lost leases and real failures of one trial are counted apart: three lost leases
    /// leave every retry, and a real failure after them still gets its retry.
    @Test(arguments: StoreKind.allCases)
    func lostLeasesAndRetriesAddUp(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 1, maxAttempts: 2, lease: .seconds(10))
        var now = T0
        for attempt in 1...3 {
            #expect(try await store.lease(experiment: experiment.id, runner: "r\(attempt)", max: 1, now: now).map(\.attempt) == [attempt])
            now = now.plus(10)
            #expect(try await store.expireLeases(now: now).trials == 1)
        }
        let fourth = try await store.lease(experiment: experiment.id, runner: "r4", max: 1, now: now)
        _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r4", seq: 1, events: [finished(fourth[0], .failed)]), now: now)
        #expect(try await store.experiment(id: experiment.id, owner: user.id)?.counts == TrialCounts(pending: 1))
        let fifth = try await store.lease(experiment: experiment.id, runner: "r5", max: 1, now: now)
        #expect(fifth.map(\.attempt) == [5])
        _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r5", seq: 1, events: [finished(fifth[0])]), now: now)
        let record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(succeeded: 1) && record.status == .completed)
        let trial = try #require(try await store.trial(experiment: experiment.id, index: 0, owner: user.id))
        #expect(trial.attempts.map(\.status) == [.failed, .failed, .failed, .failed, .succeeded])
    }
}
