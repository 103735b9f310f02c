/// Why a downloaded artifact was refused. The description is for people and names the
/// offending zip entry; it becomes the experiment's failure reason.
public enum ArtifactError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file does not have the size the server announced.
    case sizeMismatch(expected: Int, actual: Int)
    /// The file's SHA-256 is not the one the server announced.
    case digestMismatch(expected: String, actual: String)
    /// The file cannot be read, or is not a zip archive.
    case unreadable(String)
    /// The folder to unpack into exists already.
    case destinationExists(String)
    /// An entry's path is absolute.
    case absolutePath(entry: String)
    /// An entry's path climbs out with `..`, or is otherwise not a plain relative path.
    case unsafePath(entry: String, reason: String)
    /// A symbolic link whose target is absolute or leaves the work folder.
    case unsafeSymlink(entry: String, target: String, reason: String)
    /// An entry would be written through something that is not a plain folder (a symbolic
    /// link or a file the archive created earlier), or over an earlier entry.
    case blockedPath(entry: String, reason: String)
    case tooManyEntries(limit: Int)
    /// The entries declare, or turn out to hold, more bytes than allowed.
    case tooLarge(limit: Int, entry: String?)
    /// An entry unpacks to more bytes than its header says (a lying header).
    case entryLargerThanDeclared(entry: String, declared: UInt64)
    /// Reading or writing an entry failed (corrupt data, CRC mismatch, disk full...).
    case extractionFailed(entry: String, reason: String)

    public var description: String {
        switch self {
        case .sizeMismatch(let expected, let actual):
            "artifact has \(actual) bytes, the server announced \(expected)"
        case .digestMismatch(let expected, let actual):
            "artifact sha256 is \(actual), the server announced \(expected)"
        case .unreadable(let reason):
            "artifact is not a readable zip archive: \(reason)"
        case .destinationExists(let path):
            "cannot unpack the artifact: \(path) exists already"
        case .absolutePath(let entry):
            "artifact entry \"\(entry)\" has an absolute path"
        case .unsafePath(let entry, let reason):
            "artifact entry \"\(entry)\" \(reason)"
        case .unsafeSymlink(let entry, let target, let reason):
            "artifact entry \"\(entry)\" is a symbolic link to \"\(target)\", which \(reason)"
        case .blockedPath(let entry, let reason):
            "artifact entry \"\(entry)\" \(reason)"
        case .tooManyEntries(let limit):
            "artifact has more than \(limit) entries"
        case .tooLarge(let limit, let entry?):
            "artifact unpacks to more than \(limit) bytes (reached at entry \"\(entry)\")"
        case .tooLarge(let limit, nil):
            "artifact unpacks to more than \(limit) bytes"
        case .entryLargerThanDeclared(let entry, let declared):
            "artifact entry \"\(entry)\" holds more than the \(declared) bytes its header declares"
        case .extractionFailed(let entry, let reason):
            "artifact entry \"\(entry)\" cannot be unpacked: \(reason)"
        }
    }
}
