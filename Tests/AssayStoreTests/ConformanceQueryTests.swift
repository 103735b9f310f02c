@testable import AssayCore
@testable import AssayStore
import AssayTestSupport
import Foundation
import Testing

@Suite("Conformance: queries, hostile input, invariants")
struct ConformanceQueryTests {
    @Test(arguments: StoreKind.allCases)
    func trialsSortByAnyMetricWithMissingValuesLast(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 6)
        let leases = try await store.lease(experiment: experiment.id, runner: "r1", max: 6, now: T0)
        let accuracy: [Double?] = [0.5, 0.9, nil, 0.7, 0.9, 0.1]
        var events: [RunnerEvent] = []
        for (lease, value) in zip(leases, accuracy) {
            events.append(finished(lease, value == nil ? .failed : .succeeded,
                                   metrics: value.map { [("acc", .number($0)), ("note", .text("n\(lease.index)"))] } ?? []))
        }
        _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r1", seq: 1, events: events), now: T0)
        func order(_ query: TrialQuery) async throws -> [Int] {
            try await store.trials(experiment: experiment.id, owner: user.id, query: query).map(\.index)
        }
        #expect(try await order(TrialQuery()) == [0, 1, 2, 3, 4, 5])
        #expect(try await order(TrialQuery(order: .metric("acc", descending: true))) == [1, 4, 3, 0, 5, 2])
        #expect(try await order(TrialQuery(order: .metric("acc", descending: false))) == [5, 0, 3, 1, 4, 2])
        #expect(try await order(TrialQuery(order: .metric("acc", descending: true), offset: 1, limit: 2)) == [4, 3])
        #expect(try await order(TrialQuery(status: .failed)) == [2])
        #expect(try await order(TrialQuery(order: .metric("missing", descending: true))) == [0, 1, 2, 3, 4, 5])
        let trial = try #require(try await store.trial(experiment: experiment.id, index: 4, owner: user.id))
        #expect(trial.final.names == ["acc", "note"] && trial.final["note"] == .text("n4"))

        let visited = Indexes()
        try await store.forEachTrial(experiment: experiment.id, owner: user.id) { await visited.add($0.index) }
        #expect(await visited.values == [0, 1, 2, 3, 4, 5])
    }

    /// Names and text are data: never query operators, paths or SQL.
    @Test(arguments: StoreKind.allCases)
    func hostileInputRoundTripsVerbatim(kind: StoreKind) async throws {
        let store = try await kind.open()
        let huge = String(repeating: "é", count: 500_000)
        let (user, experiment) = try await seed(store, trials: 2, name: "$where: 1 == 1", tags: ["$ne", "a.b", "'; DROP TABLE trials; --"])
        let withHuge = try await store.createExperiment(
            NewExperiment(owner: user.id, name: "{\"$gt\": \"\"}", description: huge, declaration: "{\"$set\": {\"a.b\": 1}}", trialCount: 1),
            now: T0)
        #expect(try await store.experiment(id: withHuge.id, owner: user.id)?.description == huge)
        #expect(try await store.experiment(id: withHuge.id, owner: user.id)?.declaration == "{\"$set\": {\"a.b\": 1}}")
        #expect(try await store.experiment(id: experiment.id, owner: user.id)?.tags == ["$ne", "a.b", "'; DROP TABLE trials; --"])

        let names = ["$gt", "a.b", "x y\t", "__proto__", "'; --", "$"]
        let leases = try await store.lease(experiment: experiment.id, runner: "r$1", max: 2, now: T0)
        let metrics = names.enumerated().map { ($0.element, ResultValue.number(Double($0.offset))) }
        _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: "r$1", seq: 1, events: [
            .metrics(trial: 0, attempt: 1, steps: [nil, 2], values: Dictionary(uniqueKeysWithValues: names.map { ($0, [1.0, nil]) })),
            .log(trial: 0, attempt: 1, stream: .stdout, lines: ["nul \u{0} byte", "{\"$gt\": 1}", huge]),
            finished(leases[0], metrics: metrics),
        ]), now: T0)
        let trial = try #require(try await store.trial(experiment: experiment.id, index: 0, owner: user.id))
        #expect(Set(trial.final.names) == Set(names))
        for (name, value) in metrics { #expect(trial.final[name] == value) }
        let series = try await store.metricSeries(experiment: experiment.id, trial: 0, owner: user.id)
        #expect(series.first?.steps == [nil, 2] && Set(series.first?.values.keys ?? [:].keys) == Set(names))
        #expect(try await store.logs(experiment: experiment.id, trial: 0, owner: user.id, limit: 5).map(\.text) == ["nul \u{0} byte", "{\"$gt\": 1}", huge])
        #expect(try await store.trials(experiment: experiment.id, owner: user.id, query: TrialQuery(order: .metric("$gt", descending: false))).map(\.index) == [0, 1])

        // Filters are literal.
        let byText = try await store.experiments(owner: user.id, filter: ExperimentFilter(text: "$where"), page: PageRequest())
        #expect(byText.items.map(\.id) == [experiment.id])
        #expect(try await store.experiments(owner: user.id, filter: ExperimentFilter(text: ".*"), page: PageRequest()).items.isEmpty)
        #expect(try await store.experiments(owner: user.id, filter: ExperimentFilter(tag: "$ne"), page: PageRequest()).items.map(\.id) == [experiment.id])
        #expect(try await store.user(named: "{\"$ne\": null}") == nil)
        #expect(try await store.credential(secretHash: "{\"$ne\": null}", now: T0) == nil)
    }

    /// Counts always equal the trials' states, whatever happens in between.
    @Test(arguments: StoreKind.allCases)
    func countsAlwaysAddUp(kind: StoreKind) async throws {
        let store = try await kind.open()
        let (user, experiment) = try await seed(store, trials: 40, maxAttempts: 2, lease: .seconds(10))
        var generator = SplitMix64(seed: 42)  // AssayCore's plan generator, reused
        var now = T0
        var held: [String: [TrialLease]] = [:]
        var seq = 0
        for step in 0..<60 {
            now = now.plus(Double(generator.next() % 4))
            let runner = "r\(generator.next() % 3)"
            switch generator.next() % 4 {
            case 0, 1:
                held[runner, default: []] += try await store.lease(experiment: experiment.id, runner: runner, max: Int(generator.next() % 4) + 1, now: now)
            case 2:
                let mine = held[runner] ?? []
                guard !mine.isEmpty else { continue }
                let lease = mine[Int(generator.next() % UInt64(mine.count))]
                let statuses: [TrialStatus] = [.succeeded, .failed, .timedOut]
                seq += 1
                _ = try await store.applyEvents(EventBatch(experiment: experiment.id, runner: runner, seq: seq, events: [
                    finished(lease, statuses[Int(generator.next() % 3)]),
                ]), now: now)
                held[runner]?.removeAll { $0 == lease }
            default:
                _ = try await store.expireLeases(now: now)
            }
            let record = try #require(try await store.experiment(id: experiment.id, owner: user.id))
            let trials = try await store.trials(experiment: experiment.id, owner: user.id, query: TrialQuery(limit: 1000))
            var fromTrials = TrialCounts(pending: record.trialCount - trials.count)
            for trial in trials { fromTrials[trial.status] += 1 }
            #expect(record.counts.total == record.trialCount, "step \(step)")
            #expect(record.counts == fromTrials, "step \(step)")
        }
    }
}

actor Indexes {
    var values: [Int] = []
    func add(_ index: Int) { values.append(index) }
}
