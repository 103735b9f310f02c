import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// Artifacts: a row per (owner, sha256), bytes in `<database>.artifacts/<sha256>`
/// (one file per content, whoever uploaded it).
extension SQLiteStore {
    static let chunkSize = 64 * 1024

    public func storeArtifact(
        owner: UserID, sha256: String, size: Int, contentsOf file: URL, now: Date
    ) async throws -> (artifact: Artifact, deduplicated: Bool) {
        // The hash names a file: anything but 64 lowercase hex digits could name another path.
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw StoreError.invalid("sha256 must be 64 lowercase hex digits")
        }
        guard size >= 0 else { throw StoreError.invalid("artifact size \(size) is negative") }
        if let existing = try await read({ db in try Self.artifact(db, owner: owner, sha256: sha256) }) {
            return (existing, true)
        }
        try await copyIntoStore(file, sha256: sha256, size: size)
        let candidate = Artifact(id: Identifier.make(at: now), owner: owner, sha256: sha256, size: size, createdAt: now)
        return try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO artifacts (id, owner, sha256, size, createdAt) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (owner, sha256) DO NOTHING
                    """,
                arguments: [candidate.id, owner, sha256, size, now.timeIntervalSince1970])
            if db.changesCount == 1 { return (candidate, false) }
            // The same owner stored the same bytes concurrently: theirs is the artifact.
            guard let existing = try Self.artifact(db, owner: owner, sha256: sha256) else {
                throw StoreError.failure("artifact \(sha256) vanished while storing it")
            }
            return (existing, true)
        }
    }

    public func artifact(id: ArtifactID, owner: UserID) async throws -> Artifact? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM artifacts WHERE id = ? AND owner = ?", arguments: [id, owner]).map(Self.artifact)
        }
    }

    public func artifact(sha256: String, owner: UserID) async throws -> Artifact? {
        try await read { db in try Self.artifact(db, owner: owner, sha256: sha256) }
    }

    public func readArtifact(id: ArtifactID, owner: UserID, chunk: @Sendable ([UInt8]) async throws -> Void) async throws {
        guard let artifact = try await artifact(id: id, owner: owner) else { throw StoreError.notFound("artifact \(id)") }
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: artifactFile(artifact.sha256))
        } catch {
            throw StoreError.failure("the bytes of artifact \(id) are missing from \(artifactDirectory.path)")
        }
        defer { try? handle.close() }
        while true {
            let data: Data?
            do { data = try handle.read(upToCount: Self.chunkSize) } catch { throw Self.storeError(error) }
            guard let data, !data.isEmpty else { return }
            try await chunk([UInt8](data))
        }
    }

    // MARK: Files

    func artifactFile(_ sha256: String) -> URL {
        artifactDirectory.appending(path: sha256, directoryHint: .notDirectory)
    }

    /// Copies `file` in chunks to a temporary name, flushes it, then renames it
    /// into place: a crash leaves a stray temporary file, never a short artifact.
    /// Content already stored (by another owner) is not copied again.
    private func copyIntoStore(_ file: URL, sha256: String, size: Int) async throws {
        let target = artifactFile(sha256)
        let partial = artifactDirectory.appending(path: ".\(sha256).\(UUID().uuidString).partial")
        try await Self.offloaded {
            if FileManager.default.fileExists(atPath: target.path) { return }
            do {
                let source = try FileHandle(forReadingFrom: file)
                defer { try? source.close() }
                guard FileManager.default.createFile(atPath: partial.path, contents: nil) else {
                    throw StoreError.unavailable("cannot create \(partial.path)")
                }
                let destination = try FileHandle(forWritingTo: partial)
                defer { try? destination.close() }
                var copied = 0
                while let data = try source.read(upToCount: Self.chunkSize), !data.isEmpty {
                    try destination.write(contentsOf: data)
                    copied += data.count
                }
                guard copied == size else {
                    throw StoreError.invalid("artifact file holds \(copied) bytes, not the announced \(size)")
                }
                try destination.synchronize()
                guard rename(partial.path, target.path) == 0 else {
                    throw StoreError.unavailable("cannot rename \(partial.path): errno \(errno)")
                }
            } catch {
                try? FileManager.default.removeItem(at: partial)
                throw Self.storeError(error)
            }
        }
    }

    /// Runs blocking file I/O on a dispatch queue rather than a concurrency thread.
    private static func offloaded(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    // MARK: Rows

    private static func artifact(_ db: Database, owner: UserID, sha256: String) throws -> Artifact? {
        try Row.fetchOne(db, sql: "SELECT * FROM artifacts WHERE owner = ? AND sha256 = ?", arguments: [owner, sha256]).map(artifact)
    }

    private static func artifact(_ row: Row) throws -> Artifact {
        Artifact(
            id: try row.decode(forColumn: "id"),
            owner: try row.decode(forColumn: "owner"),
            sha256: try row.decode(forColumn: "sha256"),
            size: try row.decode(forColumn: "size"),
            createdAt: try date(row, "createdAt"))
    }
}
