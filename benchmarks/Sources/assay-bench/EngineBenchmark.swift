import AssayCore
import AssayEngine
import Foundation
import Subprocess
import SystemPackage

/// What running a trial through `TrialEngine` costs over a bare spawn of the same program.
enum EngineBenchmark {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `/bin/true` `trials` times through the engine (sequentially, with real log files
    /// in a temporary folder) and as many times with a bare `posix_spawn` + `waitpid` loop.
    ///
    /// The two alternate in rounds of `round` trials after a warm-up, so a build or test
    /// starting on the other core slows both sides alike instead of skewing the ratio.
    /// Also times plain swift-subprocess (own session, both output pipes drained, nothing
    /// else), to show how the cost splits between the library and the engine's own work.
    static func run(trials: Int, round: Int = 25) async throws -> (engineSeconds: Double, subprocessSeconds: Double, bareSeconds: Double) {
        let folder = FileManager.default.temporaryDirectory.appending(path: "assay-bench-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = TrialEnvironment.scrubbed(
            from: ProcessInfo.processInfo.environment, declared: [:], trial: ["ASSAY_TRIAL": "0"])
        let engine = TrialEngine()
        func runEngine(_ trials: Range<Int>) async throws {
            for trial in trials {
                let spec = TrialSpec(
                    arguments: ["/bin/true"], workingDirectory: folder.path, environment: environment,
                    timeout: .seconds(60), stdoutLog: folder.appending(path: "\(trial).stdout.log").path,
                    stderrLog: folder.appending(path: "\(trial).stderr.log").path)
                let outcome = try await engine.run(spec)
                guard outcome.status == .succeeded else { throw Failure(description: "/bin/true: \(outcome.status)") }
            }
        }

        try await runEngine(0..<10)
        for _ in 0..<10 { try spawnAndWait("/bin/true") }
        let clock = ContinuousClock()
        var engineTime = Duration.zero
        var subprocessTime = Duration.zero
        var bareTime = Duration.zero
        for start in stride(from: 0, to: trials, by: round) {
            let trials = start..<min(start + round, trials)
            engineTime += try await clock.measure { try await runEngine(trials) }
            subprocessTime += try await clock.measure {
                for _ in trials { try await runSubprocess("/bin/true") }
            }
            bareTime += try clock.measure {
                for _ in trials { try spawnAndWait("/bin/true") }
            }
        }
        return (seconds(engineTime), seconds(subprocessTime), seconds(bareTime))
    }

    private static func runSubprocess(_ path: String) async throws {
        var options = PlatformOptions()
        options.createSession = true
        let result = try await Subprocess.run(
            .path(FilePath(path)), platformOptions: options, input: .none, output: .sequence, error: .sequence
        ) { execution in
            async let out: Void = { for try await _ in execution.standardOutput {} }()
            for try await _ in execution.standardError {}
            try await out
        }
        guard result.terminationStatus.isSuccess else { throw Failure(description: "\(path): \(result.terminationStatus)") }
    }

    private static func spawnAndWait(_ path: String) throws {
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
        defer { free(argv[0]) }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, nil, nil, &argv, environ)
        guard spawned == 0 else { throw Failure(description: "posix_spawn \(path): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw Failure(description: "waitpid: \(String(cString: strerror(errno)))") }
        }
        guard status == 0 else { throw Failure(description: "\(path) ended with wait status \(status)") }
    }

    private static func seconds(_ duration: Duration) -> Double { duration.inSeconds }
}
