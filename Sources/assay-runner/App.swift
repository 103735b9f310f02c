import ArgumentParser
import AssayRunner
import CAssaySystem
import Foundation

/// `assay-runner`: one Runner process for one experiment (docs/runner.md). It makes itself
/// non-dumpable, reads the runner token and wipes it from its environment, reads the rest of
/// its configuration (exit 2 with one line naming the variable when it is unusable), then
/// runs the Runner until the experiment needs nothing more from it.
@main
enum App {
    static func main() async {
        let parent = getppid()
        // Before anything else: nothing of the same user (a trial) may read this process's
        // memory or environment, or attach to it, from now on.
        if assay_set_nondumpable() != 0 { fail("cannot make the process non-dumpable: \(String(cString: strerror(errno)))", status: 1) }
        let command: RunnerCommand
        do {
            command = try RunnerCommand.parse()
        } catch {
            if RunnerCommand.exitCode(for: error) == .success { RunnerCommand.exit(withError: error) }
            fail("configuration: \(RunnerCommand.message(for: error))", status: 2)
        }
        let token: RunnerToken
        let settings: RunnerSettings
        do {
            token = try RunnerTokenSource.read(file: command.tokenFile)
            settings = try RunnerSettings(command)
        } catch {
            fail("configuration: \(error)", status: 2)
        }
        if settings.exitWithParent {
            guard assay_set_parent_death_signal(SIGTERM) == 0 else {
                fail("cannot ask for SIGTERM when the parent exits: \(String(cString: strerror(errno)))", status: 1)
            }
            // The parent may have gone before the request: then no signal will come.
            if getppid() != parent { fail("the parent process exited before the Runner started", status: 128 + SIGTERM) }
        }
        exit(await RunnerProcess(settings: settings, token: token).run())
    }

    /// One line on stderr, then exit.
    static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("assay-runner: \(message)\n".utf8))
        exit(status)
    }
}
