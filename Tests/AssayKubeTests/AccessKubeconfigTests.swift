import AssayCurl
import AssayKube
import Foundation
import Testing

@Suite("KubeAccess from a kubeconfig")
struct AccessKubeconfigTests {
    /// A temporary folder with a kubeconfig in it.
    struct Folder {
        let url: URL
        var kubeconfig: URL { url.appending(path: "config") }

        init() throws {
            url = try KubeTestEnvironment.temporaryDirectory()
        }

        func write(_ name: String, _ text: String) throws {
            let file = url.appending(path: name)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }

        func config(cluster: String = "    server: https://k8s.example:6443", user: String, context: String = "    namespace: experiments") throws {
            try write(
                "config",
                """
                apiVersion: v1
                kind: Config
                current-context: dev
                clusters:
                - name: dev-cluster
                  cluster:
                \(cluster)
                contexts:
                - name: dev
                  context:
                    cluster: dev-cluster
                    user: dev-user
                \(context)
                users:
                - name: dev-user
                  user:
                \(user)

                """
            )
        }

        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    private let caPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    private var caBase64: String { Data(caPEM.utf8).base64EncodedString() }

    private func failure(_ body: () throws -> KubeAccess) -> String {
        do {
            let access = try body()
            Issue.record("expected an error, got \(access)")
            return ""
        } catch {
            #expect(error is KubeAccessError, "\(error)")
            return "\(error)"
        }
    }

