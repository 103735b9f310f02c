import Crypto
import Foundation

/// An artifact as the server keeps it: `POST /api/v1/artifacts`'s answer.
struct UploadedArtifact: Decodable {
    let id: String
    let sha256: String
    let size: Int
    /// The caller had already uploaded these bytes: the server kept no second copy.
    let deduplicated: Bool
}

extension APIClient {
    /// Zips a declaration's artifact (a progress line on stderr), uploads it,
    /// and checks the server's SHA-256 against the one computed here.
    ///
    /// The API has no way to ask whether a hash is known before sending the
    /// bytes; the server answers `deduplicated` instead, and keeps one copy.
    func uploadArtifact(of source: DeclarationFile) async throws -> UploadedArtifact {
        let folder = URL(filePath: source.declaration.artifact, relativeTo: source.folder).standardizedFileURL
        let label = RunCommand.relative(folder)
        var line = StatusLine()
        let zip = try ArtifactArchive.zip(folder) { done, total in
            line.draw(force: done == total) { "zipping \(label)  [\(StatusLine.bar(done, of: total))] \(Self.size(done)) / \(Self.size(total))" }
        }
        line.end()
        defer { if zip != folder { try? FileManager.default.removeItem(at: zip) } }
        let body: Data
        do {
            body = try Data(contentsOf: zip)
        } catch {
            throw InputError(description: "cannot read the artifact \(zip.path): \(error.localizedDescription)")
        }
        let sha256 = SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
        Terminal.info("uploading \(label) (\(Self.size(Int64(body.count))), sha256 \(sha256.prefix(12))…) to \(base.absoluteString)")
        let artifact = try await decode(UploadedArtifact.self, "/api/v1/artifacts", method: .post, body: body, contentType: "application/zip")
        guard artifact.sha256.lowercased() == sha256 else {
            throw CLIFailure(.failed, "the server stored the artifact with sha256 \(artifact.sha256), not \(sha256): the upload was altered on the way")
        }
        Terminal.info(artifact.deduplicated
            ? "artifact \(artifact.id): the server already had these bytes (deduplicated)"
            : "artifact \(artifact.id): uploaded")
        return artifact
    }

    /// `1.2 MiB`, `340 KiB`, `12 B`.
    static func size(_ bytes: Int64) -> String {
        switch bytes {
        case ..<1024: "\(bytes) B"
        case ..<(1 << 20): String(format: "%.0f KiB", Double(bytes) / 1024)
        case ..<(1 << 30): String(format: "%.1f MiB", Double(bytes) / 1_048_576)
        default: String(format: "%.2f GiB", Double(bytes) / 1_073_741_824)
        }
    }
}
