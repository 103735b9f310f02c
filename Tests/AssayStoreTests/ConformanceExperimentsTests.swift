import AssayCore
@testable import AssayStore
import AssayTestSupport
import Foundation
import Testing

@Suite("Conformance: experiments")
struct ConformanceExperimentsTests {
    @Test(arguments: StoreKind.allCases)
    func creationIsConstantInTheTrialCount(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 1_000_000, maxAttempts: 2)
        #expect(experiment.status == .queued)
        #expect(experiment.counts == TrialCounts(pending: 1_000_000))
        #expect(experiment.trialCount == 1_000_000 && experiment.maxAttempts == 2 && experiment.leaseSeconds == 30)
        #expect(experiment.createdAt == T0 && experiment.startedAt == nil && !experiment.archived)
        #expect(experiment.notification.state == .pending)
        #expect(try await store.trials(experiment: experiment.id, owner: user.id, query: TrialQuery()).isEmpty)
        #expect(try await store.experiment(id: experiment.id, owner: user.id) == experiment)
        #expect(try await store.experiment(id: experiment.id, owner: nil) == experiment)
    }

    @Test(arguments: StoreKind.allCases)
    func listingFiltersAndPagesStably(kind: StoreKind) async throws {
        let store = try await kind.open()
        let ada = try await store.createUser(username: "ada", passwordHash: "h", isAdmin: false, now: T0)
        let bob = try await store.createUser(username: "bob", passwordHash: "h", isAdmin: false, now: T0)
        var created: [ExperimentRecord] = []
        for index in 0..<7 {
            let experiment = try await store.createExperiment(
                NewExperiment(owner: ada.id, name: index == 3 ? "Big 100%_sweep" : "sweep \(index)",
                              description: index == 5 ? "uses the VISION model" : nil,
                              tags: index.isMultiple(of: 2) ? ["even", "all"] : ["all"], declaration: "{}", trialCount: 1),
                now: T0.plus(Double(index)))
            created.append(experiment)
        }
        _ = try await store.createExperiment(NewExperiment(owner: bob.id, name: "bob's", declaration: "{}", trialCount: 1), now: T0)

        func names(_ filter: ExperimentFilter) async throws -> [String] {
            try await store.experiments(owner: ada.id, filter: filter, page: PageRequest(limit: 100)).items.map(\.name)
        }
        #expect(try await names(ExperimentFilter()) == created.reversed().map(\.name))
        #expect(try await names(ExperimentFilter(tag: "even")) == ["sweep 6", "sweep 4", "sweep 2", "sweep 0"])
        #expect(try await names(ExperimentFilter(text: "vision")) == ["sweep 5"])
        #expect(try await names(ExperimentFilter(text: "100%_")) == ["Big 100%_sweep"])
        #expect(try await names(ExperimentFilter(text: "%")) == ["Big 100%_sweep"])
        #expect(try await names(ExperimentFilter(text: "_")) == ["Big 100%_sweep"])
        _ = try await store.cancelExperiment(id: created[1].id, owner: ada.id, now: T0)
        #expect(try await names(ExperimentFilter(status: .canceled)) == ["sweep 1"])
        #expect(try await store.setArchived(id: created[2].id, owner: ada.id, archived: true)?.archived == true)
        #expect(try await store.experiment(id: created[2].id, owner: ada.id)?.archived == true)
        #expect(try await !names(ExperimentFilter()).contains("sweep 2"))
        #expect(try await names(ExperimentFilter(includeArchived: true)).contains("sweep 2"))
        #expect(try await store.setArchived(id: created[2].id, owner: ada.id, archived: false)?.archived == false)
        #expect(try await names(ExperimentFilter()).contains("sweep 2"))
        _ = try await store.setArchived(id: created[2].id, owner: ada.id, archived: true)

        // Pages of 2 stay stable while newer experiments are added between requests.
        var seen: [String] = []
        var page = try await store.experiments(owner: ada.id, filter: ExperimentFilter(includeArchived: true), page: PageRequest(limit: 2))
        seen += page.items.map(\.name)
        _ = try await store.createExperiment(NewExperiment(owner: ada.id, name: "newest", declaration: "{}", trialCount: 1), now: T0.plus(100))
        while let next = page.next {
            page = try await store.experiments(owner: ada.id, filter: ExperimentFilter(includeArchived: true), page: PageRequest(limit: 2, after: next))
            seen += page.items.map(\.name)
        }
        #expect(seen == created.reversed().map(\.name))
    }

    @Test(arguments: StoreKind.allCases)
    func anotherOwnersExperimentIsInvisible(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (ada, experiment) = try await seed(store, trials: 3)
        let bob = try await store.createUser(username: "bob", passwordHash: "h", isAdmin: false, now: T0)
        let lease = try await store.lease(experiment: experiment.id, runner: "r1", max: 1, now: T0)
        _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 1, events: [finished(lease[0])]), now: T0)

        #expect(try await store.experiment(id: experiment.id, owner: bob.id) == nil)
        #expect(try await store.experiments(owner: bob.id, filter: ExperimentFilter(includeArchived: true), page: PageRequest()).items.isEmpty)
        try await expectNotFound(store, experiment: experiment.id, owner: bob.id)
        #expect(try await store.cancelExperiment(id: experiment.id, owner: bob.id, now: T0) == nil)
        #expect(try await store.setArchived(id: experiment.id, owner: bob.id, archived: true) == nil)
        #expect(try await store.setPublic(id: experiment.id, owner: bob.id, isPublic: true) == nil)
        #expect(try await store.deleteExperiment(id: experiment.id, owner: bob.id) == false)
        // Still all there for its owner.
        let mine = try #require(try await store.experiment(id: experiment.id, owner: ada.id))
        #expect(mine.status == .running && !mine.archived)
        #expect(try await store.trials(experiment: experiment.id, owner: ada.id, query: TrialQuery()).count == 1)
        #expect(try await store.experiment(id: "00000000000000000000000000", owner: ada.id) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func onlyTheOwnerMakesAnExperimentPublicAndItSurvivesStateChanges(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (ada, experiment) = try await seed(store, trials: 2)
        #expect(try await store.experiment(id: experiment.id, owner: ada.id)?.isPublic == false)
        #expect(try await store.setPublic(id: experiment.id, owner: ada.id, isPublic: true)?.isPublic == true)
        // A later state write (cancel) keeps the flag.
        _ = try await store.cancelExperiment(id: experiment.id, owner: ada.id, now: T0)
        let record = try #require(try await store.experiment(id: experiment.id, owner: nil))
        #expect(record.isPublic && record.status == .canceled)
        #expect(try await store.setPublic(id: experiment.id, owner: ada.id, isPublic: false)?.isPublic == false)
        #expect(try await store.experiment(id: experiment.id, owner: ada.id)?.isPublic == false)
    }

    @Test(arguments: StoreKind.allCases)
    func deleteRemovesEverything(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (ada, experiment) = try await seed(store, trials: 2)
        let leases = try await store.lease(experiment: experiment.id, runner: "r1", max: 2, now: T0)
        _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 1, events: [
            .metrics(trial: 0, attempt: 1, steps: [1], values: ["loss": [0.5]]),
            .log(trial: 0, attempt: 1, stream: .stdout, lines: ["hello"]),
            finished(leases[0]),
        ]), now: T0)
        #expect(try await store.deleteExperiment(id: experiment.id, owner: ada.id))
        #expect(try await store.experiment(id: experiment.id, owner: nil) == nil)
        try await expectNotFound(store, experiment: experiment.id, owner: nil)
        #expect(try await store.deleteExperiment(id: experiment.id, owner: ada.id) == false)
    }
}

