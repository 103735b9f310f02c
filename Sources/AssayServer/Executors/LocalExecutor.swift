import AssayCore
import AssayStore
import Foundation
import Logging
import Subprocess
import Synchronization
import SystemPackage

/// The embedded default: starts `workers` `assay-runner` processes per
/// experiment on this machine, each with the experiment's runner token on its
/// stdin (never in an environment), its output in
/// `<work>/<experiment>/runner-<n>.log`, and told to exit with the server.
///
/// A Runner that exits 0 is done (the queue was empty); when the last one has,
/// the experiment's work folder is removed (unless a Runner crashed). One that crashes is
/// logged and replaced while the experiment is not final, at most
/// ``maxRestarts`` times per experiment; when the last Runner has crashed and
/// none may be started, the experiment fails with reason `RunnerCrashed` (its
/// finished trials stay). Cancel sends SIGTERM to the Runners
/// (each kills its trials' process groups), SIGKILL after ``stopGrace``.
public final class LocalExecutor: Executor {
    public let runnerBinary: String
    public let workDirectory: URL
    public let maxRestarts: Int
    public let stopGrace: Duration
    private let store: any ExperimentStore
    private let live: LiveEvents?
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var serverURL: URL?
        var runners: [ExperimentID: [Int32]] = [:]
        var restarts: [ExperimentID: Int] = [:]
        var nextNumber: [ExperimentID: Int] = [:]
    }

    public convenience init(
        runnerBinary: String, workDirectory: URL, store: any ExperimentStore, logger: Logger,
        maxRestarts: Int = 3, stopGrace: Duration = .seconds(10)
    ) {
        self.init(runnerBinary: runnerBinary, workDirectory: workDirectory, store: store, live: nil, logger: logger,
                  maxRestarts: maxRestarts, stopGrace: stopGrace)
    }

    /// `live`: where a failed experiment is announced to the UI's open streams.
    init(
        runnerBinary: String, workDirectory: URL, store: any ExperimentStore, live: LiveEvents?, logger: Logger,
        maxRestarts: Int = 3, stopGrace: Duration = .seconds(10)
    ) {
        self.runnerBinary = runnerBinary
        self.workDirectory = workDirectory
        self.store = store
        self.live = live
        self.logger = logger
        self.maxRestarts = maxRestarts
        self.stopGrace = stopGrace
    }

    /// Where Runners reach the server; known once it listens (the port may be 0 until then).
    public var serverURL: URL? {
        get { state.withLock { $0.serverURL } }
        set { state.withLock { $0.serverURL = newValue } }
    }

    /// Process ids of the experiment's live Runners.
    public func runnerProcesses(of experiment: ExperimentID) -> [Int32] {
        state.withLock { $0.runners[experiment] ?? [] }
    }

    /// `assay-runner` beside the running executable, else on `PATH`.
    public static func defaultRunnerBinary() -> String {
        let here = URL(filePath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let beside = here.appending(path: "assay-runner").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        if let own = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let candidate = URL(filePath: own).deletingLastPathComponent().appending(path: "assay-runner").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "assay-runner"
    }

    public func start(_ experiment: ExperimentRecord, runnerToken: String) async throws {
        guard let serverURL else { throw LocalExecutorError.notListening }
        let workers = (try? Declaration.parse(experiment.declaration).workers) ?? 1
        for _ in 0..<max(1, min(workers, experiment.trialCount)) {
            try launch(experiment.id, token: runnerToken, serverURL: serverURL)
        }
    }

    public func cancel(_ experiment: ExperimentRecord) async throws {
        let pids = runnerProcesses(of: experiment.id)
        for pid in pids { kill(pid, SIGTERM) }
        guard !pids.isEmpty else { return }
        let grace = stopGrace
        Task {
            try? await Task.sleep(for: grace)
            for pid in pids where self.runnerProcesses(of: experiment.id).contains(pid) { kill(pid, SIGKILL) }
        }
    }

    /// At server start: every queued or running experiment gets Runners again
    /// (with a fresh token: stored tokens are hashes). Finished trials stay
    /// finished; leases of Runners that died with the old server expire.
    public func resume(issueToken: (ExperimentRecord) async throws -> String) async {
        do {
            for record in try await store.experiments(inStatus: [.queued, .running]) {
                do {
                    try await start(record, runnerToken: try await issueToken(record))
                    logger.notice("runners restarted", metadata: ["experiment": "\(record.id)"])
                } catch {
                    logger.error("could not restart runners", metadata: ["experiment": "\(record.id)", "error": "\(error)"])
                }
            }
        } catch {
            logger.error("could not list unfinished experiments", metadata: ["error": "\(error)"])
        }
    }

    private func launch(_ experiment: ExperimentID, token: String, serverURL: URL) throws {
        let number = state.withLock { state in
            defer { state.nextNumber[experiment, default: 0] += 1 }
            return state.nextNumber[experiment, default: 0]
        }
        let folder = workDirectory.appending(path: experiment)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let log = try FileDescriptor.open(
            FilePath(folder.appending(path: "runner-\(number).log").path), .writeOnly,
            options: [.create, .append], permissions: [.ownerReadWrite])
        let errors = try log.duplicate()
        var environment: [Environment.Key: String?] = [
            "ASSAY_SERVER_URL": serverURL.absoluteString,
            "ASSAY_EXPERIMENT_ID": experiment,
            "ASSAY_RUNNER_TOKEN_FILE": "-",
            // Unique per launch: a Runner started after a server restart must not meet the
            // folder (or the leases) of one started before it.
            "ASSAY_RUNNER_ID": "local-\(experiment.suffix(8))-\(number)-\(UUID().uuidString.prefix(6).lowercased())",
            "ASSAY_RUNNER_WORK_DIR": folder.path,
            "ASSAY_RUNNER_EXIT_WITH_PARENT": "1",
            // One trial per Runner: `workers` is how many trials run at once on this machine,
            // as with `assay run --local` (a Runner's default, one per CPU, would multiply them).
            "ASSAY_RUNNER_SLOTS": "1",
            // libmongoc's diagnostic counters in memory, not /dev/shm (a killed Runner would
            // leave its segment, and a later process with its pid would warn on stderr).
            "MONGOC_DISABLE_SHM": "1",
        ]
        // No secret of the server's own travels on (the Runner gets SMTP settings only in its claim).
        for key in ProcessInfo.processInfo.environment.keys where key.hasPrefix("ASSAY_") && environment[Environment.Key(rawValue: key)!] == nil {
            environment[Environment.Key(rawValue: key)!] = .some(nil)
        }
        let binary = runnerBinary
        let logger = self.logger
        Task.detached { [self] in
            do {
                let result = try await Subprocess.run(
                    .path(FilePath(binary)), environment: .inherit.updating(environment),
                    input: .string(token + "\n"), output: .fileDescriptor(log, closeAfterSpawningProcess: true),
                    error: .fileDescriptor(errors, closeAfterSpawningProcess: true)
                ) { execution in
                    self.state.withLock { $0.runners[experiment, default: []].append(execution.processIdentifier.value) }
                    return execution.processIdentifier.value
                }
                await self.exited(experiment, pid: result.closureResult, status: result.terminationStatus, token: token, serverURL: serverURL)
            } catch {
                logger.error("could not start a runner", metadata: ["experiment": "\(experiment)", "binary": "\(binary)", "error": "\(error)"])
            }
        }
    }

    private func exited(_ experiment: ExperimentID, pid: Int32, status: TerminationStatus, token: String, serverURL: URL) async {
        let left = state.withLock { state -> Int in
            state.runners[experiment]?.removeAll { $0 == pid }
            return state.runners[experiment]?.count ?? 0
        }
        if case .exited(0) = status {
            logger.info("runner finished", metadata: ["experiment": "\(experiment)", "pid": "\(pid)"])
            if left == 0 {
                state.withLock { $0.runners[experiment] = nil }
                // Everything worth keeping is in the store; a crashed Runner's folder is kept for a look.
                let crashed = state.withLock { $0.restarts[experiment, default: 0] > 0 }
                if !crashed { try? FileManager.default.removeItem(at: workDirectory.appending(path: experiment)) }
            }
            return
        }
        logger.warning("runner crashed", metadata: ["experiment": "\(experiment)", "pid": "\(pid)", "status": "\(status)"])
        guard let record = try? await store.experiment(id: experiment, owner: nil), !record.status.isFinal else { return }
        let allowed = state.withLock { state -> Bool in
            guard state.restarts[experiment, default: 0] < maxRestarts else { return false }
            state.restarts[experiment, default: 0] += 1
            return true
        }
        guard allowed else {
            logger.error("runner crashed too often; not restarted", metadata: ["experiment": "\(experiment)"])
            if left == 0 { await fail(experiment, lastStatus: status) }
            return
        }
        do {
            try launch(experiment, token: token, serverURL: serverURL)
        } catch {
            logger.error("could not restart a runner", metadata: ["experiment": "\(experiment)", "error": "\(error)"])
        }
    }
}

extension LocalExecutor {
    /// No Runner is left and none may be started: nothing would ever finish the experiment.
    private func fail(_ experiment: ExperimentID, lastStatus: TerminationStatus) async {
        let logs = workDirectory.appending(path: experiment).path
        let reason = "RunnerCrashed: the local runners crashed \(maxRestarts + 1) times (the last \(Self.describe(lastStatus))); "
            + "their output is in \(logs)/runner-*.log"
        await failExperiment(experiment, reason: reason, now: Date(), store: store, live: live, logger: logger)
    }

    static func describe(_ status: TerminationStatus) -> String {
        switch status {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "was killed by signal \(signal)"
        }
    }
}

/// Why the local executor could not start Runners.
public enum LocalExecutorError: Error, CustomStringConvertible {
    case notListening

    public var description: String { "the server is not listening yet, so Runners cannot reach it" }
}
