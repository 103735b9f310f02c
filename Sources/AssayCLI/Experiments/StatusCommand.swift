import ArgumentParser
import AssayCore
import Foundation

/// `assay status ID`: one experiment's state and counts.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show an experiment's state, progress and times.")

    @Argument(help: "The experiment's id.")
    var id: String

    @OptionGroup var output: ReadOutput

    func run() async throws {
        let client = try ServerConnection.client()
        let (summary, body) = try await client.experiment(id)
        if output.json { return try ReadOutput.printJSON(try APIClient.object(body)) }
        let elapsed: Double? = summary.isFinal ? nil : summary.runningFor.inSeconds
        var rows = [
            ["experiment", summary.id],
            ["name", summary.name],
            ["status", summary.status + (summary.archived ? " (archived)" : "")],
            ["progress", summary.sweepCounts.text(elapsed: summary.startedAt == nil ? nil : elapsed)],
        ]
        if let reason = summary.reason, !reason.isEmpty { rows.append(["reason", reason]) }
        if !summary.tags.isEmpty { rows.append(["tags", summary.tags.joined(separator: ", ")]) }
        if let description = summary.description, !description.isEmpty { rows.append(["description", description]) }
        rows.append(["created", ExperimentSummary.localTime(summary.createdAt)])
        if summary.startedAt != nil { rows.append(["started", ExperimentSummary.localTime(summary.startedAt)]) }
        if summary.finishedAt != nil { rows.append(["finished", ExperimentSummary.localTime(summary.finishedAt)]) }
        // "pending" is also what an experiment without `notify` shows: only news is shown.
        if let notification = summary.notification, notification.state != "pending" {
            rows.append(["mail", notification.state + (notification.lastError.map { ": \($0)" } ?? "")])
        }
        if (summary.counts["stoppedEarly"] ?? 0) > 0 {
            rows += try await stoppedEarly(client).map { ["stopped early", $0] }
        }
        Terminal.out(TextTable.render(rows), terminator: "")
    }

    /// The first trials the early-stopping rule ended, each with why: `trial 7: best loss 0.71 by step 4 is worse…`.
    private func stoppedEarly(_ client: APIClient) async throws -> [String] {
        let shown = 10
        let page = try await client.about(experiment: id) {
            try await client.json(.get, APIClient.experimentPath(id, "/trials?status=stopped_early&limit=\(shown + 1)"))
        }
        let items = page["items"] as? [[String: Any]] ?? []
        var lines = items.prefix(shown).map { item in
            let attempts = item["attempts"] as? [[String: Any]] ?? []
            let reason = attempts.last?["reason"] as? String ?? "stopped by the early-stopping rule"
            return "trial \(item["index"] as? Int ?? -1): \(reason)"
        }
        if items.count > shown { lines.append("… and more (assay results \(id) --format table)") }
        return lines
    }
}
