import AssayCore
@testable import AssayStore
import AssayTestSupport
import Foundation
import Testing

@Suite("Conformance: the lease queue")
struct ConformanceLeaseTests {
    @Test(arguments: StoreKind.allCases)
    func freshIndexesInOrderWithDeadlines(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 5, lease: .seconds(20))
        let first = try await store.lease(experiment: experiment.id, runner: "r1", max: 3, now: T0)
        #expect(first == [0, 1, 2].map { TrialLease(index: $0, attempt: 1, deadline: T0.plus(20)) })
        let second = try await store.lease(experiment: experiment.id, runner: "r2", max: 3, now: T0.plus(1))
        #expect(second.map(\.index) == [3, 4])
        #expect(try await store.lease(experiment: experiment.id, runner: "r3", max: 3, now: T0.plus(2)).isEmpty)

        let record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.status == .running && record.startedAt == T0)
        #expect(record.counts == TrialCounts(running: 5))
        let trial = try #require(try await store.trial(experiment: experiment.id, index: 3, owner: user.id))
        #expect(trial.status == .running && trial.runner == "r2" && trial.attempt == 1 && trial.leaseDeadline == T0.plus(21))
        #expect(trial.attempts.map(\.status) == [.running] && trial.attempts[0].runner == "r2" && trial.attempts[0].leasedAt == T0.plus(1))
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentRunnersNeverShareATrial(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 120)
        let leased = try await withThrowingTaskGroup(of: [Int].self) { group in
            for runner in 0..<8 {
                group.addTask {
                    var mine: [Int] = []
                    while true {
                        let batch = try await store.lease(experiment: experiment.id, runner: "r\(runner)", max: 3, now: T0)
                        if batch.isEmpty { return mine }
                        mine += batch.map(\.index)
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(leased.count == 120)
        #expect(Set(leased) == Set(0..<120))
        let record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(running: 120))
    }

    @Test(arguments: StoreKind.allCases)
    func expiredLeasesComeBackAsTheNextAttempt(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 2, maxAttempts: 2, lease: .seconds(10))
        let first = try await store.lease(experiment: experiment.id, runner: "r1", max: 2, now: T0)
        #expect(first.map(\.attempt) == [1, 1])
        // Not yet expired: nothing to hand out.
        #expect(try await store.lease(experiment: experiment.id, runner: "r2", max: 2, now: T0.plus(9)).isEmpty)
        // r1 reports on trial 1 only, which renews both its leases.
        _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 1, events: [
            .log(trial: 1, attempt: 1, stream: .stdout, lines: ["alive"]),
        ]), now: T0.plus(5))
        #expect(try await store.lease(experiment: experiment.id, runner: "r2", max: 2, now: T0.plus(12)).isEmpty)
        // r1 goes silent: at T0+15 both leases (renewed to T0+15) have expired.
        let second = try await store.lease(experiment: experiment.id, runner: "r2", max: 2, now: T0.plus(15))
        #expect(second == [TrialLease(index: 0, attempt: 2, deadline: T0.plus(25)), TrialLease(index: 1, attempt: 2, deadline: T0.plus(25))])
        let trial = try #require(try await store.trial(experiment: experiment.id, index: 0, owner: user.id))
        #expect(trial.attempts.map(\.status) == [.failed, .running])
        #expect(trial.attempts[0].reason == "lease expired")
        #expect(trial.runner == "r2")

        // The late report of r1 about attempt 1 is ignored and revoked.
        let late = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 2, events: [
            finished(first[0]),
        ]), now: T0.plus(16))
        #expect(late.revoked == [TrialAttempt(trial: 0, attempt: 1)] && !late.duplicate)
        #expect(try await store.trial(experiment: experiment.id, index: 0, owner: user.id)?.status == .running)

        // Attempt 2 expires too: a lost lease spends no retry, the trials wait for attempt 3.
        #expect(try await store.expireLeases(now: T0.plus(40)).trials == 2)
        let record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(pending: 2))
        #expect(record.status == .running && record.finishedAt == nil)
        #expect(try await store.lease(experiment: experiment.id, runner: "r3", max: 2, now: T0.plus(41)).map(\.attempt) == [3, 3])
    }

    @Test(arguments: StoreKind.allCases)
    func reaperRequeuesForTheNextAttempt(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 3, maxAttempts: 3, lease: .seconds(10))
        _ = try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: T0)
        #expect(try await store.expireLeases(now: T0.plus(5)) == ExpiredLeases())
        let expired = try await store.expireLeases(now: T0.plus(10))
        #expect(expired.trials == 1)
        #expect(expired.experiments == [experiment.id], "the reaper names the experiment it changed")
        var record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(pending: 3))
        #expect(try await store.trial(experiment: experiment.id, index: 0, owner: user.id)?.status == .pending)
        // Requeued trials go before fresh indexes.
        let next = try await store.lease(experiment: experiment.id, runner: "r2", max: 2, now: T0.plus(11))
        #expect(next.map { [$0.index, $0.attempt] } == [[0, 2], [1, 1]])
        record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(pending: 1, running: 2))
    }
}
