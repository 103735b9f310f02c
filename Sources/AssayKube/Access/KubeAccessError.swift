/// Why cluster access could not be set up (or a credential could not be read): names the
/// file and the field that is wrong, e.g. `kubeconfig /home/u/.kube/config: context "dev"
/// not found`. Never contains a token or key.
public struct KubeAccessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was being read: `kubeconfig /home/u/.kube/config`, `in-cluster service account
    /// /var/run/secrets/kubernetes.io/serviceaccount`, or `Kubernetes access` when nothing was found.
    public var source: String
    /// What is wrong with it.
    public var problem: String

    public init(source: String, problem: String) {
        self.source = source
        self.problem = problem
    }

    public var description: String { "\(source): \(problem)" }
}
