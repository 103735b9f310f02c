import AssayStore
import Crypto
import Foundation
import Hummingbird

/// A request body received into a temporary file while its SHA-256 and size
/// are computed, so an artifact is never held whole in memory. The caller
/// removes the file (``discard()``) once the store has copied it.
struct ArtifactUpload: Sendable {
    let file: URL
    let sha256: String
    let size: Int

    /// Receives `body`; throws 413 as soon as it exceeds `limit` bytes (the
    /// partial file is removed, so nothing is kept).
    static func receive(_ body: RequestBody, declaredLength: Int?, limit: Int) async throws -> ArtifactUpload {
        if let declaredLength, declaredLength > limit { throw APIError.artifactTooLarge(limit: limit) }
        let file = FileManager.default.temporaryDirectory.appending(path: "assay-upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else { throw APIError.internalError }
        do {
            let handle = try FileHandle(forWritingTo: file)
            defer { try? handle.close() }
            var hasher = SHA256()
            var size = 0
            for try await buffer in body {
                size += buffer.readableBytes
                guard size <= limit else { throw APIError.artifactTooLarge(limit: limit) }
                buffer.withUnsafeReadableBytes { bytes in hasher.update(bufferPointer: bytes) }
                try handle.write(contentsOf: buffer.readableBytesView)
            }
            let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            return ArtifactUpload(file: file, sha256: digest, size: size)
        } catch {
            try? FileManager.default.removeItem(at: file)
            if StoreError.isOutOfSpace(error) { throw APIError.insufficientStorage }
            throw error
        }
    }

    func discard() {
        try? FileManager.default.removeItem(at: file)
    }
}

extension APIError {
    static func artifactTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "too_large", message: "artifact exceeds \(limit) bytes (ASSAY_MAX_ARTIFACT_BYTES)")
    }
}