    @Test func tokenCADataAndNamespace() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.config(
            cluster: "    server: https://k8s.example:6443\n    certificate-authority-data: \(caBase64)",
            user: "    token: abc.def"
        )
        let access = try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:])
        #expect(access.server.absoluteString == "https://k8s.example:6443")
        #expect(access.trust == .caData(Data(caPEM.utf8)))
        #expect(try access.credentials.token?.current() == "abc.def")
        #expect(access.credentials.clientIdentity == nil)
        #expect(access.namespace == "experiments")
        #expect(access.origin.contains(folder.kubeconfig.path) && access.origin.contains("\"dev\""))
        #expect(!"\(access)".contains("abc.def"))
    }

    @Test func relativePathsResolveAgainstTheKubeconfigFolder() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write("certs/ca.crt", caPEM)
        try folder.write("secrets/token", "from-file\n")
        try folder.config(
            cluster: "    server: https://k8s.example\n    certificate-authority: certs/ca.crt",
            user: "    tokenFile: secrets/token\n    token: ignored-when-tokenFile-is-given"
        )
        let access = try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:])
        #expect(access.trust == .caFile(folder.url.appending(path: "certs/ca.crt").standardizedFileURL))
        #expect(access.credentials.token?.file == folder.url.appending(path: "secrets/token").standardizedFileURL)
        #expect(try access.credentials.token?.current() == "from-file")
    }

    @Test func clientCertificateDataAndDefaultNamespace() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let certificate = Data("CERT PEM".utf8)
        let key = Data("KEY PEM".utf8)
        try folder.config(
            user: "    client-certificate-data: \(certificate.base64EncodedString())\n    client-key-data: \(key.base64EncodedString())",
            context: ""
        )
        let access = try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:])
        #expect(access.credentials.clientIdentity == TLSClientIdentity(certificate: .pem(certificate), privateKey: .pem(key)))
        #expect(access.credentials.token == nil)
        #expect(access.trust == .system)
        #expect(access.namespace == "default")
    }

    @Test func clientCertificateFiles() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write("client.crt", "CERT")
        try folder.write("client.key", "KEY")
        try folder.config(user: "    client-certificate: client.crt\n    client-key: \(folder.url.appending(path: "client.key").path)")
        let access = try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:])
        #expect(
            access.credentials.clientIdentity
                == TLSClientIdentity(
                    certificate: .file(folder.url.appending(path: "client.crt").standardizedFileURL),
                    privateKey: .file(folder.url.appending(path: "client.key").standardizedFileURL)
                )
        )
    }

    @Test func aGivenContextOverridesTheCurrentOne() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write(
            "config",
            """
            current-context: a
            clusters:
            - name: ca
              cluster: {server: "https://a.example"}
            - name: cb
              cluster: {server: "https://b.example/prefix"}
            contexts:
            - name: a
              context: {cluster: ca, user: u}
            - name: b
              context: {cluster: cb, user: u, namespace: bee}
            users:
            - name: u
              user: {token: t}
            """
        )
        let access = try KubeAccess.kubeconfig(path: folder.kubeconfig, context: "b", environment: [:])
        #expect(access.server.absoluteString == "https://b.example/prefix")
        #expect(access.namespace == "bee")
    }

    @Test func missingContextIsNamedWithTheFile() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.config(user: "    token: t")
        let message = failure { try KubeAccess.kubeconfig(path: folder.kubeconfig, context: "foo", environment: [:]) }
        #expect(message == "kubeconfig \(folder.kubeconfig.path): context \"foo\" not found")
    }

    @Test func missingUserAndClusterAreNamed() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write(
            "config",
            """
            current-context: dev
            contexts:
            - name: dev
              context: {cluster: nowhere, user: nobody}
            clusters:
            - name: somewhere
              cluster: {server: "https://x"}
            """
        )
        let message = failure { try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:]) }
        #expect(message == "kubeconfig \(folder.kubeconfig.path): cluster \"nowhere\" (of context \"dev\") not found")

        try folder.write(
            "config",
            """
            current-context: dev
            contexts:
            - name: dev
              context: {cluster: somewhere, user: nobody}
            clusters:
            - name: somewhere
              cluster: {server: "https://x"}
            """
        )
        let userMessage = failure { try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:]) }
        #expect(userMessage == "kubeconfig \(folder.kubeconfig.path): user \"nobody\" (of context \"dev\") not found")
    }

    @Test func noCurrentContextIsExplained() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write("config", "apiVersion: v1\nkind: Config\nclusters: []\n")
        #expect(failure { try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:]) }.contains("no current-context"))
    }

    @Test func aUserWithoutCredentialsIsRefused() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.config(user: "    {}")
        let message = failure { try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:]) }
        #expect(message == "kubeconfig \(folder.kubeconfig.path): user \"dev-user\" has no token or client certificate")
    }

    @Test func insecureSkipTLSVerifyIsRefused() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.config(cluster: "    server: https://k8s.example\n    insecure-skip-tls-verify: true", user: "    token: t")
        let message = failure { try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:]) }
        #expect(message.hasPrefix("kubeconfig \(folder.kubeconfig.path): cluster \"dev-cluster\": insecure-skip-tls-verify is not supported"))
        #expect(message.contains("certificate-authority-data"))
    }

    @Test(arguments: [
        ("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: aws", "exec credential plugins are not supported"),
        ("    auth-provider:\n      name: gcp", "auth-provider plugins are not supported"),
        ("    username: admin\n    password: secret", "user name and password are not supported"),
    ])
    func credentialPluginsAreRefused(user: String, expected: String) throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.config(user: user)
        let message = failure { try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:]) }
        #expect(message.hasPrefix("kubeconfig \(folder.kubeconfig.path): user \"dev-user\": \(expected)"), "\(message)")
        #expect(!message.contains("secret"))
    }

    @Test func plainHTTPServersAreRefused() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.config(cluster: "    server: http://localhost:8001", user: "    token: t")
        #expect(failure { try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:]) }.contains("is not https"))
    }

    @Test func badBase64AndMissingFilesNameTheirField() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.config(cluster: "    server: https://x\n    certificate-authority-data: '%%%'", user: "    token: t")
        #expect(
            failure { try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:]) }
                == "kubeconfig \(folder.kubeconfig.path): cluster \"dev-cluster\": certificate-authority-data is not valid base64"
        )
        try folder.config(cluster: "    server: https://x\n    certificate-authority: missing/ca.crt", user: "    token: t")
        let message = failure { try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:]) }
        #expect(message.contains("cluster \"dev-cluster\": certificate-authority \(folder.url.path)/missing/ca.crt is missing or not readable"), "\(message)")
        try folder.config(user: "    client-certificate-data: Q0VSVA==")
        #expect(failure { try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:]) }.contains("has a client certificate but no client-key"))
    }

    @Test func notYAMLIsNamed() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write("config", "clusters: {not: [a list")
        #expect(failure { try KubeAccess.kubeconfig(path: folder.kubeconfig, environment: [:]) }.hasPrefix("kubeconfig \(folder.kubeconfig.path): is not a valid kubeconfig"))
    }

    @Test func kubeconfigVariableFirstExistingFileWins() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.config(user: "    token: t")
        let missing = folder.url.appending(path: "missing").path
        let environment = ["KUBECONFIG": "\(missing)::\(folder.kubeconfig.path)", "HOME": "/nonexistent"]
        let access = try KubeAccess.kubeconfig(environment: environment)
        #expect(access.origin.contains(folder.kubeconfig.path))

        let message = failure { try KubeAccess.kubeconfig(environment: ["KUBECONFIG": missing]) }
        #expect(message == "kubeconfig: none of the files in KUBECONFIG exists (\(missing))")
    }

    @Test func homeKubeConfigIsTheDefault() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write(".kube/config", "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: 'https://h'}}]\nusers: [{name: u, user: {token: t}}]\n")
        let access = try KubeAccess.kubeconfig(environment: ["HOME": folder.url.path])
        #expect(access.server.absoluteString == "https://h")
        let message = failure { try KubeAccess.kubeconfig(environment: ["HOME": "/nonexistent"]) }
        #expect(message == "kubeconfig: /nonexistent/.kube/config does not exist and KUBECONFIG is not set")
    }
}
