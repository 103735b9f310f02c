/// How a Runner's work ended, and the process exit code that says so.
public enum RunnerExit: Sendable, Hashable, CustomStringConvertible {
    /// Nothing more to lease and nothing running (the experiment may still be running on
    /// other Runners, or have ended in any state).
    case finished
    /// The artifact, the declaration or `setup` failed; the server was told.
    case setupFailed(String)
    /// The Runner could not go on: the server refused it (401, 403, 404...), or it was interrupted.
    case failed(String)

    /// 0, 2 and 1.
    public var code: Int32 {
        switch self {
        case .finished: 0
        case .failed: 1
        case .setupFailed: 2
        }
    }

    public var description: String {
        switch self {
        case .finished: "finished"
        case .setupFailed(let reason): "setup failed: \(reason)"
        case .failed(let reason): "failed: \(reason)"
        }
    }
}
