import AssayKube
import Foundation

extension ServerConfiguration {
    /// How the `kubernetes` executor shapes Runner Jobs and how patient it is
    /// (docs/configuration.md, "Kubernetes executor"). The cluster itself is
    /// found as `kubectl` finds it: the pod's service account when running in
    /// a cluster, else `KUBECONFIG`, else `~/.kube/config`.
    public struct Kubernetes: Sendable, Equatable {
        /// `ASSAY_RUNNER_SERVER_URL`: where Runner pods reach this server (the
        /// in-cluster Service URL); default `ASSAY_PUBLIC_URL`.
        public var runnerServerURL: URL?
        public var pullPolicy: KubeSettings.PullPolicy = .ifNotPresent
        public var pullSecrets: [String] = []
        public var nodeSelector: [String: String] = [:]
        public var tolerations: [Toleration] = []
        public var runnerServiceAccount: String?
        public var ttlSecondsAfterFinished = 3600
        public var backoffLimit = 3
        /// How often everything is compared again, besides every watch event.
        public var resyncSeconds = 30
        public var imagePullGraceSeconds = 60
        public var unschedulableGraceSeconds = 600

        public init() {}
    }

    /// The Job builder's settings, or a ``ConfigurationError`` naming what is missing.
    public func kubeSettings() throws -> KubeSettings {
        guard let image = runnerImage else {
            throw ConfigurationError(key: "ASSAY_RUNNER_IMAGE", problem: "must be set for ASSAY_EXECUTOR=kubernetes")
        }
        guard let serverURL = kubernetes.runnerServerURL ?? publicURL else {
            throw ConfigurationError(
                key: "ASSAY_RUNNER_SERVER_URL",
                problem: "must be set for ASSAY_EXECUTOR=kubernetes (the URL Runner pods reach this server at, e.g. http://assay.assay.svc:8080), or set ASSAY_PUBLIC_URL")
        }
        return KubeSettings(
            namespace: namespace, runnerImage: image, imagePullPolicy: kubernetes.pullPolicy,
            imagePullSecrets: kubernetes.pullSecrets, nodeSelector: kubernetes.nodeSelector,
            tolerations: kubernetes.tolerations, ttlSecondsAfterFinished: kubernetes.ttlSecondsAfterFinished,
            backoffLimit: kubernetes.backoffLimit, serverURL: serverURL.absoluteString,
            serviceAccountName: kubernetes.runnerServiceAccount)
    }

    /// `k=v,k2=v2` (label keys and values as Kubernetes allows them).
    static func parseNodeSelector(_ text: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ConfigurationError(key: "ASSAY_RUNNER_NODE_SELECTOR", problem: "\"\(pair)\" is not key=value (write k=v,k2=v2)")
            }
            result[parts[0]] = parts[1]
        }
        return result
    }

    /// A JSON array of Kubernetes tolerations.
    static func parseTolerations(_ text: String) throws -> [Toleration] {
        do {
            let decoder = JSONDecoder()
            return try decoder.decode([Toleration].self, from: Data(text.utf8))
        } catch {
            throw ConfigurationError(
                key: "ASSAY_RUNNER_TOLERATIONS",
                problem: "is not a JSON array of tolerations such as [{\"key\":\"nvidia.com/gpu\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]")
        }
    }
}
