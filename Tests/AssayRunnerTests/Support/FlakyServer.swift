@testable import AssayRunner
import Foundation
import Synchronization

/// Wraps a real ``RunnerServer`` and loses the first `failures` event posts, in turn before
/// the server saw them (connection refused), after it applied them (the answer lost), and
/// with a 503; records every post and answer.
final class FlakyServer: RunnerServer {
    struct Post: Sendable {
        var seq: Int
        var events: [BatchEvent]
        var active: [AttemptKey]
        /// nil when the post failed.
        var answer: BatchAnswer?
    }

    let wrapped: any RunnerServer
    private let state: Mutex<(remaining: Int, posts: [Post])>

    init(_ wrapped: any RunnerServer, failures: Int) {
        self.wrapped = wrapped
        state = Mutex((failures, []))
    }

    var posts: [Post] { state.withLock { $0.posts } }

    func postEvents(_ batch: EventBatch) async throws -> BatchAnswer {
        let failure = state.withLock { state -> Int? in
            guard state.remaining > 0 else { return nil }
            state.remaining -= 1
            return state.remaining % 3
        }
        func record(_ answer: BatchAnswer?) {
            state.withLock { $0.posts.append(Post(seq: batch.seq, events: batch.events, active: batch.active, answer: answer)) }
        }
        switch failure {
        case 0?:
            record(nil)
            throw RunnerServerError.transport("connection refused")
        case 1?:
            _ = try await wrapped.postEvents(batch)
            record(nil)
            throw RunnerServerError.transport("connection reset by peer")
        case 2?:
            record(nil)
            throw RunnerServerError.status(503, "unavailable")
        default:
            let answer = try await wrapped.postEvents(batch)
            record(answer)
            return answer
        }
    }

    func spec() async throws -> RunnerSpec { try await wrapped.spec() }
    func downloadArtifact(to file: URL) async throws { try await wrapped.downloadArtifact(to: file) }
    func lease(runner: String, max: Int) async throws -> LeaseAnswer { try await wrapped.lease(runner: runner, max: max) }
    func setupFailed(runner: String, reason: String) async throws -> ExperimentState { try await wrapped.setupFailed(runner: runner, reason: reason) }
    func claimNotification(runner: String) async throws -> NotificationClaim { try await wrapped.claimNotification(runner: runner) }
    func notificationResult(runner: String, sent: Bool, error: String?) async throws {
        try await wrapped.notificationResult(runner: runner, sent: sent, error: error)
    }
}

/// Records what it was asked to send.
final class RecordingNotifier: CompletionNotifier {
    private let calls = Mutex<[(RunnerSpec, NotificationClaim)]>([])
    let delivery: NotificationDelivery

    init(delivery: NotificationDelivery = .sent) {
        self.delivery = delivery
    }

    var claims: [NotificationClaim] { calls.withLock { $0.map(\.1) } }

    func notify(spec: RunnerSpec, claim: NotificationClaim) async -> NotificationDelivery {
        calls.withLock { $0.append((spec, claim)) }
        return delivery
    }
}
