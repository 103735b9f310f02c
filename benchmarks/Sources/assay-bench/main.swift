import Foundation

// `make bench`: each benchmark against a baseline measured in the same run;
// ratios printed, figures written to benchmarks/out/latest.json.

print("Assay benchmarks on \(ProcessInfo.processInfo.activeProcessorCount) cores")

let plan = try PlanBenchmark.run(lookups: 1_000_000)
let planRatio = plan.hugeNanoseconds / plan.smallNanoseconds
print("""

plan[i] on a \(plan.count)-point grid (12 parameters):
  \(String(format: "%.0f", plan.hugeNanoseconds)) ns per index (\(String(format: "%.2f", 1e3 / plan.hugeNanoseconds)) M/s)
  baseline, 4,096-point grid of the same parameters: \(String(format: "%.0f", plan.smallNanoseconds)) ns
  ratio 10^12 / 4,096 points: \(String(format: "%.2f", planRatio))×   (O(1) in the size of the space: ≈ 1)
  RSS growth: \(plan.rssGrowthBytes / 1024) KiB
""")

let trials = 500
let engine = try await EngineBenchmark.run(trials: trials)
let engineRatio = engine.engineSeconds / engine.bareSeconds
print("""

\(trials) trials of /bin/true:
  through the trial engine: \(String(format: "%.3f", engine.engineSeconds)) s (\(String(format: "%.2f", engine.engineSeconds / Double(trials) * 1e3)) ms per trial)
  plain swift-subprocess, both pipes drained: \(String(format: "%.3f", engine.subprocessSeconds)) s (\(String(format: "%.2f", engine.subprocessSeconds / Double(trials) * 1e3)) ms per trial)
  bare posix_spawn + waitpid loop: \(String(format: "%.3f", engine.bareSeconds)) s (\(String(format: "%.2f", engine.bareSeconds / Double(trials) * 1e3)) ms per trial)
  ratio engine / bare: \(String(format: "%.2f", engineRatio))×   (goal ≤ 1.2×)
  ratio swift-subprocess / bare: \(String(format: "%.2f", engine.subprocessSeconds / engine.bareSeconds))×, engine / swift-subprocess: \(String(format: "%.2f", engine.engineSeconds / engine.subprocessSeconds))×
""")

let report: [String: Any] = [
    "date": ISO8601DateFormatter().string(from: Date()),
    "cores": ProcessInfo.processInfo.activeProcessorCount,
    "plan": [
        "points": plan.count, "ns_per_index": plan.hugeNanoseconds,
        "baseline_ns_per_index": plan.smallNanoseconds, "ratio": planRatio, "rss_growth_bytes": plan.rssGrowthBytes,
    ],
    "engine": [
        "trials": trials, "engine_seconds": engine.engineSeconds, "subprocess_seconds": engine.subprocessSeconds,
        "bare_seconds": engine.bareSeconds, "ratio": engineRatio,
    ],
]
let folder = URL(filePath: "benchmarks/out")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
try data.write(to: folder.appending(path: "latest.json"))
print("\nwritten: benchmarks/out/latest.json")
