import ArgumentParser
import Foundation

/// `assay rerun ID`: a new experiment with the same declaration and artifact.
struct RerunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerun",
        abstract: "Run an experiment again as a new one; print the new id.")

    @Argument(help: "The experiment's id.")
    var id: String

    @Flag(help: "Follow the new experiment until it ends, and exit with its outcome (as `assay watch`).")
    var watch = false

    func run() async throws {
        let client = try ServerConnection.client()
        let created = try await client.about(experiment: id) {
            try await client.decode(APIClient.CreatedExperiment.self, APIClient.experimentPath(id, "/rerun"), method: .post)
        }
        Terminal.info("rerun of \(id): experiment \(created.id), \(created.trials) trial\(created.trials == 1 ? "" : "s")")
        Terminal.out(created.id)
        if watch { try await WatchCommand.follow(created.id, client: client) }
    }
}
