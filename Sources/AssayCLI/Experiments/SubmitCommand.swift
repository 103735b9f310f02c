import ArgumentParser
import Foundation

/// `assay submit FILE`: validate here, upload the artifact, submit, print the id.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a sweep to the server and print the experiment's id.",
        discussion: """
            The declaration is checked here first (exit 2 listing every problem). The artifact \
            folder is zipped (a progress line on stderr) and uploaded with a progress bar, unless \
            the server already has your artifact with the same SHA-256: then the upload is \
            skipped. Only the id goes to stdout: ID=$(assay submit assay.yaml).
            """)

    @Argument(help: "The declaration (assay.yaml, or JSON).")
    var file: String

    @Flag(help: "Follow the experiment until it ends, and exit with its outcome (as `assay watch`).")
    var watch = false

    @Option(help: "The most trials a plan may have (default: ASSAY_MAX_TRIALS or 1000000).")
    var maxTrials: Int?

    func run() async throws {
        let source = try DeclarationFile(path: file)
        let plan = try source.plan(maxTrials: try resolvedMaxTrials(maxTrials))
        let client = try ServerConnection.client()
        // A refused token or a server that is down shows before any zipping.
        try await client.json(.get, "/api/v1/me")
        let created = try await client.submit(source)
        Terminal.info("submitted \(source.declaration.name): \(plan.count) trial\(plan.count == 1 ? "" : "s") (\(plan.strategy.name)), experiment \(created.id)")
        Terminal.out(created.id)
        if watch { try await WatchCommand.follow(created.id, client: client) }
    }
}
