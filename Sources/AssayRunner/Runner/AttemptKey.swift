/// One attempt of one trial: what a lease hands out and what events are about.
struct AttemptKey: Hashable, Sendable, CustomStringConvertible {
    var trial: Int
    var attempt: Int

    var description: String { "\(trial).\(attempt)" }
}
