import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The nx-27017 server the store tests share: started once (lazily) on a free loopback port
/// from .venv/bin/nx-27017 (or $ASSAY_NX27017), stopped at process exit.
/// With CI=true a missing server binary is a test FAILURE (throw), never a skip; elsewhere
/// the test is canceled with a hint to run `make venv`.
///
/// The server runs with `--data-dir` (one SQLite file per logical database), not a single
/// `--db` file: in single-file mode every database name shares the same collections, and
/// the tests rely on a fresh database name being an empty store.
public final class MongoTestServer: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let port: Int
    let directory: URL
    private let process = Mutex<Process?>(nil)

    public var uri: String { "mongodb://127.0.0.1:\(port)/?serverSelectionTimeoutMS=3000" }

    private init(port: Int, directory: URL) {
        self.port = port
        self.directory = directory
    }

    /// The server every store test shares.
    public static func shared() async throws -> MongoTestServer {
        try await SharedServer.instance.server()
    }

    /// A server of its own, for a test that kills it (others sharing one would see that).
    public static func launch() async throws -> MongoTestServer {
        let binary = try binary()
        let directory = FileManager.default.temporaryDirectory.appending(path: "assay-nx27017-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let server = MongoTestServer(port: try freePort(), directory: directory)
        try await server.start(binary: binary)
        return server
    }

    /// Starts the server (again) on the same port and data directory; returns once it answers `ping`.
    public func start() async throws {
        try await start(binary: Self.binary())
    }

    /// Kills the server (SIGKILL: no clean shutdown, like a crashed pod) and waits until it is gone.
    public func stop() async throws {
        guard let running = process.withLock({ process -> Process? in
            defer { process = nil }
            return process
        }) else { return }
        let pid = running.processIdentifier
        kill(pid, SIGKILL)
        for _ in 0..<500 where running.isRunning {
            try await Task.sleep(for: .milliseconds(10))
        }
        liveServers.withLock { _ = $0.remove(pid) }
        guard !running.isRunning else { throw Failure(description: "nx-27017 (pid \(pid)) survived SIGKILL") }
    }

    /// Freezes the server (SIGSTOP): connections are accepted by the kernel but
    /// nothing answers, like a hung database. `resume()` thaws it.
    public func suspend() {
        if let pid = process.withLock({ $0?.processIdentifier }) { kill(pid, SIGSTOP) }
    }

    public func resume() {
        if let pid = process.withLock({ $0?.processIdentifier }) { kill(pid, SIGCONT) }
    }

    private func start(binary: URL) async throws {
        guard process.withLock({ $0?.isRunning != true }) else { return }
        let launched = Process()
        launched.executableURL = binary
        launched.arguments = [
            "--data-dir", directory.appending(path: "data").path, "-p", String(port), "--host", "127.0.0.1",
            "--log-file", directory.appending(path: "log").path, "--pid-file", directory.appending(path: "pid").path,
        ]
        launched.standardInput = FileHandle.nullDevice
        launched.standardOutput = FileHandle.nullDevice
        launched.standardError = FileHandle.nullDevice
        try launched.run()
        _ = registerExitHandler
        liveServers.withLock { _ = $0.insert(launched.processIdentifier) }
        process.withLock { $0 = launched }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard launched.isRunning else {
                throw Failure(description: "nx-27017 exited at start (status \(launched.terminationStatus)); log: \(logTail())")
            }
            if Self.answersPing(port: port) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await stop()
        throw Failure(description: "nx-27017 did not answer ping on port \(port) within 30 s; log: \(logTail())")
    }

    private func logTail() -> String {
        let log = (try? String(contentsOf: directory.appending(path: "log"), encoding: .utf8)) ?? ""
        return String(log.suffix(2_000))
    }

    // MARK: Finding and reaching the server

    /// $ASSAY_NX27017, else the repository's .venv/bin/nx-27017.
    static func binary() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        // The repository is the nearest folder above this file holding Package.swift.
        var repository = URL(filePath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: repository.appending(path: "Package.swift").path), repository.path != "/" {
            repository = repository.deletingLastPathComponent()
        }
        let binary = environment["ASSAY_NX27017"].map { URL(filePath: $0) } ?? repository.appending(path: ".venv/bin/nx-27017")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            let hint = "nx-27017 not found at \(binary.path): run `make venv` (or set ASSAY_NX27017)"
            if environment["CI"] == "true" { throw Failure(description: hint) }
            try Test.cancel(Comment(rawValue: hint))
        }
        return binary
    }

    /// A loopback port nobody listens on right now.
    private static func freePort() throws -> Int {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(socketFD) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(socketFD, socketAddress, length) == 0 && getsockname(socketFD, socketAddress, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "cannot bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// Sends `{ping: 1}` as an OP_MSG and waits (at most a second) for an OP_MSG reply with `ok`.
    static func answersPing(port: Int) -> Bool {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { return false }
        defer { close(socketFD) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: UInt16(port))
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return false }
        let message = pingMessage()
        guard message.withUnsafeBytes({ send(socketFD, $0.baseAddress, $0.count, 0) }) == message.count else { return false }
        var reply = [UInt8](repeating: 0, count: 4_096)
        var received = 0
        while received < 16 || received < Int(littleEndian(reply, at: 0)) {
            let count = reply.withUnsafeMutableBytes { recv(socketFD, $0.baseAddress! + received, $0.count - received, 0) }
            guard count > 0 else { return false }
            received += count
            if received == reply.count { break }
        }
        let opcode = littleEndian(reply, at: 12)
        let ok = Array("ok".utf8) + [0]
        return opcode == 2013 && reply[16..<received].windows(ofCount: 3).contains { Array($0) == ok }
    }

    private static func pingMessage() -> [UInt8] {
        func int32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
        let elements: [UInt8] = [0x10] + Array("ping".utf8) + [0] + int32(1)
            + [0x02] + Array("$db".utf8) + [0] + int32(6) + Array("admin".utf8) + [0]
        let document = int32(Int32(4 + elements.count + 1)) + elements + [0]
        let body = int32(0) + [0] + document  // flag bits, section kind 0, the command
        return int32(Int32(16 + body.count)) + int32(1) + int32(0) + int32(2013) + body
    }

    private static func littleEndian(_ bytes: [UInt8], at offset: Int) -> Int32 {
        Int32(bytes[offset]) | Int32(bytes[offset + 1]) << 8 | Int32(bytes[offset + 2]) << 16 | Int32(bytes[offset + 3]) << 24
    }
}

/// Starts the shared server once, for every test of the process.
private actor SharedServer {
    static let instance = SharedServer()
    private var starting: Task<MongoTestServer, any Error>?

    func server() async throws -> MongoTestServer {
        if let starting { return try await starting.value }
        _ = try MongoTestServer.binary()  // a missing binary fails (CI) or cancels this test, and is asked again next time
        let task = Task { try await MongoTestServer.launch() }
        starting = task
        return try await task.value
    }
}

/// Servers still running, killed when the test process exits.
private let liveServers = Mutex<Set<pid_t>>([])

private let registerExitHandler: Void = {
    atexit {
        for pid in liveServers.withLock({ $0 }) { kill(pid, SIGKILL) }
    }
}()

extension Array {
    fileprivate func windows(ofCount count: Int) -> [ArraySlice<Element>] {
        guard self.count >= count else { return [] }
        return (0...(self.count - count)).map { self[$0..<$0 + count] }
    }
}

extension ArraySlice {
    fileprivate func windows(ofCount count: Int) -> [ArraySlice<Element>] {
        Array(self).windows(ofCount: count)
    }
}
