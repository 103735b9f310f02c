/// `GET spec`: what a Runner needs to start.
public struct RunnerSpec: Sendable, Hashable, Codable {
    /// The code to download, and how to check it.
    public struct Artifact: Sendable, Hashable, Codable {
        public var id: String
        /// Lowercase hex SHA-256 of the zip.
        public var sha256: String
        public var size: Int

        public init(id: String, sha256: String, size: Int) {
            self.id = id
            self.sha256 = sha256
            self.size = size
        }
    }

    public var experiment: String
    public var status: ExperimentState
    /// The declaration as the server stores it (JSON or YAML text).
    public var declaration: String
    public var artifact: Artifact?
    /// Trials in the plan.
    public var trials: Int
    public var maxAttempts: Int
    /// How long a lease lasts without a report.
    public var leaseSeconds: Double

    public init(
        experiment: String, status: ExperimentState, declaration: String, artifact: Artifact?, trials: Int,
        maxAttempts: Int, leaseSeconds: Double
    ) {
        self.experiment = experiment
        self.status = status
        self.declaration = declaration
        self.artifact = artifact
        self.trials = trials
        self.maxAttempts = maxAttempts
        self.leaseSeconds = leaseSeconds
    }
}
