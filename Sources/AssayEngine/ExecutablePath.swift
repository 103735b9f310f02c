import Foundation

/// Finds the file a trial's argv[0] names, the way a shell would, but in the trial's
/// own `PATH` and working directory rather than the engine's.
enum ExecutablePath {
    /// Searched when the trial's environment has no `PATH` (glibc's `execvp` default).
    static let defaultSearchPath = "/bin:/usr/bin"

    static func resolve(
        _ command: String,
        environment: [String: String],
        workingDirectory: String
    ) throws(TrialEngine.LaunchError) -> String {
        if command.contains("/") {
            let path = absolute(command, in: workingDirectory)
            guard let kind = FileKind(of: path) else { throw .commandNotFound(command) }
            guard kind.isExecutableFile(path) else { throw .notExecutable(path) }
            return path
        }
        var firstNotExecutable: String?
        let directories = (environment["PATH"] ?? defaultSearchPath).split(separator: ":", omittingEmptySubsequences: false)
        for directory in directories {
            // Empty and relative entries name the current directory, which for a trial is its working directory.
            let path = absolute(directory.isEmpty ? command : "\(directory)/\(command)", in: workingDirectory)
            guard let kind = FileKind(of: path) else { continue }
            if kind.isExecutableFile(path) { return path }
            if firstNotExecutable == nil { firstNotExecutable = path }
        }
        if let firstNotExecutable { throw .notExecutable(firstNotExecutable) }
        throw .commandNotFound(command)
    }

    private static func absolute(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : ("\(directory)/\(path)" as NSString).standardizingPath
    }
}
