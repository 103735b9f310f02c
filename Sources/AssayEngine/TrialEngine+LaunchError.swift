extension TrialEngine {
    /// Why a trial could not be started; nothing ran.
    public enum LaunchError: Error, Sendable, Hashable, CustomStringConvertible {
        case emptyCommand
        /// No executable of this name on the trial's `PATH`.
        case commandNotFound(String)
        /// The file exists but cannot be executed.
        case notExecutable(String)
        case workingDirectoryMissing(String)
        case logUnwritable(path: String, reason: String)
        /// The operating system refused to start the process.
        case spawnFailed(String)

        public var description: String {
            switch self {
            case .emptyCommand: "the command is empty"
            case .commandNotFound(let name): "command not found: \(name)"
            case .notExecutable(let path): "not executable: \(path)"
            case .workingDirectoryMissing(let path): "working directory does not exist: \(path)"
            case .logUnwritable(let path, let reason): "cannot write log \(path): \(reason)"
            case .spawnFailed(let reason): "cannot start the trial: \(reason)"
            }
        }
    }
}
