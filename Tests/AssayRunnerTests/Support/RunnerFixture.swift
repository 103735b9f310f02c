@testable import AssayRunner
import Foundation
import Logging

/// What the Runner tests share: a training script in a zip, declarations running it, and
/// Runners configured for tests (fast flushes, short backoff, a minimal environment).
enum RunnerFixture {
    /// `train.sh X [SECONDS] [FAIL_ATTEMPT]`: prints two metric lines (loss 0.X, then 0.0X) and a
    /// stderr line, sleeps SECONDS, and exits 1 when `ASSAY_ATTEMPT` is FAIL_ATTEMPT.
    static let script = """
        #!/bin/sh
        echo "starting trial $ASSAY_TRIAL x=$1"
        echo "@assay {\\"step\\": 1, \\"loss\\": 0.$1}"
        echo "warming up" >&2
        sleep "${2:-0}"
        echo "@assay {\\"step\\": 2, \\"loss\\": 0.0$1}"
        if [ "$ASSAY_ATTEMPT" = "${3:-none}" ]; then echo "flaky attempt $ASSAY_ATTEMPT" >&2; exit 1; fi
        """

    /// A zip of `train.sh` (executable) plus `extra` entries.
    static func artifact(in sandbox: Sandbox, extra: [ZipEntry] = []) throws -> URL {
        let zip = sandbox.url("artifact.zip")
        try ZipBuilder.make([.file("train.sh", script, mode: 0o755), .file("data/readme.txt", "data\n")] + extra, at: zip)
        return zip
    }

    /// Six trials (`x` = 1…6) of `./train.sh {x} seconds`.
    static func declaration(
        values: [Int] = Array(1...6), command: [String] = ["./train.sh", "{x}", "0"], extra: [String: Any] = [:]
    ) -> [String: Any] {
        var declaration: [String: Any] = [
            "name": "runner sweep",
            "command": command,
            "parameters": ["x": ["type": "int", "values": values, "default": values[0]]],
            "sweep": ["strategy": "grid"],
            "objective": ["metric": "loss", "goal": "minimize"],
        ]
        declaration.merge(extra) { _, new in new }
        return declaration
    }

    static let logger: Logger = {
        var logger = Logger(label: "assay-runner-test")
        logger.logLevel = .error
        return logger
    }()

    static func runner(
        _ server: any RunnerServer, in sandbox: Sandbox, id: String, slots: Int = 2, notifier: (any CompletionNotifier)? = nil
    ) -> Runner {
        let configuration = RunnerConfiguration(
            workDirectory: sandbox.url("work"), runnerID: id, slots: slots,
            baseEnvironment: ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": sandbox.root.path, "ASSAY_RUNNER_TOKEN": "asr_secret"],
            flushInterval: .milliseconds(100), backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(40)))
        return Runner(configuration: configuration, server: server, notifier: notifier, logger: logger)
    }
}
