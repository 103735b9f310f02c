import AssayStore
import Foundation

// `make bench`: each benchmark against a baseline measured in the same run;
// ratios printed, figures written to benchmarks/out/latest.json.
// `assay-bench plan engine store` runs a subset.

let selected = Set(CommandLine.arguments.dropFirst())
func wanted(_ name: String) -> Bool { selected.isEmpty || selected.contains(name) }
func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
/// Printed at once (stdout to a pipe is otherwise block-buffered until exit).
func print(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

print("Assay benchmarks on \(ProcessInfo.processInfo.activeProcessorCount) cores")
var report: [String: Any] = [
    "date": ISO8601DateFormatter().string(from: Date()),
    "cores": ProcessInfo.processInfo.activeProcessorCount,
]

if wanted("plan") {
    let plan = try PlanBenchmark.run(lookups: 1_000_000)
    let ratio = plan.hugeNanoseconds / plan.smallNanoseconds
    print("""

    plan[i] on a \(plan.count)-point grid (12 parameters):
      \(f(plan.hugeNanoseconds, 0)) ns per index (\(f(1e3 / plan.hugeNanoseconds)) M/s)
      baseline, 4,096-point grid of the same parameters: \(f(plan.smallNanoseconds, 0)) ns
      ratio 10^12 / 4,096 points: \(f(ratio))×   (O(1) in the size of the space: ≈ 1)
      RSS growth: \(plan.rssGrowthBytes / 1024) KiB
    """)
    report["plan"] = [
        "points": plan.count, "ns_per_index": plan.hugeNanoseconds,
        "baseline_ns_per_index": plan.smallNanoseconds, "ratio": ratio, "rss_growth_bytes": plan.rssGrowthBytes,
    ]
}

if wanted("engine") {
    let trials = 500
    let engine = try await EngineBenchmark.run(trials: trials)
    let ratio = engine.engineSeconds / engine.bareSeconds
    func perTrial(_ seconds: Double) -> String { "\(f(seconds, 3)) s (\(f(seconds / Double(trials) * 1e3)) ms per trial)" }
    print("""

    \(trials) trials of /bin/true:
      through the trial engine: \(perTrial(engine.engineSeconds))
      plain swift-subprocess, both pipes drained: \(perTrial(engine.subprocessSeconds))
      bare posix_spawn + waitpid loop: \(perTrial(engine.bareSeconds))
      ratio engine / bare: \(f(ratio))×   (goal ≤ 1.2×)
      ratio swift-subprocess / bare: \(f(engine.subprocessSeconds / engine.bareSeconds))×, engine / swift-subprocess: \(f(engine.engineSeconds / engine.subprocessSeconds))×
    """)
    report["engine"] = [
        "trials": trials, "engine_seconds": engine.engineSeconds, "subprocess_seconds": engine.subprocessSeconds,
        "bare_seconds": engine.bareSeconds, "ratio": ratio,
    ]
}

if wanted("store") {
    let folder = FileManager.default.temporaryDirectory.appending(path: "assay-bench-sqlite-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    var results = [try await StoreBenchmark.run(name: "sqlite") {
        try SQLiteStore(path: folder.appending(path: "bench.db").path)
    }]
    let server = try WireServer()
    defer { server.stop() }
    // nx-27017 is a Python server (~1,000 findAndModify/s): a tenth of the operations.
    results.append(try await StoreBenchmark.run(name: "mongodb (nx-27017)", scale: 0.1) {
        try await MongoStore(uri: server.uri, database: "bench")
    })
    var stores: [String: Any] = [:]
    for figures in results {
        print("""

        \(figures.store) store:
          create a 10^6-trial experiment: \(f(figures.createHugeMs)) ms; 10-trial baseline \(f(figures.createSmallMs)) ms; ratio \(f(figures.createHugeMs / figures.createSmallMs))×   (O(1): ≈ 1)
          leases/s: 1 writer \(f(figures.leasesPerSecond[1]!, 0)), 8 writers \(f(figures.leasesPerSecond[8]!, 0)) (ratio \(f(figures.leasesPerSecond[8]! / figures.leasesPerSecond[1]!))×)
          metric values/s, 50 points × 4 metrics per batch: 1 writer \(f(figures.valuesPerSecondBatched[1]!, 0)), 8 writers \(f(figures.valuesPerSecondBatched[8]!, 0))
          baseline, one point per batch: \(f(figures.valuesPerSecondSingle, 0)) values/s; batched / single: \(f(figures.valuesPerSecondBatched[1]! / figures.valuesPerSecondSingle, 1))×
          RSS after: \(figures.rssBytes / 1_048_576) MiB
        """)
        stores[figures.store] = [
            "create_1e6_ms": figures.createHugeMs, "create_10_ms": figures.createSmallMs,
            "leases_per_s_1": figures.leasesPerSecond[1]!, "leases_per_s_8": figures.leasesPerSecond[8]!,
            "values_per_s_batched_1": figures.valuesPerSecondBatched[1]!, "values_per_s_batched_8": figures.valuesPerSecondBatched[8]!,
            "values_per_s_single": figures.valuesPerSecondSingle, "rss_bytes": figures.rssBytes,
        ]
    }
    if results.count == 2 {
        print("\n  sqlite / mongodb: leases \(f(results[0].leasesPerSecond[1]! / results[1].leasesPerSecond[1]!, 1))×, batched values \(f(results[0].valuesPerSecondBatched[1]! / results[1].valuesPerSecondBatched[1]!, 1))×")
    }
    report["store"] = stores
}

let output = URL(filePath: "benchmarks/out")
try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
try data.write(to: output.appending(path: "latest.json"))
print("\nwritten: benchmarks/out/latest.json")
