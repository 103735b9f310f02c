import AssayStore
import Foundation

/// Starts nothing: Runners are started by someone else (a batch scheduler, a
/// script, a test) with the runner token this executor writes to
/// `<directory>/<experiment id>.token`, readable by the server's user only.
/// Canceling an experiment removes its token file; the token itself stops
/// working on the runner routes once the experiment is final.
public struct ExternalExecutor: Executor {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// Where an experiment's token is written.
    public func tokenFile(of experiment: ExperimentID) -> URL {
        directory.appending(path: "\(experiment).token")
    }

    public func start(_ experiment: ExperimentRecord, runnerToken: String) async throws {
        let manager = FileManager.default
        try manager.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Written under a temporary name with mode 0600 first, then renamed: a
        // reader sees the whole token or no file, and never a readable copy.
        let file = tokenFile(of: experiment.id)
        let partial = directory.appending(path: ".\(experiment.id).token.partial")
        guard manager.createFile(atPath: partial.path, contents: Data(runnerToken.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: partial.path])
        }
        if rename(partial.path, file.path) != 0 {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
    }

    public func cancel(_ experiment: ExperimentRecord) async throws {
        try? FileManager.default.removeItem(at: tokenFile(of: experiment.id))
    }
}
