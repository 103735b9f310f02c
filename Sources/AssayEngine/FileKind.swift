import Foundation

/// What a path names, following symbolic links: one `stat` call where `FileManager`'s
/// existence, directory and permission checks make several.
enum FileKind {
    case directory
    case other

    /// `nil` if nothing is there (or it cannot be looked at).
    init?(of path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        self = status.st_mode & S_IFMT == S_IFDIR ? .directory : .other
    }

    /// Whether this process may execute the file at `path`, which this kind describes.
    func isExecutableFile(_ path: String) -> Bool {
        self != .directory && access(path, X_OK) == 0
    }
}
