import AssayCurl
import Foundation
import Yams

extension KubeAccess {
    /// Access as a kubeconfig context describes it.
    ///
    /// The file is `path`, else the first existing file of the colon-separated `KUBECONFIG`
    /// list, else `~/.kube/config`. Unlike kubectl, files in `KUBECONFIG` are not merged: the
    /// first one that exists must hold the whole context, cluster and user.
    ///
    /// The context is `context`, else the file's `current-context`. From it come the cluster's
    /// `server` (https only), `certificate-authority-data` or `certificate-authority`, the
    /// user's `token`, `tokenFile` (preferred over `token`: it is re-read when it changes) and/or
    /// `client-certificate(-data)` with `client-key(-data)`, and the context's `namespace`
    /// (`default` if none). Relative paths are resolved against the kubeconfig's folder.
    ///
    /// Refused with a ``KubeAccessError`` naming the file and field: `insecure-skip-tls-verify`
    /// (TLS is always verified), `tls-server-name`, `proxy-url`, `exec` and `auth-provider`
    /// plugins, and user name/password.
    public static func kubeconfig(
        path: URL? = nil,
        context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> KubeAccess {
        let file = try path ?? kubeconfigFile(environment: environment).get()
        let source = "kubeconfig \(file.path)"
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw KubeAccessError(source: source, problem: "cannot be read: \((error as NSError).localizedDescription)")
        }
        let config: Kubeconfig
        do {
            config = try YAMLDecoder().decode(Kubeconfig.self, from: text)
        } catch {
            throw KubeAccessError(source: source, problem: "is not a valid kubeconfig: \(error)")
        }
        return try KubeconfigReader(config: config, file: file, source: source, environment: environment)
            .access(context: context)
    }

    /// The kubeconfig to read: the first existing file named in `KUBECONFIG`, else
    /// `~/.kube/config`; the failure lists what was looked for.
    static func kubeconfigFile(environment: [String: String]) -> Result<URL, KubeAccessError> {
        let listed = (environment["KUBECONFIG"] ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
        if !listed.isEmpty {
            let files = listed.map { URL(filePath: expandingHome($0, environment: environment)) }
            if let existing = files.first(where: { FileManager.default.fileExists(atPath: $0.path) }) {
                return .success(existing)
            }
            let names = files.map(\.path).joined(separator: ", ")
            return .failure(KubeAccessError(source: "kubeconfig", problem: "none of the files in KUBECONFIG exists (\(names))"))
        }
        let file = homeDirectory(environment).appending(path: ".kube/config")
        guard FileManager.default.fileExists(atPath: file.path) else {
            return .failure(KubeAccessError(source: "kubeconfig", problem: "\(file.path) does not exist and KUBECONFIG is not set"))
        }
        return .success(file)
    }

    static func homeDirectory(_ environment: [String: String]) -> URL {
        if let home = environment["HOME"], !home.isEmpty { return URL(filePath: home, directoryHint: .isDirectory) }
        return FileManager.default.homeDirectoryForCurrentUser
    }

    static func expandingHome(_ path: String, environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        return homeDirectory(environment).appending(path: String(path.dropFirst(2))).path
    }
}

/// Turns a decoded kubeconfig into ``KubeAccess`` for one context, with errors that name the
/// file and the entry at fault.
private struct KubeconfigReader {
    let config: Kubeconfig
    let file: URL
    let source: String
    let environment: [String: String]

    private func failure(_ problem: String) -> KubeAccessError {
        KubeAccessError(source: source, problem: problem)
    }

    func access(context requested: String?) throws -> KubeAccess {
        guard let contextName = requested ?? config.currentContext.flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw failure("no current-context is set and no context was given")
        }
        guard let context = config.contexts?.first(where: { $0.name == contextName }) else {
            throw failure("context \(quoted(contextName)) not found")
        }
        guard let clusterName = context.value?.cluster, !clusterName.isEmpty else {
            throw failure("context \(quoted(contextName)) names no cluster")
        }
        guard let userName = context.value?.user, !userName.isEmpty else {
            throw failure("context \(quoted(contextName)) names no user")
        }
        guard let cluster = config.clusters?.first(where: { $0.name == clusterName })?.value else {
            throw failure("cluster \(quoted(clusterName)) (of context \(quoted(contextName))) not found")
        }
        guard let user = config.users?.first(where: { $0.name == userName })?.value else {
            throw failure("user \(quoted(userName)) (of context \(quoted(contextName))) not found")
        }
        let (server, trust) = try serverAndTrust(of: cluster, named: clusterName)
        let namespace = context.value?.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return KubeAccess(
            server: server, trust: trust, credentials: try credentials(of: user, named: userName),
            namespace: namespace, origin: "\(source), context \(quoted(contextName))"
        )
    }

