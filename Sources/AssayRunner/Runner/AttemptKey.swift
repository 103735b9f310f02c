/// One attempt of one trial: what a lease hands out, what events are about, and what a
/// batch lists as still running (`{"trial": 3, "attempt": 1}` on the wire).
public struct AttemptKey: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var trial: Int
    public var attempt: Int

    public init(trial: Int, attempt: Int) {
        self.trial = trial
        self.attempt = attempt
    }

    public static func < (lhs: AttemptKey, rhs: AttemptKey) -> Bool {
        (lhs.trial, lhs.attempt) < (rhs.trial, rhs.attempt)
    }

    public var description: String { "\(trial).\(attempt)" }
}
