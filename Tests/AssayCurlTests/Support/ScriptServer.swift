import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A test server written in Python (smtp_capture.py, https_server.py), run from the
/// repository's venv. It prints `READY <port>` when it accepts connections; it stops when
/// its stdin closes or on SIGTERM, and is killed if it does not.
final class ScriptServer {
    let port: Int
    private let process: Process
    private let stdin: Pipe
    private let log: URL

    private init(port: Int, process: Process, stdin: Pipe, log: URL) {
        self.port = port
        self.process = process
        self.stdin = stdin
        self.log = log
    }

    /// Runs `body` with the server started from `script` and stops the server afterwards,
    /// whether `body` succeeded or not.
    static func with<Value>(
        python: URL,
        script: String,
        arguments: [String],
        in directory: URL,
        _ body: (ScriptServer) async throws -> Value
    ) async throws -> Value {
        let server = try await start(python: python, script: script, arguments: arguments, in: directory)
        do {
            let value = try await body(server)
            await server.stop()
            return value
        } catch {
            await server.stop()
            throw error
        }
    }

    private static func start(python: URL, script: String, arguments: [String], in directory: URL) async throws -> ScriptServer {
        let output = directory.appending(path: "\(script).stdout")
        let log = directory.appending(path: "\(script).stderr")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        let stdin = Pipe()
        process.executableURL = python
        process.arguments = [TestEnvironment.scriptsDirectory.appending(path: script).path] + arguments
        process.standardInput = stdin
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let server = ScriptServer(port: 0, process: process, stdin: stdin, log: log)

        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let printed = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = printed.split(separator: "\n").first(where: { $0.hasPrefix("READY ") }),
                let port = Int(line.dropFirst("READY ".count))
            {
                return ScriptServer(port: port, process: process, stdin: stdin, log: log)
            }
            guard process.isRunning else {
                throw TestEnvironment.Failure(description: "\(script) exited with status \(process.terminationStatus): \(server.logTail)")
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        await server.stop()
        throw TestEnvironment.Failure(description: "\(script) did not print READY within 60 s: \(server.logTail)")
    }

    /// The end of the server's stderr.
    var logTail: String {
        String(((try? String(contentsOf: log, encoding: .utf8)) ?? "").suffix(2_000))
    }

    /// Closes stdin and sends SIGTERM; SIGKILL if the server is still there after 3 s.
    func stop() async {
        try? stdin.fileHandleForWriting.close()
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(3)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
