/// The checks on zip entry names and symbolic link targets, without touching the disk.
///
/// An entry may only name a plain relative path: no leading `/`, no `..`, no NUL. A link's
/// target must be relative and may only climb (`../`) at its start and no higher than the
/// link's own folder depth. Together with never writing through a link (the unpacker checks
/// that every parent is a real folder), this keeps every link and every write inside the
/// work folder, however links point at each other.
enum ArtifactPath {
    /// The components of a safe entry name (`.` and empty ones dropped); empty for the root itself.
    static func components(of entry: String) throws(ArtifactError) -> [String] {
        if entry.utf8.contains(0) { throw .unsafePath(entry: entry, reason: "has a NUL byte in its name") }
        if entry.hasPrefix("/") { throw .absolutePath(entry: entry) }
        let parts = entry.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        if parts.contains("..") { throw .unsafePath(entry: entry, reason: "climbs out of the work folder with \"..\"") }
        return parts
    }

    /// Throws unless a link at `components` pointing to `target` stays inside the work folder.
    static func checkSymlink(entry: String, components: [String], target: String) throws(ArtifactError) {
        func refuse(_ reason: String) -> ArtifactError { .unsafeSymlink(entry: entry, target: target, reason: reason) }
        if target.isEmpty { throw refuse("is empty") }
        if target.utf8.contains(0) { throw refuse("has a NUL byte") }
        if target.hasPrefix("/") { throw refuse("is an absolute path") }
        let parts = target.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        let climbs = parts.prefix { $0 == ".." }.count
        if parts.dropFirst(climbs).contains("..") { throw refuse("has \"..\" after a name") }
        if climbs > components.count - 1 { throw refuse("leaves the work folder") }
    }
}
