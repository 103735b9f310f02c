import AssayCore
import AssayStore
import Foundation

/// Store throughput on both implementations, each figure next to its
/// baseline from the same run: leases and metric ingest with 1 and 8
/// concurrent writers, batched against one point per batch, and creating a
/// 10^6-trial experiment against a 10-trial one (O(1) means a ratio near 1).
enum StoreBenchmark {
    struct Figures {
        var store: String
        var createSmallMs: Double
        var createHugeMs: Double
        var leasesPerSecond: [Int: Double] = [:]  // writers → leases/s
        var valuesPerSecondBatched: [Int: Double] = [:]  // writers → metric values/s
        var valuesPerSecondSingle: Double = 0
        var rssBytes: Int = 0
    }

    /// `scale` shrinks the operation counts for a slow store (rates stay comparable).
    static func run(name: String, scale: Double = 1, open: () async throws -> any ExperimentStore) async throws -> Figures {
        func scaled(_ count: Int) -> Int { max(8, Int(Double(count) * scale)) }
        let store = try await open()
        let user = try await store.createUser(username: "bench", passwordHash: "x", isAdmin: false, now: Date())
        func create(_ trials: Int) async throws -> (ExperimentRecord, Double) {
            let clock = ContinuousClock()
            var record: ExperimentRecord?
            let elapsed = try await clock.measure {
                record = try await store.createExperiment(
                    NewExperiment(owner: user.id, name: "bench", declaration: "{}", trialCount: trials, leaseDuration: .seconds(600)),
                    now: Date())
            }
            return (record!, milliseconds(elapsed))
        }
        // Warm up, then creation time for 10 vs 10^6 trials (median of 5).
        _ = try await create(10)
        var small: [Double] = [], huge: [Double] = []
        for _ in 0..<5 {
            small.append(try await create(10).1)
            huge.append(try await create(1_000_000).1)
        }
        var figures = Figures(store: name, createSmallMs: median(small), createHugeMs: median(huge))

        for writers in [1, 8] {
            let (experiment, _) = try await create(100_000)
            let leasesEach = scaled(2_000) / writers
            let seconds = try await timed {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<writers {
                        group.addTask {
                            var leased = 0
                            while leased < leasesEach {
                                let batch = try await store.lease(experiment: experiment.id, runner: "w\(writer)", max: 1, now: Date())
                                precondition(!batch.isEmpty)
                                leased += batch.count
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            figures.leasesPerSecond[writers] = Double(leasesEach * writers) / seconds

            // Metric ingest: each writer holds one trial and posts batches of 50 points × 4 metrics.
            let (metricsExperiment, _) = try await create(100)
            let batches = scaled(400) / writers
            let values = try await timed {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<writers {
                        group.addTask {
                            let lease = try await store.lease(experiment: metricsExperiment.id, runner: "m\(writer)", max: 1, now: Date())[0]
                            for seq in 0..<batches {
                                let steps = (0..<50).map { Optional(seq * 50 + $0) }
                                let series = Dictionary(uniqueKeysWithValues: ["loss", "acc", "lr", "grad"].map { name in
                                    (name, steps.map { Double($0!) * 0.001 as Double? })
                                })
                                _ = try await store.applyEvents(EventBatch(
                                    experiment: metricsExperiment.id, runner: "m\(writer)", seq: seq,
                                    events: [.metrics(trial: lease.index, attempt: lease.attempt, steps: steps, values: series)]), now: Date())
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            figures.valuesPerSecondBatched[writers] = Double(batches * writers * 50 * 4) / values
        }

        // Baseline: the same values one point per batch (the way GLADOS Runners report), 1 writer.
        let (singleExperiment, _) = try await create(1)
        let lease = try await store.lease(experiment: singleExperiment.id, runner: "s", max: 1, now: Date())[0]
        let points = scaled(1_000)
        let single = try await timed {
            for seq in 0..<points {
                _ = try await store.applyEvents(EventBatch(
                    experiment: singleExperiment.id, runner: "s", seq: seq,
                    events: [.metrics(trial: lease.index, attempt: lease.attempt, steps: [seq], values: ["loss": [0.5]])]), now: Date())
            }
        }
        figures.valuesPerSecondSingle = Double(points) / single
        figures.rssBytes = residentBytes()
        return figures
    }

    static func timed(_ body: () async throws -> Void) async throws -> Double {
        let clock = ContinuousClock()
        return seconds(try await clock.measure { try await body() })
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    static func milliseconds(_ d: Duration) -> Double { seconds(d) * 1000 }
    static func seconds(_ d: Duration) -> Double { d.inSeconds }
}
