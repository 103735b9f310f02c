import AssayCore

/// What the Job builder needs to know about one experiment.
public struct RunnerJobRequest: Sendable, Hashable {
    public var experimentID: String
    public var experimentName: String
    /// Runner parallelism (the declaration's `workers`).
    public var workers: Int
    /// Kubernetes quantities, e.g. `"500m"`, `"2Gi"`; nil leaves them unset.
    public var cpu: String?
    public var memory: String?
    public var gpu: Int
    /// Wall-clock budget for the whole Job, in seconds.
    public var timeBudgetSeconds: Int?
    /// 1 for the experiment's first Job; one more for each Job started after
    /// an earlier one finished with work left (part of the name and a label).
    public var attempt: Int

    public init(
        experimentID: String, experimentName: String, workers: Int,
        cpu: String? = nil, memory: String? = nil, gpu: Int = 0,
        timeBudgetSeconds: Int? = nil, attempt: Int = 1
    ) {
        self.attempt = attempt
        self.experimentID = experimentID
        self.experimentName = experimentName
        self.workers = workers
        self.cpu = cpu
        self.memory = memory
        self.gpu = gpu
        self.timeBudgetSeconds = timeBudgetSeconds
    }

    /// From a validated declaration: its `workers` and `resources`.
    public init(experimentID: String, declaration: Declaration, timeBudgetSeconds: Int? = nil, attempt: Int = 1) {
        self.init(
            experimentID: experimentID, experimentName: declaration.name,
            workers: declaration.workers,
            cpu: declaration.resources.cpu, memory: declaration.resources.memory,
            gpu: declaration.resources.gpu, timeBudgetSeconds: timeBudgetSeconds, attempt: attempt)
    }
}
