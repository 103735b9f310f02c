import AssayCore
import AssayEngine
import Foundation
import Testing

@Suite("Trial engine: exit status and launch")
struct TrialEngineTests {
    let engine = TrialEngine()

    @Test func exitCodeZeroSucceeds() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let outcome = try await engine.run(sandbox.shell("echo hello"))
        #expect(outcome.status == .succeeded)
        #expect(outcome.exitCode == 0)
        #expect(outcome.signal == nil)
        #expect(sandbox.read("logs/stdout.log") == "hello\n")
        #expect(outcome.stdoutBytes == 6)
        #expect(!outcome.logTruncated)
    }

    @Test func nonZeroExitFailsWithTheCode() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let outcome = try await engine.run(sandbox.shell("exit 3"))
        #expect(outcome.status == .failed)
        #expect(outcome.exitCode == 3)
    }

    @Test func stderrOutputAloneIsNotFailure() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let outcome = try await engine.run(sandbox.shell("echo 'warning: deprecated' >&2"))
        #expect(outcome.status == .succeeded)
        #expect(sandbox.read("logs/stderr.log") == "warning: deprecated\n")
        #expect(outcome.stderrBytes == 20)
        #expect(sandbox.read("logs/stdout.log").isEmpty)
    }

    @Test func deathBySignalFails() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let outcome = try await engine.run(sandbox.shell("kill -KILL $$"))
        #expect(outcome.status == .failed)
        #expect(outcome.signal == SIGKILL)
        #expect(outcome.exitCode == nil)
    }

    @Test func runsInTheWorkingDirectoryInItsOwnSessionAndGroup() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let events = EventLog()
        let outcome = try await engine.run(
            sandbox.shell("pwd; cut -d' ' -f5,6 /proc/$$/stat"), onEvent: events.record)
        #expect(outcome.status == .succeeded)
        guard case .started(let pid)? = events.events.first else {
            Issue.record("no started event first: \(events.events)")
            return
        }
        let lines = sandbox.read("logs/stdout.log").split(separator: "\n")
        #expect(lines.first.map(String.init) == sandbox.root.resolvingSymlinksInPath().path
            || lines.first.map(String.init) == sandbox.path)
        #expect(lines.last == "\(pid) \(pid)", "process group and session id are the trial's own pid")
    }

    @Test func environmentIsExactlyTheScrubbedOne() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let base = ProcessInfo.processInfo.environment.merging([
            "ASSAY_RUNNER_TOKEN": "runner-secret", "ASSAY_SMTP_PASSWORD": "smtp-secret",
            "GITHUB_TOKEN": "gh", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin",
        ]) { _, new in new }
        let environment = TrialEnvironment.scrubbed(
            from: base, declared: ["DATA_DIR": "/data", "LC_ALL": "C"], trial: ["ASSAY_TRIAL": "12", "ASSAY_ATTEMPT": "2"])
        let outcome = try await engine.run(sandbox.command(["env"], environment: environment))
        #expect(outcome.status == .succeeded)
        let printed = Set(sandbox.read("logs/stdout.log").split(separator: "\n").map(String.init))
        #expect(printed == Set(environment.map { "\($0.key)=\($0.value)" }))
        #expect(printed.contains("ASSAY_TRIAL=12"))
        #expect(printed.contains("LC_ALL=C"))
        #expect(printed.contains("DATA_DIR=/data"))
        #expect(!printed.contains { $0.contains("secret") || $0.hasPrefix("GITHUB_TOKEN=") })
    }

    @Test func commandNotFoundIsAClearError() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        await #expect(throws: TrialEngine.LaunchError.commandNotFound("pythn")) {
            try await engine.run(sandbox.command(["pythn", "train.py"]))
        }
        #expect(TrialEngine.LaunchError.commandNotFound("pythn").description == "command not found: pythn")
    }

    @Test func commandIsLookedUpInTheTrialsPathNotTheEngines() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try FileManager.default.createDirectory(atPath: "\(sandbox.path)/bin", withIntermediateDirectories: true)
        try sandbox.write("bin/train", "#!/bin/sh\necho trained\n", executable: true)
        var environment = Sandbox.environment
        environment["PATH"] = "\(sandbox.path)/bin:/usr/bin:/bin"
        let outcome = try await engine.run(sandbox.command(["train"], environment: environment))
        #expect(outcome.status == .succeeded)
        #expect(sandbox.read("logs/stdout.log") == "trained\n")
        await #expect(throws: TrialEngine.LaunchError.commandNotFound("train")) {
            try await engine.run(sandbox.command(["train"]))
        }
    }

    @Test func relativePathRunsFromTheWorkingDirectory() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write("run.sh", "#!/bin/sh\necho \"$0 $1\"\n", executable: true)
        let outcome = try await engine.run(sandbox.command(["./run.sh", "fast"]))
        #expect(outcome.status == .succeeded)
        #expect(sandbox.read("logs/stdout.log") == "\(sandbox.path)/run.sh fast\n")
    }

    @Test func notExecutableFileIsAClearError() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write("train.py", "print(1)\n")
        await #expect(throws: TrialEngine.LaunchError.notExecutable("\(sandbox.path)/train.py")) {
            try await engine.run(sandbox.command(["./train.py"]))
        }
        #expect(TrialEngine.LaunchError.notExecutable("/x/train.py").description == "not executable: /x/train.py")
    }

    @Test func programTheKernelCannotRunIsASpawnFailure() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write("model.bin", "\u{7f}ELF not really", executable: true)
        do {
            _ = try await engine.run(sandbox.command(["./model.bin"]))
            Issue.record("expected a launch error")
        } catch let error as TrialEngine.LaunchError {
            guard case .spawnFailed = error else {
                Issue.record("expected spawnFailed, got \(error)")
                return
            }
            #expect(error.description.hasPrefix("cannot start the trial: "))
            #expect(error.description.contains("Exec format error"), "\(error)")
        }
    }

    @Test func launchErrorsSayWhatIsWrong() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        await #expect(throws: TrialEngine.LaunchError.emptyCommand) {
            try await engine.run(sandbox.command([]))
        }
        var missingFolder = sandbox.shell("true")
        missingFolder.workingDirectory = "\(sandbox.path)/nope"
        await #expect(throws: TrialEngine.LaunchError.workingDirectoryMissing("\(sandbox.path)/nope")) {
            try await engine.run(missingFolder)
        }
        try sandbox.write("file", "")
        var badLog = sandbox.shell("true")
        badLog.stdoutLog = "\(sandbox.path)/file/stdout.log"
        await #expect(throws: TrialEngine.LaunchError.logUnwritable(path: badLog.stdoutLog, reason: "cannot create its folder")) {
            try await engine.run(badLog)
        }
        #expect(TrialEngine.LaunchError.emptyCommand.description == "the command is empty")
        #expect(TrialEngine.LaunchError.workingDirectoryMissing("/w").description == "working directory does not exist: /w")
        #expect(TrialEngine.LaunchError.logUnwritable(path: "/l", reason: "Permission denied").description
            == "cannot write log /l: Permission denied")
    }
}

