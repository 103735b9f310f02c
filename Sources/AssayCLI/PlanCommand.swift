import ArgumentParser
import AssayCore

/// `assay plan FILE`: the trial count and the first trials.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show how many trials a declaration makes, and the first of them.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    @Argument(help: "The declaration (assay.yaml, or JSON).")
    var file: String

    @Option(help: "How many trials to list.")
    var limit: Int = 20

    @Option(help: "table, json or csv.")
    var output: Format = .table

    @Option(help: "The most trials a plan may have (default: ASSAY_MAX_TRIALS or 1000000).")
    var maxTrials: Int?

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must not be negative") }
    }

    func run() async throws {
        let source = try DeclarationFile(path: file)
        let plan = try source.plan(maxTrials: try resolvedMaxTrials(maxTrials))
        guard !plan.isAdaptive else { return printAdaptive(plan) }
        let shown = plan.prefix(limit)
        let names = source.declaration.parameters.flatMap(\.settingNames)
        func cells(_ trial: PlannedTrial) -> [String] {
            let values = trial.parameters.values
            return [String(trial.index), String(trial.repetition)]
                + names.map { name in values.first { $0.name == name }?.value.description ?? "" }
        }
        switch output {
        case .table:
            print("\(plan.count) trial\(plan.count == 1 ? "" : "s") (\(plan.strategy.name), \(plan.pointCount) point\(plan.pointCount == 1 ? "" : "s") × \(plan.repeats) repeat\(plan.repeats == 1 ? "" : "s"))")
            guard !shown.isEmpty else { return }
            print(TextTable.render([["trial", "repeat"] + names] + shown.map(cells)), terminator: "")
            if plan.count > shown.count { print("… \(plan.count - shown.count) more") }
        case .csv:
            print((["trial", "repeat"] + names).map(ResultsTable.csvField).joined(separator: ","))
            for trial in shown { print(cells(trial).map(ResultsTable.csvField).joined(separator: ",")) }
        case .json:
            let trials = shown.map { trial in
                "    {\"trial\": \(trial.index), \"repeat\": \(trial.repetition), \"parameters\": \(trial.parameters.jsonObject)}"
            }
            print("{\n  \"count\": \(plan.count),\n  \"strategy\": \"\(plan.strategy.name)\",\n  \"trials\": [\n\(trials.joined(separator: ",\n"))\n  ]\n}")
        }
    }

    /// An adaptive search has no trials to list before it runs: say what it will do.
    private func printAdaptive(_ plan: SweepPlan) {
        let line = "up to \(plan.count) trial\(plan.count == 1 ? "" : "s") (\(plan.strategy.name)): proposed one by one from the results so far; "
            + "no plan to list before it runs (docs/search.md)"
        switch output {
        case .table: print(line)
        case .csv: print("trial,repeat")
        case .json: print("{\n  \"count\": \(plan.count),\n  \"strategy\": \"\(plan.strategy.name)\",\n  \"adaptive\": true,\n  \"trials\": []\n}")
        }
    }
}
