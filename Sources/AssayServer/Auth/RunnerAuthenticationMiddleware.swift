import AssayStore
import Foundation
import Hummingbird

/// Admits a request on `/api/v1/runner/experiments/{id}/…` only with that
/// experiment's runner token: 401 without a valid token, 403 for any other
/// credential (another experiment's runner token, an API token).
struct RunnerAuthenticationMiddleware: RouterMiddleware {
    typealias Context = AssayRequestContext

    let store: any ExperimentStore
    let now: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized }
        let secret = try UserAuthenticationMiddleware.bearerToken(header)
        guard let credential = try await store.credential(secretHash: SecretToken.hash(secret), now: now()) else {
            throw APIError.unauthorized
        }
        let experiment = try context.parameters.require("id")
        guard credential.kind == .runner, credential.experiment == experiment else {
            throw APIError.forbidden("only this experiment's runner token opens its runner routes")
        }
        var context = context
        context.runnerExperiment = experiment
        context.logger[metadataKey: "experiment"] = .string(experiment)
        return try await next(request, context)
    }
}