actor Counter {
    var value = 0
    func increment() { value += 1 }
}

/// Every query on an experiment the caller cannot see throws `notFound`
/// (the server answers 404 from that one error), and visits nothing.
func expectNotFound(_ store: any ExperimentStore, experiment: ExperimentID, owner: UserID?, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    func isNotFound(_ body: () async throws -> Void) async -> Bool {
        do {
            try await body()
            return false
        } catch let error as StoreError {
            if case .notFound = error { return true }
            return false
        } catch {
            return false
        }
    }
    #expect(await isNotFound { _ = try await store.trials(experiment: experiment, owner: owner, query: TrialQuery()) }, sourceLocation: sourceLocation)
    #expect(await isNotFound { _ = try await store.trial(experiment: experiment, index: 0, owner: owner) }, sourceLocation: sourceLocation)
    #expect(await isNotFound { _ = try await store.metricSeries(experiment: experiment, trial: 0, owner: owner) }, sourceLocation: sourceLocation)
    #expect(await isNotFound { _ = try await store.logs(experiment: experiment, trial: 0, owner: owner, limit: 10) }, sourceLocation: sourceLocation)
    let visited = Counter()
    #expect(await isNotFound { try await store.forEachTrial(experiment: experiment, owner: owner) { _ in await visited.increment() } }, sourceLocation: sourceLocation)
    #expect(await visited.value == 0, sourceLocation: sourceLocation)
}
