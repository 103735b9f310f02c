import AssayCore
import AssayEngine
import Foundation
import Synchronization

/// A temporary folder for one test: the trial's working directory and its logs.
struct Sandbox {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appending(path: "assay-engine-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }

    var path: String { root.path }

    /// The environment tests give trials: the scrubbed one, as the Runner builds it.
    static let environment = TrialEnvironment.scrubbed(
        from: ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "ASSAY_RUNNER_TOKEN": "secret"],
        declared: [:],
        trial: ["ASSAY_TRIAL": "7"])

    /// A spec that runs `script` with `/bin/sh -c` in the sandbox.
    func shell(
        _ script: String,
        timeout: Duration? = .seconds(60),
        killGrace: Duration = .seconds(1),
        result: ResultFileSpec? = nil,
        logLimitBytes: Int = 10 << 20
    ) -> TrialSpec {
        command(["sh", "-c", script], timeout: timeout, killGrace: killGrace, result: result, logLimitBytes: logLimitBytes)
    }

    func command(
        _ arguments: [String],
        environment: [String: String] = Sandbox.environment,
        timeout: Duration? = .seconds(60),
        killGrace: Duration = .seconds(1),
        result: ResultFileSpec? = nil,
        logLimitBytes: Int = 10 << 20
    ) -> TrialSpec {
        TrialSpec(
            arguments: arguments, workingDirectory: path, environment: environment, timeout: timeout,
            killGrace: killGrace, result: result, stdoutLog: "\(path)/logs/stdout.log",
            stderrLog: "\(path)/logs/stderr.log", logLimitBytes: logLimitBytes)
    }

    func read(_ name: String) -> String {
        (try? String(contentsOfFile: "\(path)/\(name)", encoding: .utf8)) ?? ""
    }

    func write(_ name: String, _ text: String, executable: Bool = false) throws {
        try text.write(toFile: "\(path)/\(name)", atomically: true, encoding: .utf8)
        if executable {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(path)/\(name)")
        }
    }

    /// Polls until `file` exists (a script writes it once it got that far).
    func waitFor(_ file: String, seconds: Double = 20) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: "\(path)/\(file)") { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// The pid a script wrote to `file`.
    func pid(in file: String) -> pid_t? {
        pid_t(read(file).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Whether `pid` is gone, polling a while: a killed orphan is reaped by init, not at once.
/// A zombie counts as gone; it is dead and only waits for its reaper.
func processIsGone(_ pid: pid_t, seconds: Double = 10) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if kill(pid, 0) == -1 && errno == ESRCH { return true }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let state = stat.split(separator: ")").last?.split(separator: " ").first, state == "Z" {
            return true
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    return false
}

/// Collects the events a trial reports, from whatever thread reports them.
final class EventLog: Sendable {
    private let storage = Mutex<[TrialEvent]>([])

    func record(_ event: TrialEvent) {
        storage.withLock { $0.append(event) }
    }

    var events: [TrialEvent] { storage.withLock { $0 } }

    var metrics: [MetricPoint] {
        events.compactMap { if case .metric(let point) = $0 { point } else { nil } }
    }

    var warnings: [String] {
        events.compactMap { if case .warning(let message) = $0 { message } else { nil } }
    }

    /// The output lines reported for `stream`, in order.
    func lines(_ stream: TrialStream) -> [String] {
        events.compactMap { if case .output(stream, let line) = $0 { line } else { nil } }
    }
}
