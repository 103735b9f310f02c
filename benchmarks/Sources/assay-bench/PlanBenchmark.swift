import AssayCore
import Foundation

/// `plan[i]` on a 10^12-point grid against the same twelve parameters with a
/// 4,096-point grid: equal per-index cost shows indexing does not depend on
/// the size of the space, and the RSS growth shows nothing is materialised.
enum PlanBenchmark {
    struct Result {
        let hugeNanoseconds: Double
        let smallNanoseconds: Double
        let rssGrowthBytes: Int
        let count: Int
    }

    static func grid(valuesPerParameter: Int) throws -> SweepPlan {
        let parameters = (0..<12).map { "  p\($0): {type: int, min: 0, max: \(valuesPerParameter - 1), step: 1}" }
        let text = "name: bench\ncommand: [x]\nparameters:\n" + parameters.joined(separator: "\n")
        return try SweepPlan(try Declaration.parse(text), maxTrials: nil)
    }

    static func run(lookups: Int) throws -> Result {
        let rssBefore = residentBytes()
        let huge = try grid(valuesPerParameter: 10)
        let small = try grid(valuesPerParameter: 2)
        let hugeTime = measure(huge, lookups: lookups)
        let smallTime = measure(small, lookups: lookups)
        return Result(
            hugeNanoseconds: hugeTime, smallNanoseconds: smallTime,
            rssGrowthBytes: residentBytes() - rssBefore, count: huge.count)
    }

    /// Mean nanoseconds per `plan[i]` over pseudo-random indexes.
    private static func measure(_ plan: SweepPlan, lookups: Int) -> Double {
        var index = 0x2545_F491_4F6C_DD1D % plan.count
        var checksum = 0
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<lookups {
                index = (index &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407) & Int.max
                let trial = plan[index % plan.count]
                checksum &+= trial.parameters.entries.count
            }
        }
        precondition(checksum == lookups * 12)
        return Double(elapsed.components.attoseconds / 1_000_000_000 + elapsed.components.seconds * 1_000_000_000) / Double(lookups)
    }
}

/// Resident set size of this process, from /proc/self/statm.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}
