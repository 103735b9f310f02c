import ArgumentParser

/// `assay`: declare, check and run hyperparameter sweeps, here or on a server.
public struct AssayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "assay",
        abstract: "Declare, check and run hyperparameter sweeps, here or on an Assay server.",
        discussion: """
            Server commands use ASSAY_URL and ASSAY_TOKEN when set, else the login stored by \
            `assay login URL` ($XDG_CONFIG_HOME/assay/config.json, default ~/.config/assay/config.json).

            \(ExitStatus.helpText)
            """,
        version: "0.1.0",
        groupedSubcommands: [
            CommandGroup(name: "Local", subcommands: [ValidateCommand.self, PlanCommand.self, RunCommand.self]),
            CommandGroup(name: "Account", subcommands: [LoginCommand.self, LogoutCommand.self]),
            CommandGroup(name: "Server", subcommands: [
                SubmitCommand.self, ListCommand.self, StatusCommand.self, WatchCommand.self, LogsCommand.self,
                CancelCommand.self, RerunCommand.self, ResultsCommand.self, PlotCommand.self,
            ]),
            CommandGroup(name: "Shell", subcommands: [CompletionCommand.self]),
        ])

    public init() {}
}

/// Exit code 2 with a one-line (or one-line-per-problem) message: bad input.
struct InputError: Error, CustomStringConvertible {
    let description: String
}

extension AssayCommand {
    /// Runs the command line, turning known errors into one-line messages and
    /// the exit codes of ``ExitStatus`` rather than stack traces.
    public static func run(arguments: [String]? = nil) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            return 0
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch where CLIFailure.recognizes(error) {
            let failure = CLIFailure(error)
            Terminal.error(failure.description)
            return failure.status.rawValue
        } catch {
            // ArgumentParser's own outcomes: help, version, usage errors.
            let code = exitCode(for: error)
            if code.rawValue == 0 {
                print(fullMessage(for: error))
                return 0
            }
            Terminal.error(fullMessage(for: error))
            return error is ValidationError || code == .validationFailure ? ExitStatus.badInput.rawValue : code.rawValue
        }
    }
}
