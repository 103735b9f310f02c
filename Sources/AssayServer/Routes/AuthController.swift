import AssayStore
import Foundation
import Hummingbird

/// Login, logout, API tokens, users and `/me` (DESIGN "Fixed interface points").
struct AuthController: Sendable {
    let authentication: Authentication
    /// The session cookie gets `Secure` when the public URL is https.
    let secureCookies: Bool

    /// Routes open to anonymous clients.
    func addPublicRoutes(to group: RouterGroup<AssayRequestContext>) {
        group.post("auth/login", use: login)
        group.post("auth/logout", use: logout)
    }

    /// Routes behind ``UserAuthenticationMiddleware``.
    func addUserRoutes(to group: RouterGroup<AssayRequestContext>) {
        group.get("me") { _, context in UserResponse(try context.requireUser()) }
        group.get("tokens", use: listTokens)
        group.post("tokens", use: createToken)
        group.delete("tokens/{id}", use: deleteToken)
        group.post("users", use: createUser)
    }

    @Sendable func login(_ request: Request, context: AssayRequestContext) async throws -> Response {
        let body = try await request.decode(as: LoginRequest.self, context: context)
        let (user, secret) = try await authentication.login(
            username: body.username, password: body.password, client: context.clientAddress)
        context.logger.info("login", metadata: ["user": "\(user.id)"])
        var response = try UserResponse(user).response(from: request, context: context)
        response.setCookie(sessionCookie(value: secret, maxAge: Int(authentication.sessionLifetime)))
        return response
    }

    @Sendable func logout(_ request: Request, context: AssayRequestContext) async throws -> Response {
        if let cookie = request.cookies[Authentication.sessionCookieName] {
            try await authentication.logout(sessionSecret: cookie.value)
        }
        var response = Response(status: .noContent)
        response.setCookie(sessionCookie(value: "", maxAge: 0))
        return response
    }

    @Sendable func listTokens(_ request: Request, context: AssayRequestContext) async throws -> TokenListResponse {
        let user = try context.requireUser()
        let tokens = try await authentication.store.credentials(owner: user.id, kind: .apiToken)
        return TokenListResponse(tokens: tokens.map { TokenResponse(id: $0.id, name: $0.name, createdAt: $0.createdAt) })
    }

    @Sendable func createToken(_ request: Request, context: AssayRequestContext) async throws -> EditedResponse<CreatedTokenResponse> {
        let user = try context.requireUser()
        let body = try await request.decode(as: CreateTokenRequest.self, context: context)
        let name = body.name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(name.count) else {
            throw APIError.invalid([.init(field: "name", message: "1 to 100 characters")])
        }
        let (credential, secret) = try await authentication.createToken(owner: user.id, name: name)
        context.logger.info("API token created", metadata: ["token": "\(credential.id)"])
        return EditedResponse(
            status: .created,
            response: CreatedTokenResponse(id: credential.id, name: credential.name, token: secret, createdAt: credential.createdAt))
    }

    @Sendable func deleteToken(_ request: Request, context: AssayRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try context.parameters.require("id")
        // Only API tokens are deleted here: a session id is as unknown as another user's token.
        let tokens = try await authentication.store.credentials(owner: user.id, kind: .apiToken)
        guard Identifier.isWellFormed(id), tokens.contains(where: { $0.id == id }),
              try await authentication.store.deleteCredential(id: id, owner: user.id)
        else { throw APIError.notFound("token") }
        context.logger.info("API token deleted", metadata: ["token": "\(id)"])
        return Response(status: .noContent)
    }

    @Sendable func createUser(_ request: Request, context: AssayRequestContext) async throws -> EditedResponse<UserResponse> {
        let user = try context.requireUser()
        guard user.isAdmin else { throw APIError.forbidden("only an admin can create users") }
        let body = try await request.decode(as: CreateUserRequest.self, context: context)
        try body.validate()
        let created = try await authentication.createUser(username: body.username, password: body.password, isAdmin: body.admin ?? false)
        context.logger.info("user created", metadata: ["created": "\(created.id)", "admin": "\(created.isAdmin)"])
        return EditedResponse(status: .created, response: UserResponse(created))
    }

    private func sessionCookie(value: String, maxAge: Int) -> Cookie {
        Cookie(name: Authentication.sessionCookieName, value: value, maxAge: maxAge, path: "/",
               secure: secureCookies, httpOnly: true, sameSite: .lax)
    }
}