@Suite("Trial environment")
struct TrialEnvironmentTests {
    @Test func passesOnlyTheAllowListThenDeclaredThenTrial() {
        let environment = TrialEnvironment.scrubbed(
            from: [
                "PATH": "/bin", "HOME": "/home/u", "USER": "u", "LOGNAME": "u", "LANG": "C.UTF-8", "LC_TIME": "C",
                "TZ": "UTC", "TMPDIR": "/tmp", "TERM": "xterm", "ASSAY_RUNNER_TOKEN": "t", "ASSAY_URL": "http://x",
                "ASSAY_SMTP_PASSWORD": "p", "SMTP_PASSWORD": "p", "AWS_SECRET_ACCESS_KEY": "k", "HF_TOKEN": "h",
                "LD_PRELOAD": "/evil.so", "ASSAY_TRIAL": "from-base",
            ],
            declared: ["TZ": "Europe/Paris", "EPOCHS": "3", "ASSAY_TRIAL": "from-declared"],
            trial: ["ASSAY_TRIAL": "4", "ASSAY_ATTEMPT": "1", "ASSAY_TRIAL_DIR": "/w/0004"])
        #expect(environment == [
            "PATH": "/bin", "HOME": "/home/u", "USER": "u", "LOGNAME": "u", "LANG": "C.UTF-8", "LC_TIME": "C",
            "TZ": "Europe/Paris", "TMPDIR": "/tmp", "TERM": "xterm", "EPOCHS": "3",
            "ASSAY_TRIAL": "4", "ASSAY_ATTEMPT": "1", "ASSAY_TRIAL_DIR": "/w/0004",
        ])
    }
}
