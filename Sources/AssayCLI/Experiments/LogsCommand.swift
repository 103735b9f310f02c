import ArgumentParser
import Foundation

/// `assay logs ID`: the trials' output as the server keeps it, or live.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the trials' output (stdout and stderr), or follow it live.",
        discussion: """
            Without --trial, every trial that ran, each line prefixed with its trial. With \
            --follow, lines come from the live stream: what the server keeps of the experiment's \
            recent events first, then new lines until the experiment ends. --output json prints \
            one object a line: {"trial", "attempt", "stream", "text"}.
            """)

    @Argument(help: "The experiment's id.")
    var id: String

    @Option(help: "Only this trial (its index).")
    var trial: Int?

    @Flag(help: "Keep printing new lines until the experiment ends.")
    var follow = false

    @Option(help: "Without --follow: the last lines to print per trial (at most 10000).")
    var tail = 1000

    @OptionGroup var output: ReadOutput

    func validate() throws {
        guard (1...10_000).contains(tail) else { throw ValidationError("--tail must be 1 to 10000") }
        if let trial, trial < 0 { throw ValidationError("--trial must not be negative") }
    }

    /// One line of a trial's output.
    struct Line {
        let trial: Int
        let attempt: Int
        let stream: String
        let text: String
    }

    func run() async throws {
        let client = try ServerConnection.client()
        var printer = Printer(json: output.json, prefixed: trial == nil)
        let summary = try await client.experiment(id).summary
        if let trial, trial >= summary.trials { throw Self.noTrial(id, trial) }
        // An experiment that has ended has nothing more to send: its stored lines are all there is.
        if follow, !summary.isFinal {
            for try await event in client.events(of: id) where event.event == "log" {
                let object = event.object
                guard let index = object["trial"] as? Int, trial == nil || trial == index else { continue }
                for text in object["lines"] as? [String] ?? [] {
                    try printer.print(Line(trial: index, attempt: object["attempt"] as? Int ?? 1, stream: object["stream"] as? String ?? "stdout", text: text))
                }
            }
            return
        }
        let trials = if let trial { [trial] } else { try await client.trialItems(of: id).compactMap { $0["index"] as? Int } }
        for index in trials {
            let page: [String: Any]
            do {
                page = try await client.json(.get, APIClient.experimentPath(id, "/trials/\(index)/logs?limit=\(tail)"))
            } catch let error as APIClient.ServerError where error.status == 404 {
                throw Self.noTrial(id, index)
            }
            for line in page["lines"] as? [[String: Any]] ?? [] {
                try printer.print(Line(trial: index, attempt: line["attempt"] as? Int ?? 1, stream: line["stream"] as? String ?? "stdout", text: line["text"] as? String ?? ""))
            }
        }
    }

    static func noTrial(_ id: String, _ index: Int) -> CLIFailure {
        CLIFailure(.notFound, "experiment \(id) has no trial \(index)")
    }

    /// Writes lines as text (a header when the attempt changes) or JSON Lines.
    struct Printer {
        let json: Bool
        let prefixed: Bool
        private var current: (trial: Int, attempt: Int)?

        init(json: Bool, prefixed: Bool) {
            self.json = json
            self.prefixed = prefixed
        }

        mutating func print(_ line: Line) throws {
            if json {
                return try ReadOutput.printJSONLine(["trial": line.trial, "attempt": line.attempt, "stream": line.stream, "text": line.text])
            }
            let prefix = prefixed ? "trial \(line.trial) | " : ""
            let newAttempt = current?.trial == line.trial ? current?.attempt != line.attempt : line.attempt > 1
            if newAttempt {
                Terminal.out("\(prefix)── attempt \(line.attempt) ──")
            }
            current = (line.trial, line.attempt)
            Terminal.out(prefix + line.text)
        }
    }
}
