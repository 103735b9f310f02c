import Crypto
import Foundation

/// Checks a downloaded artifact against the size and SHA-256 the server announced, reading
/// the file in chunks (an artifact may be far larger than memory should hold).
public enum ArtifactDigest {
    /// The lowercase hex SHA-256 of a file.
    public static func sha256(of file: URL) throws(ArtifactError) -> String {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: file)
        } catch {
            throw .unreadable("\(file.lastPathComponent): \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                hasher.update(data: chunk)
            }
        } catch {
            throw .unreadable("\(file.lastPathComponent): \(error.localizedDescription)")
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Throws unless `file` has exactly `size` bytes and the SHA-256 `sha256` (hex, any case).
    public static func verify(_ file: URL, sha256 expected: String, size: Int) throws(ArtifactError) {
        let actualSize: Int
        do {
            actualSize = try file.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? -1
        } catch {
            throw .unreadable("\(file.lastPathComponent): \(error.localizedDescription)")
        }
        guard actualSize == size else { throw .sizeMismatch(expected: size, actual: actualSize) }
        let actual = try sha256(of: file)
        guard actual == expected.lowercased() else { throw .digestMismatch(expected: expected, actual: actual) }
    }
}
