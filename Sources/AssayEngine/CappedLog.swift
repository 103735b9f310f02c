import Foundation

/// A log file that keeps the first `limit` bytes of a stream, then one line saying it was cut.
///
/// The descriptor belongs to the caller; the log only writes to it. Output past the limit is
/// counted but not written, so a trial that prints without end cannot fill the disk.
struct CappedLog {
    private let descriptor: Int32
    let limit: Int
    /// Bytes offered, written or not.
    private(set) var received = 0
    private(set) var isTruncated = false
    /// The first write error, after which nothing more is written.
    private(set) var writeError: String?
    private var lastByteWritten: UInt8?

    init(descriptor: Int32, limit: Int) {
        self.descriptor = descriptor
        self.limit = max(0, limit)
    }

    /// Opens (creating, or truncating) a log file for appending, creating its folder.
    static func open(_ path: String) throws(TrialEngine.LaunchError) -> Int32 {
        func open() -> Int32 {
            Foundation.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        }
        var descriptor = open()
        // The folder is created only when the open says a part of it is missing (or is not a
        // folder): it usually exists, and checking first would cost every trial a system call.
        if descriptor < 0, errno == ENOENT || errno == ENOTDIR {
            let folder = (path as NSString).deletingLastPathComponent
            do {
                if !folder.isEmpty {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                }
            } catch {
                throw .logUnwritable(path: path, reason: "cannot create its folder")
            }
            descriptor = open()
        }
        guard descriptor >= 0 else { throw .logUnwritable(path: path, reason: String(cString: strerror(errno))) }
        return descriptor
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        received += bytes.count
        guard !isTruncated, writeError == nil, !bytes.isEmpty else { return }
        let room = limit - (received - bytes.count)
        if bytes.count <= room {
            write(bytes)
            return
        }
        write(UnsafeRawBufferPointer(rebasing: bytes[..<room]))
        isTruncated = true
        let marker = (lastByteWritten == nil || lastByteWritten == 0x0A ? "" : "\n")
            + "[assay: log truncated at \(limit) bytes]\n"
        Array(marker.utf8).withUnsafeBytes { write($0) }
    }

    private mutating func write(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty, writeError == nil {
            let written = Foundation.write(descriptor, rest.baseAddress, rest.count)
            if written >= 0 {
                rest = UnsafeRawBufferPointer(rebasing: rest[written...])
            } else if errno != EINTR {
                writeError = String(cString: strerror(errno))
            }
        }
        if let last = bytes.last { lastByteWritten = last }
    }
}
