import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bearer token for the API server: a fixed string, or a file that is re-read when it
/// changes.
///
/// Service account tokens are projected into the pod and rotated by the kubelet (about
/// hourly, atomically by swapping a symlink), so a token file is never cached for good:
/// ``current()`` checks the file's identity, size, and modification and change times on every
/// call (one `stat`, cheap next to an HTTPS request) and re-reads the file when any of them
/// changed, and at least every `refreshInterval` regardless. ``reload()`` re-reads it
/// unconditionally, for a request the server answered with 401.
///
/// The token never appears in a description, message or log line.
public struct KubeToken: Sendable, CustomStringConvertible {
    private enum Storage: Sendable {
        case literal(String)
        case file(TokenFile)
    }

    private let storage: Storage

    /// A token given as is (a kubeconfig's `token`).
    public static func literal(_ value: String) -> KubeToken {
        KubeToken(storage: .literal(value))
    }

    /// A token read from `file` (a service account's `token`, a kubeconfig's `tokenFile`).
    /// `source` names where the file was configured, for error messages.
    public static func file(
        _ file: URL, source: String = "Kubernetes credentials", refreshInterval: Duration = .seconds(60)
    ) -> KubeToken {
        KubeToken(storage: .file(TokenFile(url: file, source: source, refreshInterval: refreshInterval)))
    }

    /// The token file, or nil for a literal token.
    public var file: URL? {
        if case .file(let tokenFile) = storage { return tokenFile.url }
        return nil
    }

    /// The token to send now. Throws ``KubeAccessError`` when the file cannot be read or is empty.
    public func current() throws -> String {
        switch storage {
        case .literal(let value): value
        case .file(let tokenFile): try tokenFile.current()
        }
    }

    /// Re-reads the file now and returns the token (a literal token is returned as is).
    @discardableResult
    public func reload() throws -> String {
        switch storage {
        case .literal(let value): value
        case .file(let tokenFile): try tokenFile.read()
        }
    }

    public var description: String {
        switch storage {
        case .literal: "bearer token"
        case .file(let tokenFile): "bearer token from \(tokenFile.url.path)"
        }
    }
}

/// The cached contents of one token file and what the file looked like when it was read.
private final class TokenFile: Sendable {
    /// What identifies one version of the file: a rotation replaces the file (new inode) or
    /// rewrites it (new size, modification time, and always a new change time, which unlike
    /// the modification time cannot be set back).
    struct Fingerprint: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: [Int]
        var changed: [Int]
    }

    private struct Cached {
        var token: String
        var fingerprint: Fingerprint
        var readAt: ContinuousClock.Instant
    }

    let url: URL
    private let source: String
    private let refreshInterval: Duration
    private let cached = Mutex<Cached?>(nil)

    init(url: URL, source: String, refreshInterval: Duration) {
        self.url = url
        self.source = source
        self.refreshInterval = refreshInterval
    }

    func current() throws -> String {
        let fingerprint = try self.fingerprint()
        let reusable = cached.withLock { cached -> String? in
            guard let cached, cached.fingerprint == fingerprint,
                ContinuousClock.now - cached.readAt < refreshInterval
            else { return nil }
            return cached.token
        }
        return try reusable ?? read()
    }

    func read() throws -> String {
        let fingerprint = try self.fingerprint()
        let contents: String
        do {
            contents = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw KubeAccessError(source: source, problem: "cannot read the token file \(url.path): \(Self.reason(error))")
        }
        let token = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw KubeAccessError(source: source, problem: "the token file \(url.path) is empty")
        }
        cached.withLock { $0 = Cached(token: token, fingerprint: fingerprint, readAt: .now) }
        return token
    }

    /// `stat` of the file, following symlinks (the kubelet's `..data` link is what changes).
    private func fingerprint() throws -> Fingerprint {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            throw KubeAccessError(source: source, problem: "cannot read the token file \(url.path): \(reason)")
        }
        #if canImport(Darwin)
        let (modified, changed) = (info.st_mtimespec, info.st_ctimespec)
        #else
        let (modified, changed) = (info.st_mtim, info.st_ctim)
        #endif
        return Fingerprint(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: [Int(modified.tv_sec), Int(modified.tv_nsec)], changed: [Int(changed.tv_sec), Int(changed.tv_nsec)]
        )
    }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}
