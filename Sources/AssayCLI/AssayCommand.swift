import ArgumentParser

/// `assay`: declare, check and run hyperparameter sweeps.
public struct AssayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "assay",
        abstract: "Declare, check and run hyperparameter sweeps.",
        discussion: """
            Exit codes: 0 success, 1 the sweep ran but no trial succeeded (or setup failed), \
            2 bad input (a missing file, an invalid declaration, a plan over the limit).
            """,
        version: "0.1.0",
        subcommands: [ValidateCommand.self, PlanCommand.self, RunCommand.self])

    public init() {}
}

/// Exit code 2 with a one-line (or one-line-per-problem) message: bad input.
struct InputError: Error, CustomStringConvertible {
    let description: String
}

extension AssayCommand {
    /// Runs the command line, turning known errors into messages and exit
    /// codes rather than stack traces.
    public static func run(arguments: [String]? = nil) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as InputError {
            Terminal.error(error.description)
            return 2
        } catch let error as ExitCode {
            return error.rawValue
        } catch {
            let code = exitCode(for: error)
            if code.rawValue == 0 {
                print(fullMessage(for: error))
            } else if error is ValidationError || code == .validationFailure {
                Terminal.error(fullMessage(for: error))
                return 2
            } else {
                Terminal.error(fullMessage(for: error))
            }
            return code.rawValue
        }
    }
}
