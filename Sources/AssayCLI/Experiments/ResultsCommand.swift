import ArgumentParser
import AssayCore
import Foundation

/// `assay results ID`: the results table, best first, as text, CSV or JSON.
struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Print or save an experiment's results, best first.",
        discussion: "csv and json are the server's results.csv and results.json; table is the same rows aligned for reading.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json
    }

    @Argument(help: "The experiment's id.")
    var id: String

    @Option(help: "table, csv or json.")
    var format: Format?

    @Option(name: [.customShort("o"), .customLong("out")], help: "Write to this file instead of stdout.")
    var out: String?

    @Option(help: "With the table format: the most rows to print (default: all).")
    var show: Int?

    @OptionGroup var output: ReadOutput

    func validate() throws {
        if output.json, let format, format != .json {
            throw ValidationError("--output json and --format \(format.rawValue) disagree; give one of them")
        }
        if let show, show < 1 { throw ValidationError("--show must be at least 1") }
    }

    func run() async throws {
        let client = try ServerConnection.client()
        let chosen = format ?? (output.json ? .json : .table)
        let text: String
        switch chosen {
        case .csv, .json:
            let body = try await client.about(experiment: id) { try await client.bytes(APIClient.experimentPath(id, "/results.\(chosen.rawValue)")) }
            text = String(decoding: body, as: UTF8.self)
        case .table:
            let experiment = try await ExperimentResults(client: client, id: id)
            let table = experiment.table
            text = table.text(limit: show ?? max(1, table.rows.count))
        }
        try OutputFile.write(text, to: out)
    }
}

/// `-o FILE`: a command's output to a file (`-` or none: stdout).
enum OutputFile {
    static func write(_ text: String, to path: String?) throws {
        guard let path, path != "-" else {
            Terminal.out(text, terminator: "")
            return
        }
        let url = URL(filePath: path, relativeTo: .currentDirectory()).standardizedFileURL
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw InputError(description: "cannot write \(path): \(error.localizedDescription)")
        }
        Terminal.info("wrote \(RunCommand.relative(url))")
    }
}
