import Foundation
import ZIPFoundation

extension ArtifactUnpacker {
    /// Writes checked entries below `root`, counting the bytes that really come out of the archive.
    struct EntryWriter {
        let root: String
        let archive: Archive
        let limits: Limits
        private(set) var written = 0

        init(root: String, archive: Archive, limits: Limits) {
            self.root = root
            self.archive = archive
            self.limits = limits
        }

        mutating func write(_ item: Item) throws(ArtifactError) {
            let name = item.entry.path
            try makeFolders(item.components.dropLast(), for: name)
            let path = ([root] + item.components).joined(separator: "/")
            switch item.entry.type {
            case .directory:
                try makeFolders(item.components[...], for: name)
            case .symlink:
                try link(item, at: path)
            case .file:
                try file(item, at: path)
            }
        }

        /// Creates each folder of `components` below the root that is missing; an existing one
        /// must be a real folder (checked without following links), never a link or a file.
        private func makeFolders(_ components: ArraySlice<String>, for entry: String) throws(ArtifactError) {
            var path = root
            for component in components {
                path += "/" + component
                var info = stat()
                if lstat(path, &info) == 0 {
                    guard info.st_mode & S_IFMT == S_IFDIR else {
                        let what = info.st_mode & S_IFMT == S_IFLNK ? "a symbolic link" : "a file"
                        throw .blockedPath(entry: entry, reason: "would be written through \(what) (\"\(component)\")")
                    }
                } else if mkdir(path, 0o755) != 0 {
                    throw .extractionFailed(entry: entry, reason: "cannot create folder \(component): \(ArtifactUnpacker.lastError())")
                }
            }
        }

        private func link(_ item: Item, at path: String) throws(ArtifactError) {
            let name = item.entry.path
            guard item.entry.compressedSize <= UInt64(limits.maxLinkTarget) else {
                throw .unsafeSymlink(entry: name, target: "…", reason: "is longer than \(limits.maxLinkTarget) bytes")
            }
            var data = Data()
            do {
                _ = try archive.extract(item.entry) { data.append($0) }
            } catch {
                throw .extractionFailed(entry: name, reason: String(describing: error))
            }
            let target = String(decoding: data, as: UTF8.self)
            try ArtifactPath.checkSymlink(entry: name, components: item.components, target: target)
            guard symlink(target, path) == 0 else {
                throw .extractionFailed(entry: name, reason: ArtifactUnpacker.lastError())
            }
        }

        private mutating func file(_ item: Item, at path: String) throws(ArtifactError) {
            let name = item.entry.path
            let permissions = (item.entry.fileAttributes[.posixPermissions] as? NSNumber)?.uint16Value ?? 0o644
            let mode: mode_t = permissions & 0o111 != 0 ? 0o755 : 0o644
            // O_EXCL and O_NOFOLLOW: never write over, or through, anything already there.
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            guard descriptor >= 0 else {
                throw .blockedPath(entry: name, reason: "cannot be created: \(ArtifactUnpacker.lastError())")
            }
            defer { close(descriptor) }
            var count: UInt64 = 0
            var failure: ArtifactError?
            let declared = item.entry.uncompressedSize
            let limit = limits.maxBytes
            let budget = UInt64(limit - written)
            do {
                _ = try archive.extract(item.entry) { chunk in
                    count += UInt64(chunk.count)
                    if count > declared { failure = .entryLargerThanDeclared(entry: name, declared: declared) }
                    else if count > budget { failure = .tooLarge(limit: limit, entry: name) }
                    else if let error = Self.writeAll(chunk, to: descriptor) { failure = .extractionFailed(entry: name, reason: error) }
                    if failure != nil { throw Stop() }
                }
            } catch {
                throw failure ?? .extractionFailed(entry: name, reason: String(describing: error))
            }
            if count < declared {
                throw .extractionFailed(entry: name, reason: "holds \(count) bytes, its header declares \(declared)")
            }
            written += Int(count)
            // The mode given to open() is reduced by the umask; an executable must stay one.
            fchmod(descriptor, mode)
        }

        /// Stops ZIPFoundation's extraction from inside its consumer.
        private struct Stop: Error {}

        /// Writes all of `chunk`; the error text if that fails.
        private static func writeAll(_ chunk: Data, to descriptor: Int32) -> String? {
            chunk.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> String? in
                var rest = bytes
                while !rest.isEmpty {
                    let count = Foundation.write(descriptor, rest.baseAddress, rest.count)
                    if count < 0 {
                        if errno == EINTR { continue }
                        return ArtifactUnpacker.lastError()
                    }
                    rest = UnsafeRawBufferPointer(rebasing: rest[count...])
                }
                return nil
            }
        }
    }
}
