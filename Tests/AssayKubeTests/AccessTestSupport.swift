import Foundation
import Synchronization
import Testing

/// What the AssayKube access and client tests need from this machine (temporary folders, the
/// repository's Python venv with trustme), and the rule for when a tool is missing, as in
/// AssayCurlTests: with CI=true the test FAILS; elsewhere it is cancelled (reported as
/// skipped) with a hint. A test never passes without having run.
enum KubeTestEnvironment {
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

    static var fixturesDirectory: URL { repositoryRoot.appending(path: "Tests/AssayKubeTests/Fixtures") }

    private static let checkedModules = Mutex<[String: Bool]>([:])

    /// The venv's Python, after checking that it can import `modules`.
    static func python(importing modules: [String]) throws -> URL {
        let python = repositoryRoot.appending(path: ".venv/bin/python")
        let key = modules.joined(separator: ",")
        let available = checkedModules.withLock { cache in
            if let known = cache[key] { return known }
            let found = FileManager.default.isExecutableFile(atPath: python.path) && run(python, ["-c", "import \(key)"]) == 0
            cache[key] = found
            return found
        }
        guard available else {
            try missing("\(python.path) cannot import \(key): run `make venv`")
        }
        return python
    }

    /// Fails (CI=true) or cancels the current test because a tool is missing.
    static func missing(_ hint: String) throws -> Never {
        if ProcessInfo.processInfo.environment["CI"] == "true" { throw Failure(description: hint) }
        try Test.cancel(Comment(rawValue: hint))
    }

    /// A fresh empty directory under the system's temporary folder.
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appending(path: "assay-kube-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Runs a short command with no output to its end and returns its exit status.
    private static func run(_ executable: URL, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
