import Foundation

/// Level-triggered decisions for Runner Jobs: compares what the store wants
/// (``ExperimentView``s) with what the cluster has (Jobs and pods from the
/// watch caches) and says what to change. Pure: the executor observes, calls
/// ``plan(_:)``, performs the actions and records their outcome in
/// ``Memory``. Running it twice on the same input gives the same actions, so
/// it can run at start, on every watch event and on a timer.
public struct Reconciler: Sendable {
    /// What the store says about one experiment.
    public struct ExperimentView: Sendable, Hashable {
        public enum Phase: Sendable, Hashable {
            /// queued or running: it needs a live Runner Job.
            case active
            case completed, failed, canceled
        }
        public var id: String
        public var phase: Phase
        public var startedAt: Date?
        public var finishedAt: Date?
        /// The declaration's `deadline`.
        public var deadline: Duration?

        public init(id: String, phase: Phase, startedAt: Date? = nil, finishedAt: Date? = nil, deadline: Duration? = nil) {
            self.id = id
            self.phase = phase
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.deadline = deadline
        }
    }

    /// How patient to be, and how often to try.
    public struct Policy: Sendable, Hashable {
        /// A pod that cannot pull its image this long fails the experiment.
        public var imagePullGrace: Duration = .seconds(60)
        /// A pod that cannot be scheduled this long fails the experiment
        /// (long enough for a cluster autoscaler to add a node).
        public var unschedulableGrace: Duration = .seconds(600)
        /// A pod whose container cannot be created (its token Secret is
        /// missing) this long has its Job replaced.
        public var containerConfigGrace: Duration = .seconds(30)
        /// Failed Job creations in a row before the experiment fails.
        public var maxCreateFailures = 5
        /// Jobs per experiment; one more than this fails it (Jobs that keep
        /// completing while trials remain).
        public var maxJobs = 5
        /// A finished experiment's Job may still be active this long (its
        /// Runners exit on their own and one may be sending the mail).
        public var finishedGrace: Duration = .seconds(120)

        public init() {}
    }

    /// What the executor remembers between passes (in memory: after a restart
    /// the counts start again, which only means a few more tries).
    public struct Memory: Sendable {
        /// Failed Job creations in a row, and the last error, per experiment.
        public var createFailures: [String: (count: Int, lastError: String)] = [:]
        /// When a pod (by name) was first seen blocked, with its blocker.
        public var blockedSince: [String: (blocker: PodBlocker, since: Date)] = [:]
        /// The last failure of a pod of each experiment (for the reason of a Job that gave up).
        public var lastPodFailure: [String: RunnerFailure] = [:]

        public init() {}
    }

    public enum Action: Sendable, Hashable {
        /// Create the experiment's Job number `attempt` (and its token Secret),
        /// with `deadlineSeconds` left of its deadline.
        case createJob(experimentID: String, attempt: Int, deadlineSeconds: Int?)
        /// Delete a Job (propagation Background: its pods and Secret go too).
        case deleteJob(name: String, experimentID: String?, why: String)
        /// Fail the experiment with `reason` and delete its live Jobs.
        case failExperiment(experimentID: String, reason: String, deleteJobs: [String])
    }

    public struct Input: Sendable {
        /// Every active experiment, plus the final ones that still have Jobs (by id).
        public var experiments: [String: ExperimentView]
        /// Every Job labelled managed-by assay.
        public var jobs: [JobObject]
        /// Every pod of those Jobs.
        public var pods: [PodObject]
        /// The last line a failed pod printed, by pod name, where known.
        public var lastOutput: [String: String]
        public var now: Date

        public init(
            experiments: [String: ExperimentView], jobs: [JobObject], pods: [PodObject],
            lastOutput: [String: String] = [:], now: Date
        ) {
            self.experiments = experiments
            self.jobs = jobs
            self.pods = pods
            self.lastOutput = lastOutput
            self.now = now
        }
    }

