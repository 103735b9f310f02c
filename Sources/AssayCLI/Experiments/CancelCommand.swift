import ArgumentParser
import Foundation

/// `assay cancel ID`: stops an experiment; its Runners kill their trials.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel an experiment (its running trials are stopped).")

    @Argument(help: "The experiment's id.")
    var id: String

    func run() async throws {
        let client = try ServerConnection.client()
        let before = try await client.experiment(id).summary
        let after = try await client.about(experiment: id) {
            try await client.decode(ExperimentSummary.self, APIClient.experimentPath(id, "/cancel"), method: .post)
        }
        Terminal.out(before.isFinal ? "\(id) had already ended: \(after.status)" : "\(id): \(after.status)")
    }
}
