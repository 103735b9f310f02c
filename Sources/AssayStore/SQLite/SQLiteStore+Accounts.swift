import Foundation
import GRDB

/// Users and credentials (API tokens, sessions, runner tokens; hashes only).
extension SQLiteStore {
    public func createUser(username: String, passwordHash: String, isAdmin: Bool, now: Date) async throws -> User {
        try Self.checkText(username, "username")
        try Self.checkText(passwordHash, "password hash")
        let user = User(id: Identifier.make(at: now), username: username, passwordHash: passwordHash, isAdmin: isAdmin, createdAt: now)
        do {
            try await write { db in
                try db.executeCached(
                    sql: "INSERT INTO users (id, username, passwordHash, isAdmin, createdAt) VALUES (?, ?, ?, ?, ?)",
                    arguments: [user.id, user.username, user.passwordHash, user.isAdmin, user.createdAt.timeIntervalSince1970])
            }
        } catch StoreError.conflict {
            throw StoreError.conflict("username \"\(username)\" is taken")
        }
        return user
    }

    public func user(named username: String) async throws -> User? {
        try await read { db in try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE username = ?"), arguments: [username]).map(Self.user) }
    }

    public func user(id: UserID) async throws -> User? {
        try await read { db in try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?"), arguments: [id]).map(Self.user) }
    }

    public func adminExists() async throws -> Bool {
        try await read { db in try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM users WHERE isAdmin)")) ?? false }
    }

    public func createCredential(_ credential: Credential) async throws -> Credential {
        try Self.checkText(credential.name, "credential name")
        try Self.checkText(credential.secretHash, "secret hash")
        var stored = credential
        stored.id = Identifier.make(at: credential.createdAt)
        try await write { [stored] db in
            try db.executeCached(
                sql: """
                    INSERT INTO credentials (id, kind, owner, experiment, name, secretHash, createdAt, expiresAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    stored.id, stored.kind.rawValue, stored.owner, stored.experiment, stored.name, stored.secretHash,
                    stored.createdAt.timeIntervalSince1970, stored.expiresAt?.timeIntervalSince1970,
                ])
        }
        return stored
    }

    public func credential(secretHash: String, now: Date) async throws -> Credential? {
        try await read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM credentials WHERE secretHash = ? AND (expiresAt IS NULL OR expiresAt > ?)"),
                arguments: [secretHash, now.timeIntervalSince1970]
            ).map(Self.credential)
        }
    }

    public func credentials(owner: UserID, kind: CredentialKind) async throws -> [Credential] {
        try await read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM credentials WHERE owner = ? AND kind = ? ORDER BY createdAt DESC, id DESC"),
                arguments: [owner, kind.rawValue]
            ).map(Self.credential)
        }
    }

    public func deleteCredential(id: TokenID, owner: UserID) async throws -> Bool {
        try await write { db in
            try db.executeCached(sql: "DELETE FROM credentials WHERE id = ? AND owner = ?", arguments: [id, owner])
            return db.changesCount > 0
        }
    }

    public func deleteCredential(secretHash: String) async throws {
        try await write { db in try db.executeCached(sql: "DELETE FROM credentials WHERE secretHash = ?", arguments: [secretHash]) }
    }

    // MARK: Rows

    private static func user(_ row: Row) throws -> User {
        User(
            id: try row.decode(forColumn: "id"),
            username: try row.decode(forColumn: "username"),
            passwordHash: try row.decode(forColumn: "passwordHash"),
            isAdmin: try row.decode(forColumn: "isAdmin"),
            createdAt: try date(row, "createdAt"))
    }

    private static func credential(_ row: Row) throws -> Credential {
        let kind: String = try row.decode(forColumn: "kind")
        guard let credentialKind = CredentialKind(rawValue: kind) else {
            throw StoreError.failure("credential of unknown kind \"\(kind)\"")
        }
        return Credential(
            id: try row.decode(forColumn: "id"),
            kind: credentialKind,
            owner: try row.decode(forColumn: "owner"),
            experiment: try row.decode(forColumn: "experiment"),
            name: try row.decode(forColumn: "name"),
            secretHash: try row.decode(forColumn: "secretHash"),
            createdAt: try date(row, "createdAt"),
            expiresAt: try optionalDate(row, "expiresAt"))
    }
}
