import Foundation
import ZIPFoundation

/// Unpacks a downloaded artifact zip into a fresh folder, refusing archives that would write
/// outside it or fill the disk: absolute or `..` paths, symbolic links leaving the folder,
/// writes through links, too many entries, too many bytes (as declared, and as actually
/// inflated, so a header that lies about its size cannot bomb). Each entry is extracted here
/// with checked paths rather than by ZIPFoundation's `unzipItem`.
///
/// On any refusal the half-unpacked folder is removed. Files keep their executable bit
/// (as `0755`; everything else is `0644`, folders `0755`).
public struct ArtifactUnpacker: Sendable {
    /// How big an artifact may unpack.
    public struct Limits: Sendable, Hashable {
        public var maxEntries: Int
        /// Total bytes of all files, declared and actual.
        public var maxBytes: Int
        /// Longest symbolic link target.
        public var maxLinkTarget: Int

        public init(maxEntries: Int = 50_000, maxBytes: Int = 2 << 30, maxLinkTarget: Int = 4096) {
            self.maxEntries = maxEntries
            self.maxBytes = maxBytes
            self.maxLinkTarget = maxLinkTarget
        }
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Verifies `zip` against the announced digest and size, then unpacks it into `folder`.
    public func verifyAndUnpack(_ zip: URL, sha256: String, size: Int, into folder: URL) throws(ArtifactError) {
        try ArtifactDigest.verify(zip, sha256: sha256, size: size)
        try unpack(zip, into: folder)
    }

    /// Unpacks `zip` into `folder`, which must not exist yet (its parent must).
    public func unpack(_ zip: URL, into folder: URL) throws(ArtifactError) {
        let archive: Archive
        do {
            archive = try Archive(url: zip, accessMode: .read)
        } catch {
            throw .unreadable(String(describing: error))
        }
        let plan = try plan(archive)
        guard mkdir(folder.path, 0o755) == 0 else {
            throw errno == EEXIST ? .destinationExists(folder.path) : .unreadable("cannot create \(folder.path): \(Self.lastError())")
        }
        do {
            var writer = EntryWriter(root: folder.path, archive: archive, limits: limits)
            for item in plan { try writer.write(item) }
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    /// One entry to unpack: its checked path components.
    struct Item {
        var entry: Entry
        var components: [String]
    }

    /// Checks every entry's name and declared size before anything is written.
    private func plan(_ archive: Archive) throws(ArtifactError) -> [Item] {
        var items: [Item] = []
        var seen: Set<[String]> = []
        var declared: UInt64 = 0
        for entry in archive {
            guard items.count < limits.maxEntries else { throw .tooManyEntries(limit: limits.maxEntries) }
            let components = try ArtifactPath.components(of: entry.path)
            guard !components.isEmpty else { continue }
            guard seen.insert(components).inserted else {
                throw .blockedPath(entry: entry.path, reason: "appears twice in the archive")
            }
            if entry.type == .file {
                declared += entry.uncompressedSize
                if declared > UInt64(limits.maxBytes) { throw .tooLarge(limit: limits.maxBytes, entry: entry.path) }
            }
            items.append(Item(entry: entry, components: components))
        }
        return items
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}
