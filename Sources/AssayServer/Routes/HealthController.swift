import AssayStore
import Hummingbird

/// `/healthz` (the process answers) and `/readyz` (the store answers too).
struct HealthController: Sendable {
    let store: any ExperimentStore

    func addRoutes(to router: Router<AssayRequestContext>) {
        router.get("healthz") { _, _ in StatusResponse(status: "ok") }
        router.get("readyz") { _, context in
            do {
                try await store.ping()
            } catch {
                context.logger.warning("store not reachable", metadata: ["error": "\(error)"])
                throw APIError.storeUnavailable
            }
            return StatusResponse(status: "ready")
        }
    }
}
