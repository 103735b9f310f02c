/// Why a Job could not be built; raised before anything is sent to the API.
public enum KubeBuildError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The id is empty, or is not a valid label value
    /// (≤ 63 characters of `[A-Za-z0-9._-]`, alphanumeric at both ends).
    case invalidExperimentID(String)
    case emptyImage
    case invalidWorkers(Int)
    case invalidTimeBudget(Int)
    case invalidAttempt(Int)

    public var description: String {
        switch self {
        case .invalidExperimentID(let id):
            return "experiment id \(id.debugDescription) cannot name a Kubernetes Job: it must be 1–63 characters of [A-Za-z0-9._-], alphanumeric at both ends"
        case .emptyImage:
            return "the runner image is empty"
        case .invalidWorkers(let n):
            return "workers must be at least 1 (got \(n))"
        case .invalidAttempt(let n):
            return "the Job attempt must be at least 1 (got \(n))"
        case .invalidTimeBudget(let s):
            return "the time budget must be a positive number of seconds (got \(s))"
        }
    }
}
