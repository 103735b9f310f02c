import ArgumentParser

/// `assay watch ID`: live progress until the experiment ends; its outcome is the exit code.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow an experiment's progress live; exit with its outcome.",
        discussion: """
            Exit code: 0 completed with at least one succeeded trial, 1 completed with none or \
            failed, 3 canceled. Ctrl-C stops watching; the experiment goes on.
            """)

    @Argument(help: "The experiment's id.")
    var id: String

    func run() async throws {
        try await Self.follow(id, client: try ServerConnection.client())
    }

    /// Draws the progress until the experiment is final, prints how it ended,
    /// and throws its outcome's exit code unless it is a success.
    static func follow(_ id: String, client: APIClient) async throws {
        let summary = try await client.watch(id)
        Terminal.out(summary.outcomeLine)
        if summary.outcome != .success { throw ExitCode(summary.outcome.rawValue) }
    }
}
