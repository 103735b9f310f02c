/// How Runner Jobs are shaped in the cluster: everything the Job builder takes
/// from configuration rather than from the experiment.
public struct KubeSettings: Sendable, Hashable {
    public enum PullPolicy: String, Sendable, Hashable, CaseIterable {
        case always = "Always"
        case ifNotPresent = "IfNotPresent"
        case never = "Never"
    }

    public var namespace: String
    public var runnerImage: String
    public var imagePullPolicy: PullPolicy
    /// Names of Secrets of type `kubernetes.io/dockerconfigjson`.
    public var imagePullSecrets: [String]
    public var nodeSelector: [String: String]
    public var tolerations: [Toleration]
    public var ttlSecondsAfterFinished: Int
    public var backoffLimit: Int
    /// The URL Runners use to reach `assay-server` from inside the cluster.
    public var serverURL: String
    /// nil: the namespace's default service account.
    public var serviceAccountName: String?

    public init(
        namespace: String,
        runnerImage: String,
        imagePullPolicy: PullPolicy = .ifNotPresent,
        imagePullSecrets: [String] = [],
        nodeSelector: [String: String] = [:],
        tolerations: [Toleration] = [],
        ttlSecondsAfterFinished: Int = 3600,
        backoffLimit: Int = 3,
        serverURL: String,
        serviceAccountName: String? = nil
    ) {
        self.namespace = namespace
        self.runnerImage = runnerImage
        self.imagePullPolicy = imagePullPolicy
        self.imagePullSecrets = imagePullSecrets
        self.nodeSelector = nodeSelector
        self.tolerations = tolerations
        self.ttlSecondsAfterFinished = ttlSecondsAfterFinished
        self.backoffLimit = backoffLimit
        self.serverURL = serverURL
        self.serviceAccountName = serviceAccountName
    }
}
