import Foundation

/// What `assay login` keeps: the server and an API token of the user's, in
/// `$XDG_CONFIG_HOME/assay/config.json` (default `~/.config/assay/config.json`),
/// readable by the user alone (file 0600, folder 0700).
struct StoredLogin: Codable, Equatable {
    var url: String
    var token: String
    /// The token's id on the server, so `assay logout` can revoke it.
    var tokenID: String?
    var username: String?

    enum CodingKeys: String, CodingKey {
        case url, token
        case tokenID = "tokenId"
        case username
    }

    /// The configuration file, following the XDG base directory rules.
    static var file: URL {
        let environment = ProcessInfo.processInfo.environment
        let folder: URL
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            folder = URL(filePath: xdg, directoryHint: .isDirectory)
        } else {
            folder = URL(filePath: environment["HOME"] ?? NSHomeDirectory(), directoryHint: .isDirectory).appending(path: ".config")
        }
        return folder.appending(path: "assay").appending(path: "config.json")
    }

    /// The stored login, or nil when there is none.
    static func load() throws -> StoredLogin? {
        let file = Self.file
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        do {
            return try JSONDecoder().decode(StoredLogin.self, from: data)
        } catch {
            throw CLIFailure(.notLoggedIn, "\(file.path) is not a login this CLI wrote: run `assay login URL` again")
        }
    }

    /// Writes the file atomically: created 0600 under a temporary name in a
    /// 0700 folder, then renamed over the old one, so the token is never
    /// readable by others, not even for a moment.
    func save() throws {
        let file = Self.file
        let folder = file.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder.path)
        } catch {
            throw CLIFailure(.failed, "cannot create \(folder.path): \(error.localizedDescription)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self) + Data("\n".utf8)
        let partial = folder.appending(path: ".config.json.\(getpid()).partial")
        let descriptor = open(partial.path, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CLIFailure(.failed, "cannot write \(partial.path): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? FileManager.default.removeItem(at: partial)
            throw CLIFailure(.failed, "cannot write \(partial.path): \(error.localizedDescription)")
        }
        guard rename(partial.path, file.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: partial)
            throw CLIFailure(.failed, "cannot write \(file.path): \(reason)")
        }
    }

    /// Removes the file; false when there was none.
    static func remove() throws -> Bool {
        let file = Self.file
        guard FileManager.default.fileExists(atPath: file.path) else { return false }
        do {
            try FileManager.default.removeItem(at: file)
        } catch {
            throw CLIFailure(.failed, "cannot remove \(file.path): \(error.localizedDescription)")
        }
        return true
    }
}
