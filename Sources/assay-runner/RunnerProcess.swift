import AssayRunner
import Dispatch
import Foundation
import Logging

/// One Runner's life in this process: logging to stderr, the work folder, the libcurl
/// transport and SMTP notifier, and SIGTERM/SIGINT turned into cancellation.
struct RunnerProcess {
    let settings: RunnerSettings
    let token: RunnerToken

    /// Runs the Runner and returns the process's exit status: the ``RunnerExit`` code, or
    /// 128 + the signal when SIGTERM or SIGINT stopped it.
    func run() async -> Int32 {
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "assay-runner")

        let temporary: URL?
        let workDirectory: URL
        if let folder = settings.workDirectory {
            (temporary, workDirectory) = (nil, folder)
        } else {
            guard let folder = Self.temporaryFolder() else {
                logger.error("cannot create a work folder under \(FileManager.default.temporaryDirectory.path)")
                return RunnerExit.failed("no work folder").code
            }
            (temporary, workDirectory) = (folder, folder)
        }
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }

        var configuration = RunnerConfiguration(workDirectory: workDirectory, baseEnvironment: Self.environment())
        if let runnerID = settings.runnerID { configuration.runnerID = runnerID }
        if let slots = settings.slots { configuration.slots = slots }
        let transport = CurlRunnerTransport(
            serverURL: settings.serverURL, experiment: settings.experiment, token: token, caFile: settings.caFile,
            requestTimeout: settings.requestTimeout)
        let runner = Runner(
            configuration: configuration, server: HTTPRunnerServer(transport: transport),
            notifier: SMTPCompletionNotifier(caFile: settings.caFile, logger: logger), logger: logger)
        logger.info("assay-runner starting", metadata: [
            "server": "\(settings.serverURL.absoluteString)", "experiment": "\(settings.experiment)",
            "runner": "\(configuration.runnerID)", "work": "\(workDirectory.path)",
        ])

        let task = Task { await runner.run() }
        let trap = SignalTrap(logger: logger) { task.cancel() }
        let exit = await task.value
        if let signal = trap.stop() {
            logger.notice("stopped by signal \(signal)", metadata: ["outcome": "\(exit)"])
            return 128 + signal
        }
        if exit != .finished { logger.error("runner ended: \(exit)") }
        return exit.code
    }

    /// The environment trials' (already scrubbed) environments are taken from: this
    /// process's, without the runner token variables, whatever happened to them.
    static func environment() -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ASSAY_RUNNER_TOKEN") }
    }

    /// A fresh `assay-runner-XXXXXX` folder (mode 0700) under the temporary directory.
    static func temporaryFolder() -> URL? {
        var template = Array(FileManager.default.temporaryDirectory.appending(path: "assay-runner-XXXXXX").path.utf8CString)
        return template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!).map { URL(filePath: String(cString: $0), directoryHint: .isDirectory) }
        }
    }
}