    private func serverAndTrust(of cluster: Kubeconfig.Cluster, named name: String) throws -> (URL, KubeAccess.Trust) {
        let entry = "cluster \(quoted(name))"
        if cluster.insecureSkipTLSVerify == true {
            throw failure(
                "\(entry): insecure-skip-tls-verify is not supported: Assay always verifies the API server's certificate; give certificate-authority-data or certificate-authority instead"
            )
        }
        if cluster.tlsServerName != nil { throw failure("\(entry): tls-server-name is not supported") }
        if cluster.proxyURL != nil {
            throw failure("\(entry): proxy-url is not supported (libcurl honours the HTTPS_PROXY environment variable)")
        }
        guard let serverText = cluster.server, !serverText.isEmpty else { throw failure("\(entry) has no server") }
        guard let server = URL(string: serverText), server.host != nil else {
            throw failure("\(entry): server \(quoted(serverText)) is not a URL")
        }
        guard server.scheme?.lowercased() == "https" else {
            throw failure("\(entry): server \(quoted(serverText)) is not https (Assay talks to the API server over verified TLS only)")
        }
        let trust: KubeAccess.Trust
        if let data = cluster.certificateAuthorityData, !data.isEmpty {
            trust = .caData(try decodeBase64(data, field: "\(entry): certificate-authority-data"))
        } else if let path = cluster.certificateAuthority, !path.isEmpty {
            trust = .caFile(try readableFile(path, field: "\(entry): certificate-authority"))
        } else {
            trust = .system
        }
        return (server, trust)
    }

    private func credentials(of user: Kubeconfig.User, named name: String) throws -> KubeCredentials {
        let entry = "user \(quoted(name))"
        if user.exec != nil {
            throw failure("\(entry): exec credential plugins are not supported; use a token, tokenFile or client certificate")
        }
        if user.authProvider != nil {
            throw failure("\(entry): auth-provider plugins are not supported; use a token, tokenFile or client certificate")
        }
        var credentials = KubeCredentials()
        if let path = user.tokenFile, !path.isEmpty {
            let token = KubeToken.file(try readableFile(path, field: "\(entry): tokenFile"), source: "\(source), \(entry)")
            try token.reload()
            credentials.token = token
        } else if let token = user.token, !token.isEmpty {
            credentials.token = .literal(token)
        }
        let certificate = try pem(data: user.clientCertificateData, file: user.clientCertificate, field: "\(entry): client-certificate")
        let key = try pem(data: user.clientKeyData, file: user.clientKey, field: "\(entry): client-key")
        switch (certificate, key) {
        case (let certificate?, let key?):
            credentials.clientIdentity = TLSClientIdentity(certificate: certificate, privateKey: key)
        case (.some, nil):
            throw failure("\(entry) has a client certificate but no client-key or client-key-data")
        case (nil, .some):
            throw failure("\(entry) has a client key but no client-certificate or client-certificate-data")
        case (nil, nil):
            break
        }
        if credentials.token == nil, credentials.clientIdentity == nil {
            if user.username != nil { throw failure("\(entry): user name and password are not supported; use a token or client certificate") }
            throw failure("\(entry) has no token or client certificate")
        }
        return credentials
    }

    /// A PEM document given inline (`…-data`, base64) or as a file; the inline form wins.
    private func pem(data: String?, file: String?, field: String) throws -> TLSClientIdentity.Source? {
        if let data, !data.isEmpty { return .pem(try decodeBase64(data, field: "\(field)-data")) }
        if let file, !file.isEmpty { return .file(try readableFile(file, field: field)) }
        return nil
    }

    private func decodeBase64(_ text: String, field: String) throws -> Data {
        guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters), !data.isEmpty else {
            throw failure("\(field) is not valid base64")
        }
        return data
    }

    /// `path` resolved against the kubeconfig's folder, which must name a readable file.
    private func readableFile(_ path: String, field: String) throws -> URL {
        let expanded = KubeAccess.expandingHome(path, environment: environment)
        let url = expanded.hasPrefix("/")
            ? URL(filePath: expanded) : file.deletingLastPathComponent().appending(path: expanded)
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw failure("\(field) \(url.path) is missing or not readable")
        }
        return url.standardizedFileURL
    }

    private func quoted(_ name: String) -> String { String(reflecting: name) }
}
