import Foundation

extension KubeAccess {
    /// Where Kubernetes mounts a pod's service account: `token`, `ca.crt`, `namespace`.
    public static let serviceAccountDirectory = URL(filePath: "/var/run/secrets/kubernetes.io/serviceaccount")

    /// Access as the pod's service account: the API server from `KUBERNETES_SERVICE_HOST` and
    /// `KUBERNETES_SERVICE_PORT`, trust from `ca.crt`, the namespace from `namespace` and the
    /// token from `token` in `directory`.
    ///
    /// The token is read now (so a missing one fails here) and re-read whenever the file
    /// changes: the kubelet rotates it. `ca.crt` is read at each connection.
    public static func inCluster(
        directory: URL = serviceAccountDirectory,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> KubeAccess {
        let source = "in-cluster service account \(directory.path)"
        func failure(_ problem: String) -> KubeAccessError { KubeAccessError(source: source, problem: problem) }

        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw failure("KUBERNETES_SERVICE_HOST is not set (is this running in a pod?)")
        }
        guard let portText = environment["KUBERNETES_SERVICE_PORT"], !portText.isEmpty else {
            throw failure("KUBERNETES_SERVICE_PORT is not set")
        }
        guard let port = Int(portText), (1...65_535).contains(port) else {
            throw failure("KUBERNETES_SERVICE_PORT \(String(reflecting: portText)) is not a port number")
        }
        // An IPv6 address goes in brackets in a URL.
        let hostInURL = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        guard let server = URL(string: "https://\(hostInURL):\(port)"), server.host != nil else {
            throw failure("KUBERNETES_SERVICE_HOST \(String(reflecting: host)) is not a host name or address")
        }

        let caFile = directory.appending(path: "ca.crt")
        guard FileManager.default.isReadableFile(atPath: caFile.path) else {
            throw failure("the CA file \(caFile.path) is missing or not readable")
        }
        let namespaceFile = directory.appending(path: "namespace")
        guard let namespaceText = try? String(contentsOf: namespaceFile, encoding: .utf8) else {
            throw failure("the namespace file \(namespaceFile.path) is missing or not readable")
        }
        let namespace = namespaceText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !namespace.isEmpty else { throw failure("the namespace file \(namespaceFile.path) is empty") }

        let token = KubeToken.file(directory.appending(path: "token"), source: source)
        try token.reload()
        return KubeAccess(
            server: server, trust: .caFile(caFile), credentials: KubeCredentials(token: token),
            namespace: namespace, origin: source
        )
    }
}
