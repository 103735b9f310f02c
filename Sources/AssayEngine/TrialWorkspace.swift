import AssayCore
import Foundation

/// The folders of one sweep on disk: a snapshot of the code, one working
/// folder per trial, and the trials' logs.
///
/// ```
/// <root>/code/                       the artifact (setup runs here)
/// <root>/trials/0017/                trial 17's working folder
/// <root>/logs/0017.1.stdout.log      attempt 1's output
/// ```
/// A trial's folder holds a symlink to every top-level entry of `code/`
/// plus its own config and result files, so parallel trials never overwrite
/// each other's files while sharing the code without copying it.
public struct TrialWorkspace: Sendable {
    public let root: URL
    public var code: URL { root.appending(path: "code") }
    public var logs: URL { root.appending(path: "logs") }
    private let indexWidth: Int

    /// - Parameter trialCount: sizes the zero-padding of folder names.
    public init(root: URL, trialCount: Int) {
        self.root = root
        indexWidth = max(4, String(max(0, trialCount - 1)).count)
    }

    /// Creates the folders and copies the artifact directory into `code/`,
    /// so edits to the source during a sweep do not change running trials.
    public func create(copyingArtifact artifact: URL) throws {
        let files = FileManager.default
        try createFolders()
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: artifact.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WorkspaceError.artifactNotADirectory(artifact.path)
        }
        try files.copyItem(at: artifact, to: code)
    }

    /// Creates the root, `logs/` and `trials/` but not `code/`: whoever calls this fills it
    /// (the Runner unpacks the downloaded artifact there).
    public func createFolders() throws {
        let files = FileManager.default
        try files.createDirectory(at: root, withIntermediateDirectories: true)
        try files.createDirectory(at: logs, withIntermediateDirectories: true)
        try files.createDirectory(at: root.appending(path: "trials"), withIntermediateDirectories: true)
    }

    public func name(of trial: Int) -> String {
        let digits = String(trial)
        return String(repeating: "0", count: max(0, indexWidth - digits.count)) + digits
    }

    public func directory(of trial: Int) -> URL {
        root.appending(path: "trials").appending(path: name(of: trial))
    }

    public func log(of trial: Int, attempt: Int, stream: String) -> URL {
        logs.appending(path: "\(name(of: trial)).\(attempt).\(stream).log")
    }

    /// Everything needed to start one attempt of a trial: a fresh working
    /// folder, the config file, the rendered argv and the environment.
    public func prepare(
        _ trial: PlannedTrial, attempt: Int, declaration: Declaration, baseEnvironment: [String: String]
    ) throws -> TrialSpec {
        let files = FileManager.default
        let folder = directory(of: trial.index)
        if files.fileExists(atPath: folder.path) { try files.removeItem(at: folder) }
        try files.createDirectory(at: folder, withIntermediateDirectories: true)

        let generated = Set([declaration.config?.file, declaration.result?.file].compactMap { $0?.split(separator: "/").first.map(String.init) })
        for entry in try files.contentsOfDirectory(atPath: code.path) where !generated.contains(entry) {
            try files.createSymbolicLink(at: folder.appending(path: entry), withDestinationURL: code.appending(path: entry))
        }

        let values = trial.parameters.values
        var configPath: String?
        if let config = declaration.config, let file = config.file {
            let url = folder.appending(path: file)
            try files.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(ConfigRenderer.render(values, as: config.format, section: config.section).utf8).write(to: url)
            configPath = url.path
        }
        var declared = declaration.environment
        if declaration.config?.format == .env {
            for (name, value) in values { declared[name] = value.description }
        }
        let own: [String: String] = [
            "ASSAY_TRIAL": String(trial.index),
            "ASSAY_REPEAT": String(trial.repetition),
            "ASSAY_ATTEMPT": String(attempt),
            "ASSAY_TRIAL_DIR": folder.path,
        ]
        return TrialSpec(
            arguments: CommandTemplate.render(declaration.command, trial: trial, attempt: attempt, configPath: configPath, config: declaration.config),
            workingDirectory: folder.path,
            environment: TrialEnvironment.scrubbed(from: baseEnvironment, declared: declared, trial: own),
            timeout: declaration.trial.timeout,
            killGrace: declaration.trial.grace,
            result: declaration.result.map { ResultFileSpec(path: $0.file, format: $0.format, line: $0.line) },
            stdoutLog: log(of: trial.index, attempt: attempt, stream: "stdout").path,
            stderrLog: log(of: trial.index, attempt: attempt, stream: "stderr").path)
    }
}

/// Why a workspace cannot be laid out.
public enum WorkspaceError: Error, CustomStringConvertible {
    case artifactNotADirectory(String)

    public var description: String {
        switch self {
        case .artifactNotADirectory(let path): "artifact \(path) is not a directory (zip artifacts are unpacked by the Runner, not by a local run)"
        }
    }
}