    public var policy: Policy

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Notes blocked and failed pods in `memory` (so grace periods count from
    /// the first sighting) and returns the actions for `input`, at most one per experiment
    /// plus deletions of orphaned Jobs.
    public func plan(_ input: Input, memory: inout Memory) -> [Action] {
        observe(input.pods, lastOutput: input.lastOutput, now: input.now, memory: &memory)
        let jobsByExperiment = Dictionary(grouping: input.jobs.filter { $0.metadata.experimentID != nil }) { $0.metadata.experimentID! }
        var actions: [Action] = []

        for job in input.jobs where job.metadata.experimentID == nil && job.metadata.deletionTimestamp == nil {
            actions.append(.deleteJob(name: job.metadata.name, experimentID: nil, why: "it has no assay.dev/experiment label"))
        }
        for (id, jobs) in jobsByExperiment.sorted(by: { $0.key < $1.key }) where input.experiments[id].map({ $0.phase != .active }) ?? true {
            actions += finishedOrMissing(id, input.experiments[id], jobs: jobs, now: input.now)
        }
        for (id, experiment) in input.experiments.sorted(by: { $0.key < $1.key }) where experiment.phase == .active {
            if let action = active(experiment, jobs: jobsByExperiment[id] ?? [], pods: input.pods, now: input.now, memory: memory) {
                actions.append(action)
            }
        }
        return actions
    }

    /// Jobs of an experiment that is gone or final.
    private func finishedOrMissing(_ id: String, _ experiment: ExperimentView?, jobs: [JobObject], now: Date) -> [Action] {
        let live = jobs.filter { !$0.isFinished && $0.metadata.deletionTimestamp == nil }
        guard let experiment else {
            // Deleted experiments: every Job goes, finished or not (nothing will read it).
            return jobs.filter { $0.metadata.deletionTimestamp == nil }
                .map { .deleteJob(name: $0.metadata.name, experimentID: id, why: "its experiment no longer exists") }
        }
        switch experiment.phase {
        case .active:
            return []
        case .canceled:
            return live.map { .deleteJob(name: $0.metadata.name, experimentID: id, why: "its experiment was canceled") }
        case .completed, .failed:
            let finished = experiment.finishedAt ?? now
            guard now.timeIntervalSince(finished) >= policy.finishedGrace.seconds else { return [] }
            return live.map {
                .deleteJob(name: $0.metadata.name, experimentID: id, why: "its experiment finished and its Runners did not exit")
            }
        }
    }

    /// The one action an active experiment needs, if any.
    private func active(_ experiment: ExperimentView, jobs: [JobObject], pods: [PodObject], now: Date, memory: Memory) -> Action? {
        let id = experiment.id
        let present = jobs.filter { $0.metadata.deletionTimestamp == nil }
        let live = present.filter { !$0.isFinished }.sorted { $0.attempt < $1.attempt }
        let latest = present.max { $0.attempt < $1.attempt }

        // The newest Job failed: its reason is the experiment's.
        if let latest, latest.isFinished, let failure = RunnerFailure.jobFailure(latest, lastPodFailure: memory.lastPodFailure[id]) {
            return .failExperiment(experimentID: id, reason: failure.text, deleteJobs: live.map(\.metadata.name))
        }
        if let job = live.last {
            if live.count > 1 {
                // Two live Jobs for one experiment: keep the newest.
                return .deleteJob(name: live[0].metadata.name, experimentID: id, why: "a newer Job runs this experiment")
            }
            return blocked(job, experimentID: id, pods: pods, now: now, memory: memory)
        }
        // No live Job: the first one, or a replacement for one that completed with work left.
        let attempt = (latest?.attempt ?? jobs.map(\.attempt).max() ?? 0) + 1
        if let failures = memory.createFailures[id], failures.count >= policy.maxCreateFailures {
            return .failExperiment(
                experimentID: id,
                reason: "JobCreateFailed: could not create its Runner Job (\(failures.count) tries): \(failures.lastError)",
                deleteJobs: [])
        }
        if attempt > policy.maxJobs {
            return .failExperiment(
                experimentID: id,
                reason: "RunnerJobsExhausted: \(policy.maxJobs) Runner Jobs finished while trials were left; see the Runner logs",
                deleteJobs: [])
        }
        var deadlineSeconds: Int?
        if let deadline = experiment.deadline {
            let used = experiment.startedAt.map { now.timeIntervalSince($0) } ?? 0
            let left = deadline.seconds - used
            guard left >= 1 else {
                return .failExperiment(
                    experimentID: id,
                    reason: "DeadlineExceeded: the experiment's deadline (\(Int(deadline.seconds)) s) passed before its trials finished",
                    deleteJobs: [])
            }
            deadlineSeconds = Int(left.rounded(.up))
        }
        return .createJob(experimentID: id, attempt: attempt, deadlineSeconds: deadlineSeconds)
    }

    /// Fails the experiment, or replaces the Job, when its pods have been blocked past their grace.
    private func blocked(_ job: JobObject, experimentID id: String, pods: [PodObject], now: Date, memory: Memory) -> Action? {
        let own = pods.filter { $0.isOwned(by: job) }
        for pod in own.sorted(by: { $0.metadata.name < $1.metadata.name }) {
            guard let seen = memory.blockedSince[pod.metadata.name], PodBlocker(pod) != nil else { continue }
            let waited = now.timeIntervalSince(seen.since)
            switch seen.blocker {
            case .imagePull(let failure) where waited >= policy.imagePullGrace.seconds,
                 .unschedulable(let failure) where waited >= policy.unschedulableGrace.seconds:
                return .failExperiment(experimentID: id, reason: failure.text, deleteJobs: [job.metadata.name])
            case .containerConfig(let failure) where waited >= policy.containerConfigGrace.seconds:
                return .deleteJob(name: job.metadata.name, experimentID: id, why: "its pods cannot start (\(failure.text)); a new Job replaces it")
            default:
                continue
            }
        }
        return nil
    }

    private func observe(_ pods: [PodObject], lastOutput: [String: String], now: Date, memory: inout Memory) {
        var stillBlocked: [String: (blocker: PodBlocker, since: Date)] = [:]
        for pod in pods {
            let name = pod.metadata.name
            if let blocker = PodBlocker(pod) {
                // The grace counts from the first sighting of the same kind of blocker.
                if let seen = memory.blockedSince[name], seen.blocker.kind == blocker.kind {
                    stillBlocked[name] = (blocker, seen.since)
                } else {
                    stillBlocked[name] = (blocker, now)
                }
            }
            if var failure = RunnerFailure.podFailure(pod), let id = pod.metadata.experimentID {
                if let line = lastOutput[name], !line.isEmpty { failure.message += "; its last output: \(line)" }
                memory.lastPodFailure[id] = failure
            }
        }
        memory.blockedSince = stillBlocked
    }
}

extension PodBlocker {
    fileprivate var kind: Int {
        switch self {
        case .imagePull: 0
        case .unschedulable: 1
        case .containerConfig: 2
        }
    }
}

extension PodObject {
    /// Whether `job` is this pod's controller (by uid, else by the `job-name` label).
    public func isOwned(by job: JobObject) -> Bool {
        if let uid = job.metadata.uid, let owners = metadata.ownerReferences, !owners.isEmpty {
            return owners.contains { $0.uid == uid }
        }
        return metadata.labels?["batch.kubernetes.io/job-name"] == job.metadata.name
            || metadata.labels?["job-name"] == job.metadata.name
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
