import Foundation

/// Builds the Kubernetes objects for one experiment's Runners: a work-queue
/// `batch/v1` Job and the `v1` Secret holding the runner token. Pure: no I/O.
public struct JobBuilder: Sendable {
    public var settings: KubeSettings

    public static let workDir = "/work"
    public static let containerName = "runner"
    public static let tokenKey = "token"
    public static let gpuResource = "nvidia.com/gpu"

    public init(settings: KubeSettings) {
        self.settings = settings
    }

    /// Labels on the Job, its pod template and the Secret.
    public static func labels(experimentID: String) -> [String: String] {
        [
            "app.kubernetes.io/managed-by": "assay",
            "app.kubernetes.io/name": "assay-runner",
            "assay.dev/experiment": experimentID,
        ]
    }

    /// The Job's attempt number (see ``RunnerJobRequest/attempt``).
    public static let attemptLabel = "assay.dev/attempt"

    /// The label selector for every object Assay manages.
    public static let managedSelector = "app.kubernetes.io/managed-by=assay"

    public func job(for request: RunnerJobRequest) throws(KubeBuildError) -> Job {
        let name = try Self.jobName(forExperimentID: request.experimentID, attempt: request.attempt)
        guard !settings.runnerImage.trimmingCharacters(in: .whitespaces).isEmpty else { throw .emptyImage }
        guard request.workers >= 1 else { throw .invalidWorkers(request.workers) }
        if let budget = request.timeBudgetSeconds, budget <= 0 { throw .invalidTimeBudget(budget) }

        var labels = Self.labels(experimentID: request.experimentID)
        labels[Self.attemptLabel] = String(request.attempt)
        let env = [
            EnvVar(name: "ASSAY_SERVER_URL", value: settings.serverURL),
            EnvVar(name: "ASSAY_EXPERIMENT_ID", value: request.experimentID),
            EnvVar(name: "ASSAY_RUNNER_WORK_DIR", value: Self.workDir),
            // One trial per pod: `workers` (the Job's parallelism) is the number of trials at
            // once, as on a laptop, and each trial gets the pod's whole `resources`.
            EnvVar(name: "ASSAY_RUNNER_SLOTS", value: "1"),
            EnvVar(
                name: "ASSAY_RUNNER_TOKEN",
                valueFrom: .init(secretKeyRef: .init(name: Self.secretName(forJobName: name), key: Self.tokenKey))),
        ]
        let container = Container(
            name: Self.containerName,
            image: settings.runnerImage,
            imagePullPolicy: settings.imagePullPolicy.rawValue,
            env: env,
            resources: Self.resources(request),
            volumeMounts: [
                VolumeMount(name: "work", mountPath: Self.workDir),
                VolumeMount(name: "tmp", mountPath: "/tmp"),
            ])
        let pod = PodSpec(
            serviceAccountName: settings.serviceAccountName,
            securityContext: PodSecurityContext(),
            imagePullSecrets: settings.imagePullSecrets.isEmpty
                ? nil : settings.imagePullSecrets.map { LocalObjectReference(name: $0) },
            nodeSelector: settings.nodeSelector.isEmpty ? nil : settings.nodeSelector,
            tolerations: settings.tolerations.isEmpty ? nil : settings.tolerations,
            containers: [container],
            volumes: [Volume(name: "work"), Volume(name: "tmp")])
        return Job(
            metadata: ObjectMeta(name: name, namespace: settings.namespace, labels: labels),
            spec: JobSpec(
                parallelism: request.workers,
                backoffLimit: settings.backoffLimit,
                activeDeadlineSeconds: request.timeBudgetSeconds,
                ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished,
                template: PodTemplateSpec(metadata: .init(labels: labels), spec: pod)))
    }

    /// The Secret the Job's pods read `ASSAY_RUNNER_TOKEN` from. Create it
    /// after the Job, then give it ``owned(by:uid:)`` so it is collected with it.
    public func tokenSecret(for job: Job, runnerToken: String) -> Secret {
        Secret(
            metadata: ObjectMeta(
                name: Self.secretName(forJobName: job.metadata.name),
                namespace: job.metadata.namespace,
                labels: job.metadata.labels),
            stringData: [Self.tokenKey: runnerToken])
    }

    static func resources(_ request: RunnerJobRequest) -> ResourceRequirements {
        var requests: [String: String] = [:]
        if let cpu = request.cpu { requests["cpu"] = cpu }
        if let memory = request.memory { requests["memory"] = memory }
        var limits = requests
        if request.gpu > 0 { limits[gpuResource] = String(request.gpu) }
        return ResourceRequirements(
            requests: requests.isEmpty ? nil : requests,
            limits: limits.isEmpty ? nil : limits)
    }

    /// JSON for the API server, keys sorted so output is stable.
    public static func encode<T: Encodable>(_ object: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(object)
    }
}

extension Secret {
    /// This Secret, owned (and garbage-collected) by the Job created from it.
    ///
    /// `blockOwnerDeletion` stays false: nothing needs the Job to wait for its
    /// Secret, and setting it would need `update` on `jobs/finalizers` in
    /// clusters that enforce owner-reference permissions.
    public func owned(byJobNamed jobName: String, uid: String) -> Secret {
        var copy = self
        copy.metadata.ownerReferences = [
            OwnerReference(
                apiVersion: "batch/v1", kind: "Job", name: jobName, uid: uid,
                controller: true, blockOwnerDeletion: false)
        ]
        return copy
    }
}
