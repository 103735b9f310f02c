import AssayCore
@testable import AssayStore
import AssayTestSupport
import Foundation
import Testing

/// What adaptive search needs of a store: trials created from a searcher's proposals
/// (keeping their parameters through leases and queries), and trials stopped early.
@Suite("Conformance: proposals and early stopping")
struct ConformanceSearchTests {
    static func proposal(_ lr: Double, epochs: Int) -> StoredParameters {
        StoredParameters(values: ["lr": .number(lr), "epochs": .number(Double(epochs)), "opt": .string("adam")])
    }

    @Test(arguments: StoreKind.allCases)
    func freshTrialsComeFromProposalsAndKeepTheirParameters(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 4, maxAttempts: 2)
        let first = [Self.proposal(0.1, epochs: 1), Self.proposal(0.01, epochs: 1), Self.proposal(0.5, epochs: 1)]

        // Two slots: two of the three proposals become trials 0 and 1; the third is dropped.
        let leases = try await store.lease(
            experiment: experiment.id, runner: "r1", max: 2, proposals: TrialProposals(firstIndex: 0, parameters: first), now: T0)
        #expect(leases.map(\.index) == [0, 1])
        #expect(leases.map(\.parameters) == [first[0], first[1]])

        // Proposals made for a history that moved on (index 0 again) create nothing.
        let stale = try await store.lease(
            experiment: experiment.id, runner: "r1", max: 2, proposals: TrialProposals(firstIndex: 0, parameters: first), now: T0.plus(1))
        #expect(stale.isEmpty)
        // No proposals at all: nothing fresh either (the counter is not a plan here).
        #expect(try await store.lease(experiment: experiment.id, runner: "r1", max: 2, proposals: .init(firstIndex: 2, parameters: []), now: T0.plus(1)).isEmpty)

        // A failed trial is requeued and leased again with the same parameters, ahead of new proposals.
        _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 1, events: [
            finished(leases[1], .failed),
        ]), now: T0.plus(2))
        let next = [Self.proposal(0.2, epochs: 3)]
        let again = try await store.lease(
            experiment: experiment.id, runner: "r2", max: 2, proposals: TrialProposals(firstIndex: 2, parameters: next), now: T0.plus(3))
        #expect(again.map(\.index) == [1, 2])
        #expect(again.map(\.attempt) == [2, 1])
        #expect(again.map(\.parameters) == [first[1], next[0]])

        let stored = try #require(try await store.trial(experiment: experiment.id, index: 2, owner: user.id))
        #expect(stored.parameters == next[0])
        let listed = try await store.trials(experiment: experiment.id, owner: user.id, query: TrialQuery())
        #expect(listed.map(\.parameters) == [first[0], first[1], next[0]])
        let record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(pending: 1, running: 3))
    }

    @Test(arguments: StoreKind.allCases)
    func aTrialStoppedEarlyIsFinalCountedAndRevoked(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 2, maxAttempts: 3)
        let leases = try await store.lease(experiment: experiment.id, runner: "r1", max: 2, now: T0)
        let reason = "best loss 0.9 by step 3 is worse than the median 0.5 of 3 completed trials by step 3"

        #expect(try await store.stopEarly(
            experiment: experiment.id, attempt: TrialAttempt(trial: 0, attempt: 1), reason: reason,
            final: Metrics([("loss", .number(0.9))]), now: T0.plus(4)))
        // Not twice, and not an attempt that is not the trial's running one.
        #expect(try await !store.stopEarly(
            experiment: experiment.id, attempt: TrialAttempt(trial: 0, attempt: 1), reason: reason, final: Metrics(), now: T0.plus(5)))
        #expect(try await !store.stopEarly(
            experiment: experiment.id, attempt: TrialAttempt(trial: 1, attempt: 2), reason: reason, final: Metrics(), now: T0.plus(5)))

        var record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(running: 1, stoppedEarly: 1))
        let trial = try #require(try await store.trial(experiment: experiment.id, index: 0, owner: user.id))
        #expect(trial.status == .stoppedEarly && trial.leaseDeadline == nil)
        #expect(trial.attempts.map(\.status) == [.stoppedEarly] && trial.attempts[0].reason == reason)
        #expect(trial.attempts[0].seconds == 4 && trial.final["loss"] == .number(0.9))

        // The Runner still running it hears so from its next batch; its late report changes nothing.
        let outcome = try await store.applyEvents(EventBatch(
            experiment: experiment.id, runner: "r1", seq: 1, events: [finished(leases[0], .failed)],
            active: [TrialAttempt(trial: 0, attempt: 1), TrialAttempt(trial: 1, attempt: 1)]), now: T0.plus(6))
        #expect(outcome.revoked == [TrialAttempt(trial: 0, attempt: 1)])
        // Never retried, though attempts remain.
        #expect(try await store.lease(experiment: experiment.id, runner: "r2", max: 2, now: T0.plus(7)).isEmpty)

        // The experiment completes once the other trial ends; stopped early counts as finished.
        let done = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 2, events: [
            finished(leases[1]),
        ]), now: T0.plus(8))
        #expect(done.experimentStatus == .completed)
        record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
        #expect(record.counts == TrialCounts(succeeded: 1, stoppedEarly: 1))
        #expect(try await !store.stopEarly(
            experiment: experiment.id, attempt: TrialAttempt(trial: 1, attempt: 1), reason: reason, final: Metrics(), now: T0.plus(9)))
    }
}
