import AssayCore
@testable import AssayStore
import AssayTestSupport
import Foundation
import Testing

/// A batch's `active` list: the attempts its Runner still runs, each answered in `revoked`
/// unless the Runner holds it, whether or not an event names it.
@Suite("Conformance: active attempts")
struct ConformanceActiveTests {
    /// A keep-alive of a Runner that holds its leases: nothing revoked, the leases renewed.
    @Test(arguments: StoreKind.allCases)
    func heldAttemptsAreKeptAndRenewed(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 2, lease: .seconds(10))
        _ = try await store.lease(experiment: experiment.id, runner: "r1", max: 2, now: T0)
        let outcome = try await store.applyEvents(EventBatch(
            experiment: experiment.id, runner: "r1", seq: 1, events: [], active: [attempt(0, 1), attempt(1, 1)]), now: T0.plus(5))
        #expect(outcome == BatchOutcome(duplicate: false, experimentStatus: .running, revoked: []))
        for index in 0..<2 {
            let trial = try #require(try await store.trial(experiment: experiment.id, index: index, owner: user.id))
            #expect(trial.leaseDeadline == T0.plus(15))
        }
    }

    /// The gap `active` closes: the Runner lost the server for longer than its lease, and the
    /// trial went to another Runner meanwhile. No event names it, yet it comes back revoked,
    /// and the other Runner keeps its lease.
    @Test(arguments: StoreKind.allCases)
    func anAttemptReLeasedToAnotherRunnerIsRevokedThoughNoEventNamesIt(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 3, maxAttempts: 2, lease: .seconds(10))
        _ = try await store.lease(experiment: experiment.id, runner: "r1", max: 2, now: T0)
        // r1 is cut off; at T0+11 its leases have run out and r2 takes both trials.
        let taken = try await store.lease(experiment: experiment.id, runner: "r2", max: 2, now: T0.plus(11))
        #expect(taken.map { attempt($0.index, $0.attempt) } == [attempt(0, 2), attempt(1, 2)])
        // r1 comes back with points of trial 1 and a keep-alive of trial 0.
        let outcome = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 1, events: [
            .metrics(trial: 1, attempt: 1, steps: [1], values: ["loss": [0.5]]),
        ], active: [attempt(0, 1), attempt(1, 1)]), now: T0.plus(12))
        #expect(outcome.revoked == [attempt(0, 1), attempt(1, 1)])
        #expect(outcome.revokedTrials == [0, 1])
        #expect(!outcome.duplicate && outcome.experimentStatus == .running)

        for index in 0..<2 {
            let trial = try #require(try await store.trial(experiment: experiment.id, index: index, owner: user.id))
            #expect(trial.status == .running && trial.runner == "r2" && trial.attempt == 2, "r2 keeps trial \(index)")
            #expect(trial.leaseDeadline == T0.plus(21), "r1's batch renews none of r2's leases")
        }
        #expect(try await store.metricSeries(experiment: experiment.id, trial: 1, owner: user.id).isEmpty)
        // r2 holds both: its own keep-alive revokes nothing.
        let second = try await store.applyEvents(EventBatch(
            experiment: experiment.id, runner: "r2", seq: 1, events: [], active: [attempt(0, 2), attempt(1, 2)]), now: T0.plus(13))
        #expect(second.revoked == [])
    }

    /// Handed back to the same Runner as its next attempt: the old attempt is revoked, the new one held.
    @Test(arguments: StoreKind.allCases)
    func aSupersededAttemptOfTheSameRunnerIsRevoked(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (_, experiment) = try await seed(store, trials: 1, maxAttempts: 3, lease: .seconds(10))
        _ = try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: T0)
        let again = try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: T0.plus(11))
        #expect(again.map(\.attempt) == [2])
        let outcome = try await store.applyEvents(EventBatch(
            experiment: experiment.id, runner: "r1", seq: 1, events: [], active: [attempt(0, 1), attempt(0, 2)]), now: T0.plus(12))
        #expect(outcome.revoked == [attempt(0, 1)])
    }

    /// An expired lease (the trial is requeued for its next attempt), an attempt the Runner
    /// never leased, and an attempt it already reported ended are not running under its name.
    @Test(arguments: StoreKind.allCases)
    func attemptsThatDoNotRunUnderTheRunnerAreRevoked(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 4, lease: .seconds(10))
        let leases = try await store.lease(experiment: experiment.id, runner: "r1", max: 2, now: T0)
        _ = try await store.lease(experiment: experiment.id, runner: "r2", max: 1, now: T0)
        _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 1, events: [finished(leases[1])]), now: T0.plus(1))
        #expect(try await store.expireLeases(now: T0.plus(11)).trials == 2)
        #expect(try await store.trial(experiment: experiment.id, index: 0, owner: user.id)?.status == .pending)

        let outcome = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 2, events: [], active: [
            attempt(0, 1), attempt(1, 1), attempt(2, 1), attempt(3, 1), attempt(9, 1),
        ]), now: T0.plus(12))
        #expect(outcome.revoked == [attempt(0, 1), attempt(1, 1), attempt(2, 1), attempt(3, 1), attempt(9, 1)])
        // Only the keep-alive said so: the requeued trial stays as the reaper left it.
        let trial = try #require(try await store.trial(experiment: experiment.id, index: 0, owner: user.id))
        #expect(trial.status == .pending && trial.attempts.map(\.reason) == ["lease expired"])
    }

    /// Once the experiment is final nothing is held any more, even a lease still running.
    @Test(arguments: StoreKind.allCases)
    func everyActiveAttemptOfACanceledExperimentIsRevoked(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 3)
        _ = try await store.lease(experiment: experiment.id, runner: "r1", max: 2, now: T0)
        _ = try await store.cancelExperiment(id: experiment.id, owner: user.id, now: T0.plus(1))
        let outcome = try await store.applyEvents(EventBatch(
            experiment: experiment.id, runner: "r1", seq: 1, events: [], active: [attempt(0, 1), attempt(1, 1)]), now: T0.plus(2))
        #expect(outcome.experimentStatus == .canceled)
        #expect(outcome.revoked == [attempt(0, 1), attempt(1, 1)])
    }

    /// A retried batch is not applied again, but its `active` list is still answered: the
    /// first answer may be the one that was lost.
    @Test(arguments: StoreKind.allCases)
    func aDuplicateBatchStillAnswersForActive(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 2, maxAttempts: 2, lease: .seconds(10))
        _ = try await store.lease(experiment: experiment.id, runner: "r1", max: 2, now: T0)
        let batch = EventBatch(experiment: experiment.id, runner: "r1", seq: 4, events: [
            .log(trial: 1, attempt: 1, stream: .stdout, lines: ["once"]),
        ], active: [attempt(0, 1), attempt(1, 1)])
        #expect(try await store.applyEvents(batch, now: T0.plus(5)).revoked == [])
        // The answer was lost; the retry is not applied again, renews nothing, and r1 holds both.
        let early = try await store.applyEvents(batch, now: T0.plus(6))
        #expect(early.duplicate && early.revoked == [])
        #expect(try await store.trial(experiment: experiment.id, index: 1, owner: user.id)?.leaseDeadline == T0.plus(15))
        // Lost again, until the leases ran out and r2 took both trials.
        #expect(try await store.lease(experiment: experiment.id, runner: "r2", max: 2, now: T0.plus(16)).map(\.index) == [0, 1])
        let late = try await store.applyEvents(batch, now: T0.plus(17))
        #expect(late.duplicate && late.revoked == [attempt(0, 1), attempt(1, 1)])
        #expect(try await store.logs(experiment: experiment.id, trial: 1, owner: user.id, limit: 10).map(\.text) == ["once"])
        #expect(try await store.trial(experiment: experiment.id, index: 1, owner: user.id)?.leaseDeadline == T0.plus(26))
    }
}

private func attempt(_ trial: Int, _ attempt: Int) -> TrialAttempt {
    TrialAttempt(trial: trial, attempt: attempt)
}
