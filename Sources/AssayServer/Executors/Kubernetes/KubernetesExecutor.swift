import AssayCore
import AssayKube
import AssayStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Runs each experiment's Runners as one Kubernetes Job (work-queue:
/// `parallelism` = `workers`), its runner token in a Secret the Job owns.
///
/// Level-triggered: Jobs and pods are listed and watched (label
/// `app.kubernetes.io/managed-by=assay`) into caches, and a reconcile pass
/// compares them with the store at start, after every change it hears of and
/// every ``resyncInterval``; ``Reconciler`` decides, this type acts. Submitting
/// creates the Job at once; cancel and delete remove it with propagation
/// `Background` (pods and Secret go with it). A restarted server finds the
/// Jobs it made and makes no duplicates (names are derived from the
/// experiment id and the attempt, so a repeated create answers 409).
public final class KubernetesExecutor: Executor, Service {
    public let client: KubeClient
    public let builder: JobBuilder
    public let resyncInterval: Duration
    private let reconciler: Reconciler
    private let store: any ExperimentStore
    private let issueToken: @Sendable (ExperimentRecord) async throws -> String
    private let live: LiveEvents?
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    private struct State {
        var jobs: [String: JobObject] = [:]
        var pods: [String: PodObject] = [:]
        var jobsSynced = false
        var podsSynced = false
        var memory = Reconciler.Memory()
        /// The last line each failed pod printed (read once, from `pods/log`).
        var lastOutput: [String: String] = [:]
        /// Declarations' deadlines by experiment (parsed once).
        var deadlines: [ExperimentID: Duration?] = [:]
        var passesRun = 0
        /// Experiments whose Job is being created right now (by a submit or a pass).
        var creating: Set<ExperimentID> = []
    }

