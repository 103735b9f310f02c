import Foundation
import Synchronization
import Testing

/// The tools the tests need from this machine (the repository's Python venv, openssl), and
/// the rule for when one is missing: with CI=true the test FAILS; elsewhere it is cancelled
/// (reported as skipped) with a hint. A test never passes without having run.
enum TestEnvironment {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The nearest folder above this file that holds Package.swift.
    static let repositoryRoot: URL = {
        var folder = URL(filePath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appending(path: "Package.swift").path), folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        return folder
    }()

    /// Where the helper scripts (smtp_capture.py, …) live.
    static var scriptsDirectory: URL { repositoryRoot.appending(path: "Tests/AssayCurlTests") }

    private static let checkedModules = Mutex<[String: Bool]>([:])

    /// The venv's Python, after checking that it can import `modules`.
    static func python(importing modules: [String]) throws -> URL {
        let python = repositoryRoot.appending(path: ".venv/bin/python")
        let key = modules.joined(separator: ",")
        let available = try checkedModules.withLock { cache in
            if let known = cache[key] { return known }
            let found = try FileManager.default.isExecutableFile(atPath: python.path)
                && run(python, ["-c", "import \(key)"]).status == 0
            cache[key] = found
            return found
        }
        guard available else {
            try missing("\(python.path) cannot import \(key): run `make venv`")
        }
        return python
    }

    /// The openssl command line tool.
    static func openssl() throws -> URL {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        guard let found = paths.map({ URL(filePath: String($0)).appending(path: "openssl") })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
        else {
            try missing("the openssl command is not on PATH: install openssl")
        }
        return found
    }

    /// Fails (CI=true) or cancels the current test because a tool is missing.
    static func missing(_ hint: String) throws -> Never {
        if ProcessInfo.processInfo.environment["CI"] == "true" { throw Failure(description: hint) }
        try Test.cancel(Comment(rawValue: hint))
    }

    /// A fresh empty directory under the system's temporary folder.
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appending(path: "assay-curl-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Runs a short command to its end; stdout and stderr go through files, so a large
    /// output cannot fill a pipe and block it.
    @discardableResult
    static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: Data, errors: String) {
        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outputFile = scratch.appending(path: "stdout")
        let errorFile = scratch.appending(path: "stderr")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        process.waitUntilExit()
        let errors = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        return (process.terminationStatus, try Data(contentsOf: outputFile), errors)
    }
}
