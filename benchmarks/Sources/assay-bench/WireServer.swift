import Foundation

/// The nx-27017 MongoDB wire server from `.venv/` on a free loopback port,
/// for the MongoStore benchmark; stopped when the benchmark ends.
final class WireServer {
    let port: Int
    private let process: Process
    private let folder: URL

    var uri: String { "mongodb://127.0.0.1:\(port)/?serverSelectionTimeoutMS=3000" }

    init() throws {
        let binary = ProcessInfo.processInfo.environment["ASSAY_NX27017"] ?? ".venv/bin/nx-27017"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchmarkError("nx-27017 not found at \(binary): run `make venv` (or set ASSAY_NX27017)")
        }
        folder = FileManager.default.temporaryDirectory.appending(path: "assay-bench-mongo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        port = try Self.freePort()
        process = Process()
        process.executableURL = URL(filePath: binary)
        process.arguments = [
            "--db", folder.appending(path: "bench.db").path, "-p", String(port), "--host", "127.0.0.1",
            "--log-file", folder.appending(path: "log").path, "--pid-file", folder.appending(path: "pid").path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready once it accepts connections.
        for _ in 0..<200 {
            if Self.accepts(port: port) { return }
            usleep(50_000)
        }
        throw BenchmarkError("nx-27017 did not start listening on port \(port)")
    }

    func stop() {
        // nx-27017 ignores SIGTERM while it serves; SIGKILL is what stops it.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw BenchmarkError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
