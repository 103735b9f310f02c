import AssayKube
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("KubeAccess in a pod, discovery, and token files")
struct AccessInClusterTests {
    /// A fake service account folder: token, ca.crt, namespace.
    struct ServiceAccount {
        let directory: URL
        var token: URL { directory.appending(path: "token") }

        init(token: String? = "sa-token-1", namespace: String? = "assay\n") throws {
            directory = try KubeTestEnvironment.temporaryDirectory()
            try "-----BEGIN CERTIFICATE-----\n".write(to: directory.appending(path: "ca.crt"), atomically: true, encoding: .utf8)
            if let namespace { try namespace.write(to: directory.appending(path: "namespace"), atomically: true, encoding: .utf8) }
            if let token { try token.write(to: self.token, atomically: true, encoding: .utf8) }
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    private let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]

    @Test func environmentAndFiles() throws {
        let account = try ServiceAccount()
        defer { account.remove() }
        let access = try KubeAccess.inCluster(directory: account.directory, environment: environment)
        #expect(access.server.absoluteString == "https://10.96.0.1:443")
        #expect(access.trust == .caFile(account.directory.appending(path: "ca.crt")))
        #expect(access.namespace == "assay")
        #expect(try access.credentials.token?.current() == "sa-token-1")
        #expect(access.credentials.token?.file == account.token)
        #expect(!"\(access)".contains("sa-token-1"))
    }

    @Test func ipv6HostGoesInBrackets() throws {
        let account = try ServiceAccount()
        defer { account.remove() }
        let access = try KubeAccess.inCluster(
            directory: account.directory,
            environment: ["KUBERNETES_SERVICE_HOST": "fd00:10:96::1", "KUBERNETES_SERVICE_PORT": "6443"]
        )
        #expect(access.server.absoluteString == "https://[fd00:10:96::1]:6443")
        #expect(access.server.port == 6443)
    }

