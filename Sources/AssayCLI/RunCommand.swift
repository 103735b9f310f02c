import ArgumentParser
import AssayCore
import AssayEngine
import AssayServer
import Foundation
import Logging

/// `assay run FILE`: the whole sweep, live progress, then the results table,
/// `results.csv`, `results.json` and `plot.svg`. Through the server at
/// `ASSAY_URL` (with `ASSAY_TOKEN`) when set; otherwise through an embedded
/// server (SQLite in `./assay-data`, Runners as local processes). `--local`
/// runs the trials with the engine alone, no server and no Runner.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every trial of a sweep and report the results.")

    @Argument(help: "The declaration (assay.yaml, or JSON).")
    var file: String

    @Flag(help: "Run the trials in this process's engine, without a server or Runners.")
    var local = false

    @Option(help: "With --local: trials run at once (default: the declaration's workers).")
    var parallel: Int?

    @Option(help: "Folder of the embedded server's store and Runner work folders.")
    var dataDir: String = "assay-data"

    @Option(name: .customLong("output"), help: "Folder for results and logs (default: assay-runs/<name>-<time>).")
    var outputFolder: String?

    @Option(help: "Result rows to print.")
    var show: Int = 20

    @Option(help: "The most trials a plan may have (default: ASSAY_MAX_TRIALS or 1000000).")
    var maxTrials: Int?

    func validate() throws {
        if let parallel, parallel < 1 { throw ValidationError("--parallel must be at least 1") }
        if parallel != nil, !local {
            throw ValidationError("--parallel applies to --local runs; through a server, set `workers` in the declaration")
        }
    }

    func run() async throws {
        let source = try DeclarationFile(path: file)
        let declaration = source.declaration
        let plan = try source.plan(maxTrials: try resolvedMaxTrials(maxTrials))
        let output = outputFolder.map { URL(filePath: $0, relativeTo: .currentDirectory()).standardizedFileURL }
            ?? Self.defaultOutput(for: declaration)
        guard !FileManager.default.fileExists(atPath: output.path) else {
            throw InputError(description: "\(output.path) already exists; choose another --output")
        }
        if !local {
            let status = try await runThroughServer(ServerRun(source: source, plan: plan, output: output, show: show))
            if status != 0 { throw ExitCode(status) }
            return
        }
        guard !plan.isAdaptive else {
            throw InputError(description: "\(source.url.lastPathComponent): sweep.strategy \(plan.strategy.name) proposes trials "
                + "from the results so far, which takes a server: run it without --local (an embedded one) or with `assay submit`")
        }
        let artifact = URL(filePath: declaration.artifact, relativeTo: source.folder).standardizedFileURL
        let workspace = TrialWorkspace(root: output, trialCount: plan.count)
        do {
            try workspace.create(copyingArtifact: artifact)
        } catch let error as WorkspaceError {
            throw InputError(description: "\(file): \(error)")
        }

        let sweep = LocalSweep(
            declaration: declaration, plan: plan, workspace: workspace,
            parallel: parallel ?? declaration.workers, environment: ProcessInfo.processInfo.environment)
        let width = sweep.parallel
        Terminal.out("\(declaration.name): \(plan.count) trial\(plan.count == 1 ? "" : "s") (\(plan.strategy.name)), \(width) at a time, in \(Self.relative(output))")
        do {
            try await sweep.runSetup()
        } catch let failure as LocalSweep.SetupFailure {
            Terminal.error(failure.description)
            throw ExitCode(1)
        }

        let progress = ProgressBar(total: plan.count)
        let warnings = WarningLog()
        let results = await Interruption.cancelling { await sweep.run(progress: progress, warnings: warnings) }
        await progress.finish()

        let messages = await warnings.messages
        for message in messages.prefix(5) { Terminal.warning(message) }
        if messages.count > 5 { Terminal.warning("… and \(messages.count - 5) more warnings; see the logs in \(Self.relative(workspace.logs))") }

        let summary = try RunReport(declaration: declaration, results: results).write(to: output)
        Terminal.out("")
        Terminal.out(summary.table.text(limit: show), terminator: "")
        Terminal.out("")
        Terminal.out(summary.countsLine)
        Terminal.out("results: \(Self.relative(summary.csv))")
        Terminal.out("         \(Self.relative(summary.json))")
        if let plot = summary.plot { Terminal.out("plot:    \(Self.relative(plot))") }
        Terminal.out("logs:    \(Self.relative(workspace.logs))")
        if !results.contains(where: { $0.status == .succeeded }) { throw ExitCode(1) }
    }

    /// `ASSAY_URL` + `ASSAY_TOKEN` when set, else a server embedded in this process.
    private func runThroughServer(_ run: ServerRun) async throws -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        if let address = environment["ASSAY_URL"], !address.isEmpty {
            let url = try ServerConnection.address(address, from: "ASSAY_URL")
            guard let token = environment["ASSAY_TOKEN"], !token.isEmpty else {
                throw InputError(description: "ASSAY_URL is set but ASSAY_TOKEN is not: create an API token in the web UI or with POST /api/v1/tokens")
            }
            return try await run.run(client: APIClient(base: url, token: token))
        }
        var logger = Logger(label: "assay-embedded")
        logger.logLevel = .error
        let data = URL(filePath: dataDir, relativeTo: .currentDirectory()).standardizedFileURL
        return try await EmbeddedServer.run(dataDirectory: data, logger: logger) { url, token in
            try await run.run(client: APIClient(base: url, token: token))
        }
    }

    static func defaultOutput(for declaration: Declaration) -> URL {
        let slug = declaration.name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
            .reduce(into: "") { text, character in if !(character == "-" && text.hasSuffix("-")) { text.append(character) } }
            .trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return URL.currentDirectory().appending(path: "assay-runs").appending(path: "\(slug.prefix(40))-\(formatter.string(from: Date()))")
    }

    /// A path relative to the working directory when it is below it.
    static func relative(_ url: URL) -> String {
        let here = URL.currentDirectory().standardizedFileURL.path + "/"
        return url.path.hasPrefix(here) ? String(url.path.dropFirst(here.count)) : url.path
    }
}
