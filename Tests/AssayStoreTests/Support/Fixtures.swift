import AssayCore
@testable import AssayStore
import Foundation
import Testing

/// A fixed clock start, so deadlines are exact.
let T0 = Date(timeIntervalSince1970: 1_800_000_000)

extension Date {
    func plus(_ seconds: Double) -> Date { addingTimeInterval(seconds) }
}

/// Creates a user and an experiment of `trials` trials.
func seed(
    _ store: any ExperimentStore, trials: Int, maxAttempts: Int = 1, lease: Duration = .seconds(30),
    name: String = "exp", tags: [String] = [], username: String? = nil, now: Date = T0
) async throws -> (user: User, experiment: ExperimentRecord) {
    let user = try await store.createUser(
        username: username ?? "u-\(UUID().uuidString.prefix(8))", passwordHash: "$2b$12$hash", isAdmin: false, now: now)
    let experiment = try await store.createExperiment(
        NewExperiment(owner: user.id, name: name, tags: tags, declaration: #"{"name":"exp"}"#,
                      trialCount: trials, maxAttempts: maxAttempts, leaseDuration: lease),
        now: now)
    return (user, experiment)
}

/// A `finished` event for a leased trial.
func finished(_ lease: TrialLease, _ status: TrialStatus = .succeeded, metrics: [(String, ResultValue)] = []) -> RunnerEvent {
    .finished(trial: lease.index, attempt: lease.attempt, status: status, exitCode: status == .succeeded ? 0 : 1,
              seconds: 1.5, final: Metrics(metrics), reason: nil)
}
