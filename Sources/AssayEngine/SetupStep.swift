import AssayCore
import Foundation

/// The declaration's `setup` command: run once in the workspace's code folder before any
/// trial, by `assay run --local` and by every Runner, with the same scrubbed environment
/// trials get (minus the trial's own variables) and no timeout.
public struct SetupStep: Sendable {
    public let declaration: Declaration
    public let workspace: TrialWorkspace
    /// The environment the scrubbed one is taken from (the caller's own).
    public let baseEnvironment: [String: String]

    public init(declaration: Declaration, workspace: TrialWorkspace, baseEnvironment: [String: String]) {
        self.declaration = declaration
        self.workspace = workspace
        self.baseEnvironment = baseEnvironment
    }

    /// What setup runs as; nil when the declaration has no setup.
    public var spec: TrialSpec? {
        guard let setup = declaration.setup else { return nil }
        return TrialSpec(
            arguments: setup,
            workingDirectory: workspace.code.path,
            environment: TrialEnvironment.scrubbed(from: baseEnvironment, declared: declaration.environment, trial: [:]),
            timeout: nil,
            stdoutLog: workspace.logs.appending(path: "setup.stdout.log").path,
            stderrLog: workspace.logs.appending(path: "setup.stderr.log").path)
    }

    /// Runs setup, if there is one.
    ///
    /// - Parameter tailLines: how many of the last output lines a failure quotes.
    /// - Throws: ``SetupFailure`` naming the command, how it ended and the tail of its stderr
    ///   (of its stdout when stderr is empty); `CancellationError` if cancelled before it started.
    public func run(engine: TrialEngine = TrialEngine(), tailLines: Int = 5) async throws {
        guard let spec else { return }
        let command = spec.arguments.joined(separator: " ")
        let outcome: TrialOutcome
        do {
            outcome = try await engine.run(spec)
        } catch let error as TrialEngine.LaunchError {
            throw SetupFailure(description: "setup \(command) could not start: \(error)")
        }
        guard outcome.status == .succeeded else {
            let ending = switch (outcome.status, outcome.exitCode) {
            case (.canceled, _): "was canceled"
            case (_, let code?): "exited with \(code)"
            case (_, nil): "was killed" + (outcome.signal.map { " by signal \($0)" } ?? "")
            }
            let tail = Self.tail(of: spec.stderrLog, lines: tailLines) ?? Self.tail(of: spec.stdoutLog, lines: tailLines)
            throw SetupFailure(description: "setup \(command) \(ending)" + (tail.map { ":\n" + $0 } ?? ""))
        }
    }

    /// The last `lines` non-empty lines of a log, or nil if it has none.
    static func tail(of path: String, lines: Int) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data.suffix(64 * 1024), as: UTF8.self)
        let tail = text.split(whereSeparator: \.isNewline).suffix(lines).joined(separator: "\n")
        return tail.isEmpty ? nil : tail
    }
}

/// Why the setup command failed, for people: the command, how it ended, the tail of its output.
public struct SetupFailure: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}
