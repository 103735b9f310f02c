import AssayCore

/// Everything the engine needs to run one attempt of a trial.
public struct TrialSpec: Sendable, Hashable {
    /// The command's argv, run without a shell. A first element without a `/` is looked
    /// up in the `PATH` of ``environment``; one with a `/` is taken relative to ``workingDirectory``.
    public var arguments: [String]
    public var workingDirectory: String
    /// The complete environment of the trial; nothing of the engine's own is added.
    /// Build it with ``TrialEnvironment/scrubbed(from:declared:trial:)``.
    public var environment: [String: String]
    /// How long the trial may run before its process group is stopped; `nil` for no limit.
    public var timeout: Duration?
    /// Time between SIGTERM and SIGKILL when the trial is stopped.
    public var killGrace: Duration
    /// The file the trial writes its final results to, if any.
    public var result: ResultFileSpec?
    /// File paths of the stdout and stderr logs (created, or truncated).
    public var stdoutLog: String
    public var stderrLog: String
    /// Bytes kept per log; output past it is still read (and stdout still parsed) but not written.
    public var logLimitBytes: Int
    /// Whether every line of both streams is reported as a ``TrialEvent/output(stream:line:)``
    /// event (a Runner forwards them live; a local run only needs the log files).
    public var reportsOutputLines: Bool

    public init(
        arguments: [String],
        workingDirectory: String,
        environment: [String: String],
        timeout: Duration? = nil,
        killGrace: Duration = .seconds(5),
        result: ResultFileSpec? = nil,
        stdoutLog: String,
        stderrLog: String,
        logLimitBytes: Int = 10 << 20,
        reportsOutputLines: Bool = false
    ) {
        self.arguments = arguments
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.timeout = timeout
        self.killGrace = killGrace
        self.result = result
        self.stdoutLog = stdoutLog
        self.stderrLog = stderrLog
        self.logLimitBytes = logLimitBytes
        self.reportsOutputLines = reportsOutputLines
    }
}
