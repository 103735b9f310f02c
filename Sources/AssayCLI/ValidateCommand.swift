import ArgumentParser
import AssayCore

/// `assay validate FILE`: exit 0, or exit 2 listing every problem.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a declaration and report every problem at once.")

    @Argument(help: "The declaration (assay.yaml, or JSON).")
    var file: String

    @Option(help: "The most trials a plan may have (default: ASSAY_MAX_TRIALS or 1000000).")
    var maxTrials: Int?

    func run() async throws {
        let source = try DeclarationFile(path: file)
        let plan = try source.plan(maxTrials: try resolvedMaxTrials(maxTrials))
        let d = source.declaration
        print("\(file): valid — \(d.name): \(plan.count) trial\(plan.count == 1 ? "" : "s") (\(d.sweep.strategy.name)\(d.sweep.repeats > 1 ? ", \(d.sweep.repeats) repeats" : ""))")
    }
}
