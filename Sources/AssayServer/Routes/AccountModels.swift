import AssayStore
import Foundation
import Hummingbird

/// `POST /api/v1/auth/login`.
struct LoginRequest: StrictDecodable {
    typealias Field = CodingKeys
    enum CodingKeys: String, CodingKey, CaseIterable { case username, password }
    var username: String
    var password: String
}

/// `POST /api/v1/tokens`.
struct CreateTokenRequest: StrictDecodable {
    typealias Field = CodingKeys
    enum CodingKeys: String, CodingKey, CaseIterable { case name }
    var name: String
}

/// `POST /api/v1/users`.
struct CreateUserRequest: StrictDecodable {
    typealias Field = CodingKeys
    enum CodingKeys: String, CodingKey, CaseIterable { case username, password, admin }
    var username: String
    var password: String
    var admin: Bool?

    /// Every field error at once (422).
    func validate() throws {
        var errors: [APIError.FieldError] = []
        if username.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) == nil {
            errors.append(.init(field: "username", message: "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"))
        }
        if password.count < 8 || password.utf8.count > 72 {
            errors.append(.init(field: "password", message: "8 to 72 bytes"))
        }
        if !errors.isEmpty { throw APIError.invalid(errors) }
    }
}

/// A user as the API shows it (never the password hash).
struct UserResponse: ResponseCodable {
    var id: String
    var username: String
    var admin: Bool
    var createdAt: Date

    init(_ user: User) {
        id = user.id
        username = user.username
        admin = user.isAdmin
        createdAt = user.createdAt
    }
}

/// A new API token: the only time `token` is ever shown.
struct CreatedTokenResponse: ResponseCodable {
    var id: String
    var name: String
    var token: String
    var createdAt: Date
}

/// An API token in a listing (the secret is not stored, so never shown).
struct TokenResponse: ResponseCodable {
    var id: String
    var name: String
    var createdAt: Date
}

struct TokenListResponse: ResponseCodable {
    var tokens: [TokenResponse]
}
