import Foundation

/// How a Runner works: who it is, how many trials it runs at once, where, and how it talks
/// to the server. Only ``workDirectory`` has no default.
public struct RunnerConfiguration: Sendable {
    /// This Runner's name in leases and batches; unique per process, so a restarted Runner
    /// never reuses another's batch numbers.
    public var runnerID: String
    /// Trials run at once.
    public var slots: Int
    /// The Runner works in a fresh folder named after ``runnerID`` below this one.
    public var workDirectory: URL
    /// The environment trials' scrubbed environments are taken from (usually the Runner's own).
    public var baseEnvironment: [String: String]
    /// The most trials one lease request asks for (never more than the free slots).
    public var leaseBatchSize: Int
    /// How often a batch is posted while trials run (an empty one renews the leases).
    public var flushInterval: Duration
    public var backoff: Backoff
    /// Bytes of metric points and log lines held between posts, about as they travel as JSON;
    /// past it new points are dropped and old lines give way. `finished` events are never dropped.
    public var eventBufferBytes: Int
    /// Log lines kept per trial, stream and batch: the tail; skipped lines are noted.
    public var logLinesPerBatch: Int
    public var unpackLimits: ArtifactUnpacker.Limits
    /// Lines of setup's output quoted when it fails.
    public var setupTailLines: Int

    public init(
        workDirectory: URL,
        runnerID: String = RunnerConfiguration.defaultRunnerID(),
        slots: Int = ProcessInfo.processInfo.activeProcessorCount,
        baseEnvironment: [String: String] = ProcessInfo.processInfo.environment,
        leaseBatchSize: Int = 16,
        flushInterval: Duration = .seconds(1),
        backoff: Backoff = Backoff(),
        eventBufferBytes: Int = 1 << 20,
        logLinesPerBatch: Int = 200,
        unpackLimits: ArtifactUnpacker.Limits = ArtifactUnpacker.Limits(),
        setupTailLines: Int = 20
    ) {
        self.workDirectory = workDirectory
        self.runnerID = runnerID
        self.slots = max(1, slots)
        self.baseEnvironment = baseEnvironment
        self.leaseBatchSize = max(1, leaseBatchSize)
        self.flushInterval = flushInterval
        self.backoff = backoff
        self.eventBufferBytes = eventBufferBytes
        self.logLinesPerBatch = max(1, logLinesPerBatch)
        self.unpackLimits = unpackLimits
        self.setupTailLines = setupTailLines
    }

    /// `<hostname>-<pid>-<6 random hex digits>`: readable in logs, unique per process.
    public static func defaultRunnerID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "runner"
        let random = String(UInt32.random(in: 0..<(1 << 24)), radix: 16)
        let id = "\(host)-\(ProcessInfo.processInfo.processIdentifier)-\(String(repeating: "0", count: 6 - random.count))\(random)"
        return String(id.suffix(200))
    }
}
