import Dispatch
import Foundation
import Synchronization

/// Artifacts: the record per (owner, sha256) in `artifacts`, the bytes in the GridFS
/// bucket `blobs`, one file per sha256 shared by every owner who uploads those bytes.
///
/// ```
/// artifacts: {_id, owner, sha256, size, createdAt, file}   unique (owner, sha256)
/// blobs.files / blobs.chunks: GridFS, filename = sha256, _id = file
/// ```
/// Each upload writes a fresh file id (an aborted upload deletes only its own chunks). Two
/// owners uploading the same new bytes at the same moment may each leave a file; every
/// artifact points at a complete one.
extension MongoStore {
    public func storeArtifact(owner: UserID, sha256: String, size: Int, contentsOf file: URL, now: Date) async throws
        -> (artifact: Artifact, deduplicated: Bool)
    {
        try await run { connection in
            let mine: BSON.Document = ["owner": .string(owner), "sha256": .string(sha256)]
            if let existing = try connection.findOne(Collections.artifacts, mine) {
                return (try Self.artifact(from: existing), true)
            }
            var fileID: String
            var uploaded = false
            if let shared = try connection.findOne(Collections.artifacts, ["sha256": .string(sha256)])?.optionalString("file") {
                fileID = shared
            } else {
                fileID = "\(sha256)-\(Identifier.make(at: now))"
                try connection.uploadFile(bucket: Collections.blobs, id: fileID, filename: sha256, contentsOf: file)
                uploaded = true
            }
            let artifact = Artifact(id: Identifier.make(at: now), owner: owner, sha256: sha256, size: size, createdAt: now)
            do {
                try connection.insert(Collections.artifacts, [
                    "_id": .string(artifact.id), "owner": .string(owner), "sha256": .string(sha256), "size": .int(size),
                    "createdAt": StoredValue.time(now), "file": .string(fileID),
                ])
            } catch StoreError.conflict {
                // The same owner stored the same bytes concurrently: theirs is the artifact.
                if uploaded { try? connection.deleteFile(bucket: Collections.blobs, id: fileID) }
                guard let existing = try connection.findOne(Collections.artifacts, mine) else { throw StoreError.conflict("artifact \(sha256)") }
                return (try Self.artifact(from: existing), true)
            }
            return (artifact, false)
        }
    }

    public func artifact(id: ArtifactID, owner: UserID) async throws -> Artifact? {
        try await run { connection in
            try connection.findOne(Collections.artifacts, ["_id": .string(id), "owner": .string(owner)]).map(Self.artifact(from:))
        }
    }

    public func artifact(sha256: String, owner: UserID) async throws -> Artifact? {
        try await run { connection in
            try connection.findOne(Collections.artifacts, ["owner": .string(owner), "sha256": .string(sha256)]).map(Self.artifact(from:))
        }
    }

    /// The download runs on a blocking thread that hands each piece over and waits until
    /// `chunk` has taken it, so at most one piece is in memory and a slow reader slows the
    /// download instead of buffering the file.
    public func readArtifact(id: ArtifactID, owner: UserID, chunk: @Sendable ([UInt8]) async throws -> Void) async throws {
        let fileID = try await run { connection in
            try connection.findOne(Collections.artifacts, ["_id": .string(id), "owner": .string(owner)])?.optionalString("file")
        }
        guard let fileID else { throw StoreError.notFound("artifact \(id)") }
        let (pieces, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let handoff = PieceHandoff()
        continuation.onTermination = { _ in handoff.cancel() }
        let download = Task { [pool] in
            do {
                try await pool.withConnection { connection in
                    try connection.downloadFile(bucket: Collections.blobs, id: fileID) { bytes in
                        guard !handoff.isCanceled else { throw StoreError.failure("artifact download canceled") }
                        continuation.yield(Array(bytes))
                        handoff.waitUntilTaken()
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        do {
            for try await piece in pieces {
                try await chunk(piece)
                handoff.taken()
            }
        } catch {
            handoff.cancel()
            await download.value
            throw error
        }
        await download.value
    }

    private static func artifact(from document: BSON.Document) throws -> Artifact {
        Artifact(id: try document.string("_id"), owner: try document.string("owner"), sha256: try document.string("sha256"),
                 size: try document.int("size"), createdAt: try document.date("createdAt"))
    }
}

/// One piece at a time from a blocking producer thread to an async consumer.
private final class PieceHandoff: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let canceled = Atomic<Bool>(false)

    var isCanceled: Bool { canceled.load(ordering: .acquiring) }

    /// Producer: blocks until the consumer took the last piece (or gave up).
    func waitUntilTaken() { semaphore.wait() }

    func taken() { semaphore.signal() }

    func cancel() {
        canceled.store(true, ordering: .releasing)
        semaphore.signal()
    }
}
