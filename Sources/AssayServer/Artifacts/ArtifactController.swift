import AssayStore
import Foundation
import Hummingbird
import NIOCore

/// `POST /api/v1/artifacts` (streamed upload, deduplicated per owner by
/// SHA-256), `GET /api/v1/artifacts?sha256=` (is it stored already?) and
/// `GET /api/v1/artifacts/{id}` (streamed download).
struct ArtifactController: Sendable {
    let store: any ExperimentStore
    let maxBytes: Int
    let now: @Sendable () -> Date

    func addRoutes(to group: RouterGroup<AssayRequestContext>) {
        group.post("artifacts", use: upload)
        group.get("artifacts", use: find)
        group.get("artifacts/{id}", use: download)
    }

    /// 201 for a new artifact, 200 when the owner already had these bytes.
    @Sendable func upload(_ request: Request, context: AssayRequestContext) async throws -> EditedResponse<ArtifactResponse> {
        let user = try context.requireUser()
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        let upload = try await ArtifactUpload.receive(request.body, declaredLength: declared, limit: maxBytes)
        defer { upload.discard() }
        let (artifact, deduplicated) = try await store.storeArtifact(
            owner: user.id, sha256: upload.sha256, size: upload.size, contentsOf: upload.file, now: now())
        context.logger.info("artifact stored", metadata: [
            "artifact": "\(artifact.id)", "size": "\(artifact.size)", "deduplicated": "\(deduplicated)",
        ])
        return EditedResponse(
            status: deduplicated ? .ok : .created,
            response: ArtifactResponse(id: artifact.id, sha256: artifact.sha256, size: artifact.size, deduplicated: deduplicated))
    }

    /// The caller's artifact with these bytes, answered as a repeated upload of them would
    /// be (`deduplicated: true`), so a client need not send what the server already has.
    /// Another user's artifact with the same bytes is not found.
    @Sendable func find(_ request: Request, context: AssayRequestContext) async throws -> ArtifactResponse {
        let user = try context.requireUser()
        guard let sha256 = request.uri.queryParameters["sha256"].map({ String($0).lowercased() }), Self.isSHA256(sha256) else {
            throw APIError.badRequest("sha256 must be 64 hex digits")
        }
        guard let artifact = try await store.artifact(sha256: sha256, owner: user.id) else { throw APIError.notFound("artifact") }
        return ArtifactResponse(id: artifact.id, sha256: artifact.sha256, size: artifact.size, deduplicated: true)
    }

    /// 64 lowercase hex digits.
    private static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): true
            default: false
            }
        }
    }

    @Sendable func download(_ request: Request, context: AssayRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try context.parameters.require("id")
        guard Identifier.isWellFormed(id), let artifact = try await store.artifact(id: id, owner: user.id) else {
            throw APIError.notFound("artifact")
        }
        return Self.streaming(artifact, from: store)
    }

    /// The artifact's bytes as a response, streamed from the store chunk by chunk.
    static func streaming(_ artifact: Artifact, from store: any ExperimentStore) -> Response {
        let chunks = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            let task = Task {
                do {
                    try await store.readArtifact(id: artifact.id, owner: artifact.owner) { bytes in
                        continuation.yield(ByteBuffer(bytes: bytes))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/zip", .contentLength: String(artifact.size), .eTag: "\"\(artifact.sha256)\""],
            body: ResponseBody(asyncSequence: chunks))
    }
}

/// An artifact as the API shows it.
struct ArtifactResponse: ResponseCodable {
    var id: String
    var sha256: String
    var size: Int
    var deduplicated: Bool
}
