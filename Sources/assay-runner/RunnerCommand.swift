import ArgumentParser
import Foundation

/// The command line of `assay-runner`. Every option is also read from the environment
/// variable it names; a flag wins over the variable.
struct RunnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assay-runner",
        abstract: "Runs the trials of one Assay experiment: leases them from the server, runs them, reports them.",
        discussion: """
            Every option may instead be set by the environment variable of the same name (ASSAY_SERVER_URL for --assay-server-url...); a flag wins, an empty variable counts as unset.

            The runner token is never a flag, since a command line is visible to every user: it is read from ASSAY_RUNNER_TOKEN or from the file ASSAY_RUNNER_TOKEN_FILE names ("-" reads the first line of standard input).

            Exit status: 0 nothing more to do, 1 the Runner could not go on, 2 setup failed or bad configuration, 128 + the signal (143, 130) when SIGTERM or SIGINT stopped it. See docs/runner.md.
            """)

    @Option(name: .customLong("assay-server-url"), help: "The server, http(s)://host[:port] (ASSAY_SERVER_URL).")
    var serverURL: String?

    @Option(name: .customLong("assay-experiment-id"), help: "The experiment to work on (ASSAY_EXPERIMENT_ID).")
    var experimentID: String?

    @Option(name: .customLong("assay-runner-token-file"), help: "File holding the runner token, - for stdin (ASSAY_RUNNER_TOKEN_FILE).")
    var tokenFile: String?

    @Option(name: .customLong("assay-runner-id"), help: "This Runner's name in leases and logs; default host-pid-random (ASSAY_RUNNER_ID).")
    var runnerID: String?

    @Option(name: .customLong("assay-runner-slots"), help: "Trials run at once; default the number of CPUs (ASSAY_RUNNER_SLOTS).")
    var slots: String?

    @Option(name: .customLong("assay-runner-work-dir"), help: "Where trials run; default a fresh folder under $TMPDIR, removed at exit (ASSAY_RUNNER_WORK_DIR).")
    var workDirectory: String?

    @Option(name: .customLong("assay-ca-file"), help: "PEM CA certificates trusted instead of the system's, for the server and SMTP (ASSAY_CA_FILE).")
    var caFile: String?

    @Option(name: .customLong("assay-runner-request-timeout"), help: "Seconds one request to the server may take; default 30 (ASSAY_RUNNER_REQUEST_TIMEOUT).")
    var requestTimeout: String?

    @Flag(name: .customLong("assay-runner-exit-with-parent"), help: "Get SIGTERM when the parent process exits (ASSAY_RUNNER_EXIT_WITH_PARENT=1).")
    var exitWithParent = false

    @Option(name: .customLong("assay-log-level"), help: "trace, debug, info (default), notice, warning, error or critical (ASSAY_LOG_LEVEL).")
    var logLevel: String?
}
