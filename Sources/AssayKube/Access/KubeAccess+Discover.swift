import Foundation

extension KubeAccess {
    /// The access that applies here: the pod's service account when `KUBERNETES_SERVICE_HOST`
    /// is set and `serviceAccountDirectory` holds a token, else the kubeconfig
    /// (`KUBECONFIG` or `~/.kube/config`, its current context).
    ///
    /// Once a source applies, its own error is thrown (a broken kubeconfig is not skipped).
    /// When neither applies, the error lists what was tried.
    public static func discover(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: URL = serviceAccountDirectory
    ) throws -> KubeAccess {
        let tokenFile = serviceAccountDirectory.appending(path: "token")
        let inClusterProblem: String
        if let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty {
            if FileManager.default.fileExists(atPath: tokenFile.path) {
                return try inCluster(directory: serviceAccountDirectory, environment: environment)
            }
            inClusterProblem = "KUBERNETES_SERVICE_HOST is set but \(tokenFile.path) does not exist"
        } else {
            inClusterProblem = "KUBERNETES_SERVICE_HOST is not set"
        }
        switch kubeconfigFile(environment: environment) {
        case .success(let file):
            return try kubeconfig(path: file, environment: environment)
        case .failure(let error):
            throw KubeAccessError(
                source: "Kubernetes access",
                problem: "found neither a service account nor a kubeconfig: in-cluster: \(inClusterProblem); kubeconfig: \(error.problem)"
            )
        }
    }
}
