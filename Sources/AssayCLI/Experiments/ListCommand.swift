import ArgumentParser
import Foundation

/// `assay ls`: the caller's experiments, newest first.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List your experiments, newest first.")

    enum Status: String, ExpressibleByArgument, CaseIterable {
        case queued, running, completed, failed, canceled
    }

    @Option(help: "Only experiments in this state: queued, running, completed, failed or canceled.")
    var status: Status?

    @Option(help: "Only experiments with this tag.")
    var tag: String?

    @Option(help: "Only experiments whose name or description contains this text.")
    var search: String?

    @Flag(help: "Include archived experiments.")
    var all = false

    @Option(help: "The most experiments to list.")
    var limit = 50

    @OptionGroup var output: ReadOutput

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let client = try ServerConnection.client()
        var query = [URLQueryItem]()
        if let status { query.append(URLQueryItem(name: "status", value: status.rawValue)) }
        if let tag { query.append(URLQueryItem(name: "tag", value: tag)) }
        if let search { query.append(URLQueryItem(name: "q", value: search)) }
        if all { query.append(URLQueryItem(name: "include_archived", value: "true")) }
        var items: [[String: Any]] = []
        var after: String?
        repeat {
            var components = URLComponents()
            components.path = "/api/v1/experiments"
            components.queryItems = query + [URLQueryItem(name: "limit", value: String(min(200, limit - items.count)))]
                + (after.map { [URLQueryItem(name: "after", value: $0)] } ?? [])
            let page = try await client.json(.get, components.percentEncodedPath + "?"
                // URLComponents leaves "+" alone, which a server reads as a space.
                + (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B"))
            items += page["items"] as? [[String: Any]] ?? []
            after = page["next"] as? String
        } while after != nil && items.count < limit

        if output.json { return try ReadOutput.printJSON(items) }
        let summaries = try items.map { try JSONDecoder().decode(ExperimentSummary.self, from: JSONSerialization.data(withJSONObject: $0)) }
        guard !summaries.isEmpty else {
            Terminal.info("no experiments\(query.isEmpty ? "" : " match")")
            return
        }
        let rows = summaries.map { summary in
            [summary.id, summary.name, summary.status + (summary.archived ? " (archived)" : ""),
             "\(summary.sweepCounts.done)/\(summary.trials)", ExperimentSummary.localTime(summary.createdAt)]
        }
        Terminal.out(TextTable.render([["ID", "NAME", "STATUS", "PROGRESS", "CREATED"]] + rows), terminator: "")
    }
}
