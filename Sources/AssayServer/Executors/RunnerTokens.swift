import AssayStore
import Foundation

/// Issues runner tokens: random, stored hashed, bound to one experiment, expiring.
/// The plain token goes to the executor and nowhere else.
struct RunnerTokens: Sendable {
    static let prefix = "asr_"

    let store: any ExperimentStore
    let lifetime: TimeInterval
    let now: @Sendable () -> Date

    func issue(for record: ExperimentRecord) async throws -> String {
        let secret = SecretToken.generate(prefix: Self.prefix)
        let issued = now()
        _ = try await store.createCredential(Credential(
            id: "", kind: .runner, owner: record.owner, experiment: record.id, name: "runner",
            secretHash: SecretToken.hash(secret), createdAt: issued, expiresAt: issued.addingTimeInterval(lifetime)))
        return secret
    }
}
