import Crypto
import Foundation

/// An artifact as the server keeps it: the answer of `POST /api/v1/artifacts` and of
/// `GET /api/v1/artifacts?sha256=`.
struct UploadedArtifact: Decodable {
    let id: String
    let sha256: String
    let size: Int
    /// The caller had already uploaded these bytes: the server kept no second copy.
    let deduplicated: Bool
}

extension APIClient {
    /// Zips a declaration's artifact (a progress line on stderr) and asks the server whether
    /// it has these bytes already (`GET /api/v1/artifacts?sha256=`): if so, that artifact is
    /// used and nothing is sent. Otherwise uploads it (a progress bar on a terminal) and
    /// checks the server's SHA-256 against the one computed here.
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
        if let known = try await knownArtifact(sha256: sha256) {
            Terminal.info("artifact \(known.id): already uploaded (sha256 \(sha256.prefix(12))…), skipped")
            return known
        }
        Terminal.info("uploading \(label) (\(Self.size(Int64(body.count))), sha256 \(sha256.prefix(12))…) to \(base.absoluteString)")
        let artifact = try await upload(body, label: label)
        guard artifact.sha256.lowercased() == sha256 else {
            throw CLIFailure(.failed, "the server stored the artifact with sha256 \(artifact.sha256), not \(sha256): the upload was altered on the way")
        }
        Terminal.info(artifact.deduplicated
            ? "artifact \(artifact.id): the server already had these bytes (deduplicated)"
            : "artifact \(artifact.id): uploaded")
        return artifact
    }

    /// The caller's artifact with these bytes, or nil if the server has none (a server
    /// older than the lookup answers 404 too, and then gets the upload).
    private func knownArtifact(sha256: String) async throws -> UploadedArtifact? {
        do {
            return try await decode(UploadedArtifact.self, "/api/v1/artifacts?sha256=\(sha256)")
        } catch let error as ServerError where error.status == 404 {
            return nil
        }
    }

    /// `POST /api/v1/artifacts`, with a bar of the bytes sent when stderr is a terminal.
    /// Limited by stalling, not by a total time: a large artifact on a slow link takes long.
    private func upload(_ body: Data, label: String) async throws -> UploadedArtifact {
        var request = request(.post, "/api/v1/artifacts", body: body, contentType: "application/zip",
                              timeouts: .streaming(stalledAfter: .seconds(60)))
        let bar = Terminal.isInteractive ? TransferBar(label: label) : nil
        request.progress = bar?.show
        defer { bar?.end() }
        return try await decode(UploadedArtifact.self, request)
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
