import AssayCore
@testable import AssayStore
import AssayTestSupport
import Foundation
import Testing

@Suite("Conformance: event batches")
struct ConformanceEventTests {
    @Test(arguments: StoreKind.allCases)
    func aSweepRunsToCompletion(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 3, maxAttempts: 2)
        let leases = try await store.lease(experiment: experiment.id, runner: "r1", max: 3, now: T0)
        var outcome = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 1, events: [
            .metrics(trial: 0, attempt: 1, steps: [1, 2, 3], values: ["loss": [0.5, 0.4, 0.3], "acc": [0.7, nil, 0.9]]),
            .log(trial: 0, attempt: 1, stream: .stdout, lines: ["epoch 1", "epoch 2"]),
            .log(trial: 0, attempt: 1, stream: .stderr, lines: ["warning"]),
            finished(leases[0], metrics: [("loss", .number(0.3)), ("acc", .number(0.9))]),
            finished(leases[1], .failed),
        ]), now: T0.plus(2))
        #expect(outcome == BatchOutcome(duplicate: false, experimentStatus: .running, revoked: []))
        var record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(pending: 1, running: 1, succeeded: 1))

        // The failed trial had an attempt left: it is requeued and comes back as attempt 2.
        let retry = try await store.lease(experiment: experiment.id, runner: "r2", max: 5, now: T0.plus(3))
        #expect(retry == [TrialLease(index: 1, attempt: 2, deadline: T0.plus(33))])
        outcome = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 2, events: [
            // Late points of an attempt that already ended, from its own runner: kept.
            .metrics(trial: 0, attempt: 1, steps: [4], values: ["loss": [0.25]]),
            finished(leases[2], .timedOut),
        ]), now: T0.plus(4))
        #expect(outcome.experimentStatus == .running)
        record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(pending: 1, running: 1, succeeded: 1))
        let third = try await store.lease(experiment: experiment.id, runner: "r1", max: 5, now: T0.plus(5))
        #expect(third.map(\.index) == [2])
        outcome = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r2", seq: 1, events: [
            finished(retry[0], metrics: [("loss", .number(0.6))]),
        ]), now: T0.plus(6))
        outcome = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 3, events: [
            finished(third[0], .timedOut),
        ]), now: T0.plus(7))
        #expect(outcome.experimentStatus == .completed)
        record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(succeeded: 2, timedOut: 1))
        #expect(record.status == .completed && record.finishedAt == T0.plus(7))

        let trial0 = try #require(try await store.trial(experiment: experiment.id, index: 0, owner: user.id))
        #expect(trial0.status == .succeeded && trial0.final["loss"] == .number(0.3) && trial0.final["acc"] == .number(0.9))
        #expect(trial0.attempts.count == 1 && trial0.attempts[0].exitCode == 0 && trial0.attempts[0].seconds == 1.5)
        #expect(trial0.attempts[0].finishedAt == T0.plus(2) && trial0.leaseDeadline == nil)
        let trial1 = try #require(try await store.trial(experiment: experiment.id, index: 1, owner: user.id))
        #expect(trial1.attempts.map(\.status) == [.failed, .succeeded] && trial1.attempts.map(\.runner) == ["r1", "r2"])
        let trial2 = try #require(try await store.trial(experiment: experiment.id, index: 2, owner: user.id))
        #expect(trial2.status == .timedOut && trial2.attempts.map(\.status) == [.timedOut, .timedOut])

        let series = try await store.metricSeries(experiment: experiment.id, trial: 0, owner: user.id)
        #expect(series == [MetricSeries(attempt: 1, steps: [1, 2, 3, 4], values: ["loss": [0.5, 0.4, 0.3, 0.25], "acc": [0.7, nil, 0.9, nil]])])
        let logs = try await store.logs(experiment: experiment.id, trial: 0, owner: user.id, limit: 10)
        #expect(logs.map(\.text) == ["epoch 1", "epoch 2", "warning"])
        #expect(logs.map(\.stream) == [.stdout, .stdout, .stderr])
    }

    @Test(arguments: StoreKind.allCases)
    func aRetriedBatchChangesNothing(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 2)
        let leases = try await store.lease(experiment: experiment.id, runner: "r1", max: 2, now: T0)
        let batch = EventBatch(experiment: experiment.id, runner: "r1", seq: 7, events: [
            .metrics(trial: 0, attempt: 1, steps: [1], values: ["loss": [1.0]]),
            .log(trial: 0, attempt: 1, stream: .stdout, lines: ["once"]),
            finished(leases[0], metrics: [("loss", .number(1.0))]),
        ])
        let first = try await store.applyEvents(batch, now: T0.plus(1))
        let before = try await store.experiment(id: experiment.id, owner: user.id)
        let again = try await store.applyEvents(batch, now: T0.plus(2))
        #expect(!first.duplicate && again.duplicate)
        #expect(try await store.experiment(id: experiment.id, owner: user.id) == before)
        #expect(try await store.metricSeries(experiment: experiment.id, trial: 0, owner: user.id).first?.steps == [1])
        #expect(try await store.logs(experiment: experiment.id, trial: 0, owner: user.id, limit: 10).map(\.text) == ["once"])
        // The same seq from another runner is a different batch.
        let other = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r2", seq: 7, events: []), now: T0.plus(3))
        #expect(!other.duplicate)
    }

    @Test(arguments: StoreKind.allCases)
    func logsKeepTheirTail(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 1)
        _ = try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: T0)
        for seq in 0..<5 {
            _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: seq, events: [
                .log(trial: 0, attempt: 1, stream: .stdout, lines: (0..<400).map { "line \(seq * 400 + $0)" }),
            ]), now: T0)
        }
        let tail = try await store.logs(experiment: experiment.id, trial: 0, owner: user.id, limit: 1000)
        #expect(tail.count == 1000)
        #expect(tail.last?.text == "line 1999" && tail.first?.text == "line 1000")
        #expect(try await store.logs(experiment: experiment.id, trial: 0, owner: user.id, limit: 3).map(\.text) == ["line 1997", "line 1998", "line 1999"])
    }

    @Test(arguments: StoreKind.allCases)
    func cancelStopsTheQueueAndCountsEveryTrial(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 10)
        let leases = try await store.lease(experiment: experiment.id, runner: "r1", max: 2, now: T0)
        let canceled = try #require(try await store.cancelExperiment(id: experiment.id, owner: user.id, now: T0.plus(1)))
        #expect(canceled.status == .canceled && canceled.finishedAt == T0.plus(1))
        #expect(canceled.counts == TrialCounts(running: 2, canceled: 8))
        #expect(try await store.lease(experiment: experiment.id, runner: "r2", max: 5, now: T0.plus(2)).isEmpty)
        let outcome = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 1, events: [
            finished(leases[0], .canceled),
        ]), now: T0.plus(3))
        #expect(outcome.experimentStatus == .canceled)
        // The other running trial's lease expires: it counts as canceled, not retried.
        _ = try await store.expireLeases(now: T0.plus(100))
        let record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(canceled: 10))
        #expect(record.status == .canceled)
        // Canceling again changes nothing.
        #expect(try await store.cancelExperiment(id: experiment.id, owner: user.id, now: T0.plus(200)) == record)
    }

    @Test(arguments: StoreKind.allCases)
    func infrastructureFailureKeepsItsReason(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 4)
        _ = try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: T0)
        let failed = try #require(try await store.failExperiment(id: experiment.id, reason: "setup exited 1: no module named torch", now: T0.plus(1)))
        #expect(failed.status == .failed && failed.reason == "setup exited 1: no module named torch")
        #expect(failed.counts == TrialCounts(running: 1, canceled: 3))
        #expect(try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: T0.plus(2)).isEmpty)
        #expect(try await store.experiments(inStatus: [.failed]).map(\.id).contains(experiment.id))
        #expect(try await store.experiments(inStatus: [.running, .queued]).map(\.id).contains(experiment.id) == false)
        _ = user
    }

    @Test(arguments: StoreKind.allCases)
    func theNotificationIsClaimedOnce(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 1)
        let leases = try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: T0)
        #expect(try await store.claimNotification(experiment: experiment.id, runner: "r1", now: T0) == false)  // not final yet
        _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 1, events: [finished(leases[0])]), now: T0)

        let claims = try await withThrowingTaskGroup(of: Bool.self) { group in
            for runner in 0..<6 {
                group.addTask { try await store.claimNotification(experiment: experiment.id, runner: "r\(runner)", now: T0.plus(1)) }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(claims.filter { $0 }.count == 1)
        #expect(try await store.experiment(id: experiment.id, owner: user.id)?.notification.state == .claimed)

        try await store.recordNotification(experiment: experiment.id, outcome: .failed("connection refused"), now: T0.plus(2))
        var status = try #require(try await store.experiment(id: experiment.id, owner: user.id)?.notification)
        #expect(status.state == .failed && status.lastError == "connection refused" && status.attempts == 1)
        #expect(try await store.claimNotification(experiment: experiment.id, runner: "r9", now: T0.plus(3)))
        try await store.recordNotification(experiment: experiment.id, outcome: .sent, now: T0.plus(4))
        status = try #require(try await store.experiment(id: experiment.id, owner: user.id)?.notification)
        #expect(status.state == .sent && status.sentAt == T0.plus(4) && status.attempts == 2)
        #expect(try await store.claimNotification(experiment: experiment.id, runner: "r1", now: T0.plus(5)) == false)
    }
}
