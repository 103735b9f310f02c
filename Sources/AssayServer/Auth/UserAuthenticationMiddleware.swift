import Hummingbird

/// Admits a request on user routes: `Authorization: Bearer <API token>` or the
/// session cookie identifies the user (401 without either, 403 for a runner
/// token) and puts them in the context.
struct UserAuthenticationMiddleware: RouterMiddleware {
    typealias Context = AssayRequestContext

    let authentication: Authentication

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let user = if let header = request.headers[.authorization] {
            try await authentication.user(forSecret: try Self.bearerToken(header), kind: .apiToken)
        } else if let cookie = request.cookies[Authentication.sessionCookieName] {
            try await authentication.user(forSecret: cookie.value, kind: .session)
        } else {
            throw APIError.unauthorized
        }
        context.user = user
        context.logger[metadataKey: "user"] = .string(user.id)
        return try await next(request, context)
    }

    static func bearerToken(_ header: String) throws -> String {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }
}