    init(
        client: KubeClient, builder: JobBuilder, store: any ExperimentStore,
        issueToken: @escaping @Sendable (ExperimentRecord) async throws -> String,
        live: LiveEvents? = nil, policy: Reconciler.Policy = Reconciler.Policy(),
        resyncInterval: Duration = .seconds(30), logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.client = client
        self.builder = builder
        self.store = store
        self.issueToken = issueToken
        self.live = live
        self.reconciler = Reconciler(policy: policy)
        self.resyncInterval = resyncInterval
        self.logger = logger
        self.now = now
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    var namespace: String { builder.settings.namespace }

    /// Reconcile passes completed so far (for tests and benchmarks).
    public var passesRun: Int { state.withLock { $0.passesRun } }

    // MARK: Executor

    public func start(_ experiment: ExperimentRecord, runnerToken: String) async throws {
        // The submitter does not wait for the cluster: the Job is created in
        // the background, and a failure is retried by the reconcile passes,
        // which fail the experiment with the reason after several tries.
        Task {
            await createJob(for: experiment, attempt: 1, deadlineSeconds: deadlineSeconds(of: experiment), token: runnerToken)
            wake.yield()
        }
    }

    public func cancel(_ experiment: ExperimentRecord) async throws {
        var names = state.withLock { state in
            state.jobs.values.filter { $0.metadata.experimentID == experiment.id }.map(\.metadata.name)
        }
        if names.isEmpty, let first = try? JobBuilder.jobName(forExperimentID: experiment.id) { names = [first] }
        for name in names { await deleteJob(name, experimentID: experiment.id, why: "its experiment was canceled") }
    }

    /// Checks once, before the server serves, that the cluster can be used:
    /// a TLS failure, rejected credentials or a missing permission stop the
    /// server with the reason (nothing is created); an unreachable or failing
    /// API server only delays the watches, which keep trying.
    public func preflight() async throws {
        do {
            _ = try await client.list(JobObject.self, .jobs, namespace: namespace, labelSelector: JobBuilder.managedSelector)
        } catch let error as KubeClientError where [.tls, .credentials, .invalidRequest].contains(error.kind) {
            throw KubeExecutorError.clusterAccess("\(error)")
        } catch let error as KubeAPIError where error.isUnauthorized || error.isForbidden {
            throw KubeExecutorError.clusterAccess("\(error)")
        } catch {
            logger.warning("the Kubernetes API server is not answering yet; watching will keep trying", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Service

    /// Watches Jobs and pods and reconciles until graceful shutdown.
    public func run() async throws {
        logger.info("kubernetes executor starting", metadata: ["cluster": "\(client.access)", "namespace": "\(namespace)"])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.observe(JobObject.self, .jobs) }
            group.addTask { await self.observe(PodObject.self, .pods) }
            group.addTask { await self.reconcileLoop() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    private func observe<R: KubeReadObject>(_ type: R.Type, _ resource: KubeResource) async {
        let informer = KubeInformer<R>(client: client, resource: resource, namespace: namespace, labelSelector: JobBuilder.managedSelector)
        do {
            try await informer.run { event in
                self.apply(event)
                self.wake.yield()
            }
        } catch is CancellationError {
        } catch {
            logger.error("watch ended", metadata: ["resource": "\(resource)", "error": "\(error)"])
        }
    }

    private func apply<R: KubeReadObject>(_ event: InformerEvent<R>) {
        // Dispatch on the type, not the value: an empty `[PodObject]` casts to `[JobObject]`.
        let isJob = R.self == JobObject.self
        state.withLock { state in
            switch event {
            case .synced(let objects):
                if isJob {
                    let jobs = objects.compactMap { $0 as? JobObject }
                    state.jobs = Dictionary(jobs.map { ($0.metadata.name, $0) }, uniquingKeysWith: { $1 })
                    state.jobsSynced = true
                } else {
                    let pods = objects.compactMap { $0 as? PodObject }
                    state.pods = Dictionary(pods.map { ($0.metadata.name, $0) }, uniquingKeysWith: { $1 })
                    state.podsSynced = true
                }
            case .upserted(let object):
                if let job = object as? JobObject { state.jobs[job.metadata.name] = job }
                if let pod = object as? PodObject {
                    state.pods[pod.metadata.name] = pod
                    if pod.status?.phase == "Failed", state.lastOutput[pod.metadata.name] == nil {
                        state.lastOutput[pod.metadata.name] = ""
                        readLastOutput(of: pod.metadata.name)
                    }
                }
            case .deleted(let object):
                if isJob { state.jobs[object.metadata.name] = nil } else { state.pods[object.metadata.name] = nil }
            }
        }
    }

    /// Reads the end of a failed pod's log, so the experiment's reason can
    /// say what the Runner last printed.
    private func readLastOutput(of pod: String) {
        Task {
            guard let log = try? await client.podLog(namespace: namespace, name: pod, tailLines: 20) else { return }
            let line = log.split(whereSeparator: \.isNewline).last.map { String($0.prefix(300)) } ?? ""
            state.withLock { $0.lastOutput[pod] = line }
            wake.yield()
        }
    }

    private func reconcileLoop() async {
        let resync = Task { [wake, resyncInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: resyncInterval)
                wake.yield()
            }
        }
        defer { resync.cancel() }
        for await _ in wakeups {
            guard state.withLock({ $0.jobsSynced && $0.podsSynced }) else { continue }
            await reconcile()
            // Coalesce a burst of watch events into one more pass.
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: Reconcile

    /// One pass: read the store, plan, act.
    func reconcile() async {
        // The store first, then the caches: an experiment whose Job a submit
        // has created by now is in the cache (``createJob`` adds it there).
        let views: [String: Reconciler.ExperimentView]
        let records: [ExperimentID: ExperimentRecord]
        do {
            let named = state.withLock { Set($0.jobs.values.compactMap(\.metadata.experimentID)) }
            (views, records) = try await experimentViews(named: named)
        } catch {
            logger.warning("reconcile skipped: the store did not answer", metadata: ["error": "\(error)"])
            return
        }
        let snapshot = state.withLock { (Array($0.jobs.values), Array($0.pods.values), $0.lastOutput) }
        let at = now()
        let actions = state.withLock { state in
            reconciler.plan(
                .init(experiments: views, jobs: snapshot.0, pods: snapshot.1, lastOutput: snapshot.2, now: at), memory: &state.memory)
        }
        for action in actions {
            switch action {
            case .createJob(let id, let attempt, let deadline):
                guard let record = records[id], !isCreatingOrKnown(id, attempt: attempt) else { continue }
                do {
                    let token = try await issueToken(record)
                    await createJob(for: record, attempt: attempt, deadlineSeconds: deadline, token: token)
                } catch {
                    recordCreateFailure(id, error)
                }
            case .deleteJob(let name, let id, let why):
                await deleteJob(name, experimentID: id, why: why)
            case .failExperiment(let id, let reason, let jobs):
                guard await stillFailing(id, views: views, at: at) else { continue }
                await fail(id, reason: reason)
                for name in jobs { await deleteJob(name, experimentID: id, why: "its experiment failed") }
            }
        }
        state.withLock { $0.passesRun += 1 }
    }

    /// Never fail an experiment on a cached watch event alone: read its Jobs
    /// and pods again (GET) and plan once more on what the API server says now.
    private func stillFailing(_ id: ExperimentID, views: [String: Reconciler.ExperimentView], at: Date) async -> Bool {
        let (jobs, pods) = state.withLock { state in
            (state.jobs.values.filter { $0.metadata.experimentID == id }.map(\.metadata.name),
             state.pods.values.filter { $0.metadata.experimentID == id }.map(\.metadata.name))
        }
        do {
            for name in jobs { try await refresh(JobObject.self, .jobs, name) }
            for name in pods { try await refresh(PodObject.self, .pods, name) }
        } catch {
            logger.warning("could not confirm the experiment's failure; trying again later", metadata: ["experiment": "\(id)", "error": "\(error)"])
            return false
        }
        let confirmed = state.withLock { state in
            var memory = state.memory
            let input = Reconciler.Input(
                experiments: views.filter { $0.key == id }, jobs: state.jobs.values.filter { $0.metadata.experimentID == id },
                pods: Array(state.pods.values), lastOutput: state.lastOutput, now: at)
            return reconciler.plan(input, memory: &memory).contains {
                if case .failExperiment(id, _, _) = $0 { true } else { false }
            }
        }
        return confirmed
    }

    /// Reads one object again into its cache (gone: removed from it).
    private func refresh<R: KubeReadObject>(_ type: R.Type, _ resource: KubeResource, _ name: String) async throws {
        let object: R?
        do {
            object = try await client.get(R.self, resource, namespace: namespace, name: name)
        } catch let error as KubeAPIError where error.isNotFound {
            object = nil
        }
        state.withLock { state in
            if let job = object as? JobObject { state.jobs[name] = job } else if resource == .jobs { state.jobs[name] = nil }
            if let pod = object as? PodObject { state.pods[name] = pod } else if resource == .pods { state.pods[name] = nil }
        }
    }

    private func isCreatingOrKnown(_ id: ExperimentID, attempt: Int) -> Bool {
        let name = try? JobBuilder.jobName(forExperimentID: id, attempt: attempt)
        return state.withLock { state in state.creating.contains(id) || name.map { state.jobs[$0] != nil } ?? false }
    }

    /// The store's view of every active experiment and of every experiment a Job names.
    private func experimentViews(named: Set<ExperimentID>) async throws -> ([String: Reconciler.ExperimentView], [ExperimentID: ExperimentRecord]) {
        var views: [String: Reconciler.ExperimentView] = [:]
        var records: [ExperimentID: ExperimentRecord] = [:]
        for record in try await store.experiments(inStatus: [.queued, .running]) {
            records[record.id] = record
            views[record.id] = view(of: record)
        }
        for id in named where views[id] == nil {
            if let record = try await store.experiment(id: id, owner: nil) { views[id] = view(of: record) }
        }
        return (views, records)
    }

    private func view(of record: ExperimentRecord) -> Reconciler.ExperimentView {
        let phase: Reconciler.ExperimentView.Phase =
            switch record.status {
            case .queued, .running: .active
            case .completed: .completed
            case .failed: .failed
            case .canceled: .canceled
            }
        return .init(
            id: record.id, phase: phase, startedAt: record.startedAt ?? record.createdAt, finishedAt: record.finishedAt,
            deadline: deadline(of: record))
    }

    private func deadline(of record: ExperimentRecord) -> Duration? {
        if let known = state.withLock({ $0.deadlines[record.id] }) { return known }
        let parsed = (try? Declaration.parse(record.declaration))?.deadline
        state.withLock { $0.deadlines[record.id] = .some(parsed) }
        return parsed
    }

    private func deadlineSeconds(of record: ExperimentRecord) -> Int? {
        deadline(of: record).map { max(1, Int(($0 / .seconds(1)).rounded(.up))) }
    }

    // MARK: Actions

    /// Creates the Job and then its token Secret, owned by the Job. A Job
    /// that already exists (409) is left as it is. If the Secret cannot be
    /// made the Job is deleted again, so no pod waits for a Secret that will never come.
    private func createJob(for record: ExperimentRecord, attempt: Int, deadlineSeconds: Int?, token: String) async {
        let id = record.id
        let name = try? JobBuilder.jobName(forExperimentID: id, attempt: attempt)
        // One creation per experiment at a time, and none for a Job already known.
        let claimed = state.withLock { state in
            guard !state.creating.contains(id), name.map({ state.jobs[$0] == nil }) ?? true else { return false }
            state.creating.insert(id)
            return true
        }
        guard claimed else { return }
        defer { state.withLock { _ = $0.creating.remove(id) } }
        do {
            let declaration = try Declaration.parse(record.declaration)
            let request = RunnerJobRequest(experimentID: id, declaration: declaration, timeBudgetSeconds: deadlineSeconds, attempt: attempt)
            let job = try builder.job(for: request)
            let created: JobObject
            do {
                created = try await client.create(job, as: JobObject.self, in: .jobs, namespace: namespace)
            } catch let error as KubeAPIError where error.isAlreadyExists {
                // Made by an earlier pass, or by a server that stopped before it made the
                // Secret: give that Job a Secret if it has none (a 409 says it has one).
                let existing = try await client.get(JobObject.self, .jobs, namespace: namespace, name: job.metadata.name)
                guard !existing.isFinished, existing.metadata.deletionTimestamp == nil, let uid = existing.metadata.uid else { return }
                state.withLock { $0.jobs[existing.metadata.name] = existing }
                let secret = builder.tokenSecret(for: job, runnerToken: token).owned(byJobNamed: existing.metadata.name, uid: uid)
                do {
                    _ = try await client.create(secret, as: SecretObject.self, in: .secrets, namespace: namespace)
                    logger.notice("token secret restored for an existing runner job", metadata: ["experiment": "\(id)", "job": "\(existing.metadata.name)"])
                } catch let error as KubeAPIError where error.isAlreadyExists {}
                return
            }
            state.withLock { $0.jobs[created.metadata.name] = created }
            guard let uid = created.metadata.uid else {
                throw KubeExecutorError.noUID(job: created.metadata.name)
            }
            let secret = builder.tokenSecret(for: job, runnerToken: token).owned(byJobNamed: created.metadata.name, uid: uid)
            do {
                do {
                    _ = try await client.create(secret, as: SecretObject.self, in: .secrets, namespace: namespace)
                } catch let error as KubeAPIError where error.isAlreadyExists {
                    // Left by an earlier Job of the same name that the garbage collector has
                    // not reached yet: its token is not this Job's. Replace it.
                    try await client.delete(.secrets, namespace: namespace, name: secret.metadata.name, propagation: .background)
                    _ = try await client.create(secret, as: SecretObject.self, in: .secrets, namespace: namespace)
                }
            } catch {
                await deleteJob(created.metadata.name, experimentID: id, why: "its token Secret could not be created")
                throw error
            }
            state.withLock { $0.memory.createFailures[id] = nil }
            logger.info(
                "runner job created",
                metadata: ["experiment": "\(id)", "job": "\(created.metadata.name)", "attempt": "\(attempt)", "parallelism": "\(request.workers)"])
        } catch {
            recordCreateFailure(id, error)
        }
    }

    private func recordCreateFailure(_ id: ExperimentID, _ error: any Error) {
        let count = state.withLock { state in
            let count = (state.memory.createFailures[id]?.count ?? 0) + 1
            state.memory.createFailures[id] = (count, "\(error)")
            return count
        }
        logger.error("could not create the runner job", metadata: ["experiment": "\(id)", "tries": "\(count)", "error": "\(error)"])
    }

    /// Deletes a Job (its pods follow), and its token Secret at once rather
    /// than when the garbage collector gets to it.
    private func deleteJob(_ name: String, experimentID: ExperimentID?, why: String) async {
        do {
            let existed = try await client.delete(.jobs, namespace: namespace, name: name, propagation: .background)
            state.withLock { _ = $0.jobs.removeValue(forKey: name) }
            try await client.delete(.secrets, namespace: namespace, name: JobBuilder.secretName(forJobName: name), propagation: .background)
            if existed {
                logger.info("runner job deleted", metadata: ["experiment": "\(experimentID ?? "-")", "job": "\(name)", "why": "\(why)"])
            }
        } catch {
            logger.error("could not delete the runner job", metadata: ["job": "\(name)", "error": "\(error)"])
        }
    }

    private func fail(_ id: ExperimentID, reason: String) async {
        await failExperiment(id, reason: reason, now: now(), store: store, live: live, logger: logger)
    }
}

enum KubeExecutorError: Error, CustomStringConvertible {
    case noUID(job: String)
    case clusterAccess(String)

    var description: String {
        switch self {
        case .noUID(let job): "the API server returned Job \(job) without a uid"
        case .clusterAccess(let problem): "cannot use the Kubernetes cluster: \(problem)"
        }
    }
}
