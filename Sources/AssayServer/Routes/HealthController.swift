import AssayStore
import Hummingbird
import Synchronization

/// `/healthz` (the process answers) and `/readyz` (the store answers too,
/// within `readinessTimeout`: a store that hangs is as unready as one that
/// refuses, and a probe must not hang with it).
struct HealthController: Sendable {
    let store: any ExperimentStore
    let readinessTimeout: Duration

    func addRoutes(to router: Router<AssayRequestContext>) {
        router.get("healthz") { _, _ in StatusResponse(status: "ok") }
        router.get("readyz") { _, context in
            guard await storeAnswers(context: context) else { throw APIError.storeUnavailable }
            return StatusResponse(status: "ready")
        }
    }

    /// Races a ping against the timeout. The ping is left to finish on its own
    /// (a blocking driver call cannot be interrupted); only its answer is dropped.
    private func storeAnswers(context: AssayRequestContext) async -> Bool {
        let store = store
        let timeout = readinessTimeout
        let logger = context.logger
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let answered = Mutex(false)
            let answer: @Sendable (Bool) -> Void = { ready in
                guard answered.withLock({ done in defer { done = true }; return !done }) else { return }
                continuation.resume(returning: ready)
            }
            Task {
                do {
                    try await store.ping()
                    answer(true)
                } catch {
                    logger.warning("store not reachable", metadata: ["error": "\(error)"])
                    answer(false)
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                answer(false)
            }
        }
    }
}

/// `{"status": …}` of the health routes.
struct StatusResponse: ResponseCodable {
    var status: String
}
