import Foundation

/// Users and credentials.
///
/// ```
/// users:       {_id, username, passwordHash, isAdmin, createdAt}            unique username
/// credentials: {_id, kind, owner, experiment, name, secretHash, createdAt,
///               expiresAt}                                                  unique secretHash
/// ```
extension MongoStore {
    public func createUser(username: String, passwordHash: String, isAdmin: Bool, now: Date) async throws -> User {
        let user = User(id: Identifier.make(at: now), username: username, passwordHash: passwordHash, isAdmin: isAdmin, createdAt: now)
        try await run { connection in
            do {
                try connection.insert(Collections.users, [
                    "_id": .string(user.id), "username": .string(username), "passwordHash": .string(passwordHash),
                    "isAdmin": .bool(isAdmin), "createdAt": StoredValue.time(now),
                ])
            } catch StoreError.conflict {
                throw StoreError.conflict("username \(username) is taken")
            }
        }
        return user
    }

    public func user(named username: String) async throws -> User? {
        try await findUser(["username": .string(username)])
    }

    public func user(id: UserID) async throws -> User? {
        try await findUser(["_id": .string(id)])
    }

    public func adminExists() async throws -> Bool {
        try await findUser(["isAdmin": true]) != nil
    }

    private func findUser(_ filter: BSON.Document) async throws -> User? {
        try await run { connection in
            try connection.findOne(Collections.users, filter).map { document in
                User(id: try document.string("_id"), username: try document.string("username"),
                     passwordHash: try document.string("passwordHash"), isAdmin: document.bool("isAdmin"),
                     createdAt: try document.date("createdAt"))
            }
        }
    }

    public func createCredential(_ credential: Credential) async throws -> Credential {
        var stored = credential
        stored.id = Identifier.make(at: credential.createdAt)
        let document: BSON.Document = [
            "_id": .string(stored.id), "kind": .string(stored.kind.rawValue), "owner": .string(stored.owner),
            "experiment": .optional(stored.experiment), "name": .string(stored.name), "secretHash": .string(stored.secretHash),
            "createdAt": StoredValue.time(stored.createdAt), "expiresAt": StoredValue.time(stored.expiresAt),
        ]
        try await run { connection in
            do {
                try connection.insert(Collections.credentials, document)
            } catch StoreError.conflict {
                throw StoreError.conflict("a credential with this secret exists")
            }
        }
        return stored
    }

    public func credential(secretHash: String, now: Date) async throws -> Credential? {
        let found = try await run { connection in
            try connection.findOne(Collections.credentials, ["secretHash": .string(secretHash)]).map(Self.credential(from:))
        }
        guard let found, found.expiresAt.map({ $0 > now }) ?? true else { return nil }
        return found
    }

    public func credentials(owner: UserID, kind: CredentialKind) async throws -> [Credential] {
        try await run { connection in
            try connection.find(Collections.credentials, ["owner": .string(owner), "kind": .string(kind.rawValue)],
                                .init(sort: ["createdAt": -1, "_id": -1]))
                .map(Self.credential(from:))
        }
    }

    public func deleteCredential(id: TokenID, owner: UserID) async throws -> Bool {
        try await run { connection in
            try connection.delete(Collections.credentials, filter: ["_id": .string(id), "owner": .string(owner)], many: false) > 0
        }
    }

    public func deleteCredential(secretHash: String) async throws {
        try await run { connection in
            try connection.delete(Collections.credentials, filter: ["secretHash": .string(secretHash)], many: false)
        }
    }

    private static func credential(from document: BSON.Document) throws -> Credential {
        Credential(
            id: try document.string("_id"), kind: try document.enumeration("kind", as: CredentialKind.self),
            owner: try document.string("owner"), experiment: document.optionalString("experiment"),
            name: try document.string("name"), secretHash: try document.string("secretHash"),
            createdAt: try document.date("createdAt"), expiresAt: document.optionalDate("expiresAt"))
    }
}