    @Test func missingPiecesAreNamed() throws {
        let account = try ServiceAccount(token: nil)
        defer { account.remove() }
        let source = "in-cluster service account \(account.directory.path)"
        #expect(throws: KubeAccessError(source: source, problem: "KUBERNETES_SERVICE_HOST is not set (is this running in a pod?)")) {
            try KubeAccess.inCluster(directory: account.directory, environment: [:])
        }
        #expect(throws: KubeAccessError(source: source, problem: "KUBERNETES_SERVICE_PORT \"https\" is not a port number")) {
            try KubeAccess.inCluster(
                directory: account.directory, environment: ["KUBERNETES_SERVICE_HOST": "h", "KUBERNETES_SERVICE_PORT": "https"])
        }
        let error = #expect(throws: KubeAccessError.self) {
            try KubeAccess.inCluster(directory: account.directory, environment: environment)
        }
        #expect(error?.description.contains("cannot read the token file \(account.token.path)") == true, "\(String(describing: error))")

        let noNamespace = try ServiceAccount(namespace: nil)
        defer { noNamespace.remove() }
        let namespaceError = #expect(throws: KubeAccessError.self) {
            try KubeAccess.inCluster(directory: noNamespace.directory, environment: environment)
        }
        #expect(namespaceError?.problem == "the namespace file \(noNamespace.directory.appending(path: "namespace").path) is missing or not readable")
    }

    // MARK: Token files

    @Test func aReplacedTokenFileIsReadAgain() throws {
        let account = try ServiceAccount()
        defer { account.remove() }
        let token = KubeToken.file(account.token, source: "test")
        #expect(try token.current() == "sa-token-1")
        // The kubelet swaps the file atomically (a new inode).
        try "sa-token-2-rotated".write(to: account.token, atomically: true, encoding: .utf8)
        #expect(try token.current() == "sa-token-2-rotated")
    }

    @Test func aTokenRewrittenInPlaceWithTheSameSizeAndTimesIsReadAgain() throws {
        let account = try ServiceAccount(token: "old-token-1")
        defer { account.remove() }
        let token = KubeToken.file(account.token, source: "test")
        #expect(try token.current() == "old-token-1")
        try rewriteInPlace(account.token, "new-token-1")
        #expect(try token.current() == "new-token-1")
    }

    @Test func reloadReadsTheFileEvenWhenNothingSeemsChanged() throws {
        let account = try ServiceAccount(token: "token-a")
        defer { account.remove() }
        let token = KubeToken.file(account.token, source: "test")
        #expect(try token.current() == "token-a")
        #expect(try token.reload() == "token-a")
        #expect(try KubeToken.literal("fixed").reload() == "fixed")
    }

    @Test func emptyAndMissingTokenFilesAreErrors() throws {
        let account = try ServiceAccount(token: "\n")
        defer { account.remove() }
        let token = KubeToken.file(account.token, source: "kubeconfig /k, user \"u\"")
        #expect(throws: KubeAccessError(source: "kubeconfig /k, user \"u\"", problem: "the token file \(account.token.path) is empty")) {
            try token.current()
        }
        try FileManager.default.removeItem(at: account.token)
        let error = #expect(throws: KubeAccessError.self) { try token.current() }
        #expect(error?.problem.hasPrefix("cannot read the token file \(account.token.path)") == true)
    }

    // MARK: Discovery

    @Test func discoveryPrefersTheServiceAccount() throws {
        let account = try ServiceAccount()
        defer { account.remove() }
        let access = try KubeAccess.discover(environment: environment, serviceAccountDirectory: account.directory)
        #expect(access.origin == "in-cluster service account \(account.directory.path)")
    }

    @Test func discoveryFallsBackToTheKubeconfig() throws {
        let account = try ServiceAccount(token: nil)
        defer { account.remove() }
        let folder = try KubeTestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appending(path: "config")
        try "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: 'https://h'}}]\nusers: [{name: u, user: {token: t}}]\n"
            .write(to: config, atomically: true, encoding: .utf8)
        // The host is set but the token file is missing: not in a pod with a service account.
        let access = try KubeAccess.discover(
            environment: environment.merging(["KUBECONFIG": config.path]) { $1 }, serviceAccountDirectory: account.directory)
        #expect(access.origin.hasPrefix("kubeconfig \(config.path)"))
    }

    @Test func discoveryWithNothingListsWhatWasTried() throws {
        let account = try ServiceAccount(token: nil)
        defer { account.remove() }
        let error = #expect(throws: KubeAccessError.self) {
            try KubeAccess.discover(environment: ["HOME": "/nonexistent"], serviceAccountDirectory: account.directory)
        }
        #expect(
            error?.description
                == "Kubernetes access: found neither a service account nor a kubeconfig: in-cluster: KUBERNETES_SERVICE_HOST is not set; kubeconfig: /nonexistent/.kube/config does not exist and KUBECONFIG is not set"
        )
    }

    @Test func discoveryReportsABrokenKubeconfigInsteadOfSkippingIt() throws {
        let folder = try KubeTestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appending(path: "config")
        try "current-context: nowhere\n".write(to: config, atomically: true, encoding: .utf8)
        let error = #expect(throws: KubeAccessError.self) {
            try KubeAccess.discover(environment: ["KUBECONFIG": config.path], serviceAccountDirectory: folder)
        }
        #expect(error?.description == "kubeconfig \(config.path): context \"nowhere\" not found")
    }
}

/// Rewrites `file` in place (same inode; give text of the same size) and puts its access and
/// modification times back to the nanosecond: a change only the change time shows.
func rewriteInPlace(_ file: URL, _ text: String) throws {
    var info = stat()
    guard stat(file.path, &info) == 0 else { throw KubeTestEnvironment.Failure(description: "cannot stat \(file.path)") }
    let handle = try FileHandle(forWritingTo: file)
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: Data(text.utf8))
    try handle.close()
    var times = [info.st_atim, info.st_mtim]
    guard utimensat(AT_FDCWD, file.path, &times, 0) == 0 else {
        throw KubeTestEnvironment.Failure(description: "cannot reset the times of \(file.path)")
    }
}
