@testable import AssayServer
import AssayKube
import AssayStore
import Configuration
import Foundation
import Testing

@Suite struct ServerConfigurationTests {
    private func load(_ environment: [String: String], arguments: [String] = ["assay-server"]) async throws -> ServerConfiguration {
        try await ServerConfiguration.load(arguments: arguments, environment: environment)
    }

    @Test func defaultsMatchTheDocumentation() async throws {
        let configuration = try await load([:])
        #expect(configuration.storeURL == (try StoreURL.parse("sqlite:assay-data/assay.db")))
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.executor == .local)
        #expect(configuration.admin == nil)
        #expect(configuration.smtp == nil)
        #expect(configuration.namespace == "default")
        #expect(configuration.maxArtifactBytes == 100 * 1024 * 1024)
        #expect(configuration.maxTrials == 100_000)
        #expect(configuration.bcryptCost == 12)
    }

    @Test func environmentSetsEveryKeyAndFlagsWin() async throws {
        let configuration = try await load([
            "ASSAY_STORE_URL": "mongodb://assay:s3cret@db:27017/assay",
            "ASSAY_HOST": "0.0.0.0", "ASSAY_PORT": "9000", "ASSAY_PUBLIC_URL": "https://assay.example.org",
            "ASSAY_EXECUTOR": "kubernetes", "ASSAY_ADMIN_USER": "root", "ASSAY_ADMIN_PASSWORD": "hunter2-hunter2",
            "ASSAY_SMTP_URL": "smtp://mail:587", "ASSAY_SMTP_USER": "mailer", "ASSAY_SMTP_PASSWORD": "mail-pass",
            "ASSAY_SMTP_FROM": "assay@example.org", "ASSAY_SMTP_STARTTLS": "off", "ASSAY_RUNNER_IMAGE": "assay-runner:1",
            "ASSAY_NAMESPACE": "research", "ASSAY_MAX_ARTIFACT_BYTES": "1024", "ASSAY_MAX_TRIALS": "50",
        ], arguments: ["assay-server", "--assay-port", "9001"])
        #expect(configuration.storeURL == .mongo(uri: "mongodb://assay:s3cret@db:27017/assay", database: "assay"))
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9001)
        #expect(configuration.publicURL == URL(string: "https://assay.example.org"))
        #expect(configuration.executor == .kubernetes)
        #expect(configuration.admin == .init(username: "root", password: "hunter2-hunter2"))
        #expect(configuration.smtp == .init(url: URL(string: "smtp://mail:587")!, user: "mailer", password: "mail-pass",
                                            from: "assay@example.org", startTLS: .off))
        #expect(configuration.runnerImage == "assay-runner:1")
        #expect(configuration.namespace == "research")
        #expect(configuration.maxArtifactBytes == 1024)
        #expect(configuration.maxTrials == 50)
    }

    @Test func aConfigFileIsReadBelowEnvironmentAndFlags() async throws {
        let file = FileManager.default.temporaryDirectory.appending(path: "assay-config-\(UUID().uuidString).json")
        try Data(#"{"assay": {"port": 7000, "namespace": "from-file", "host": "10.0.0.1"}}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let configuration = try await load(["ASSAY_CONFIG_FILE": file.path, "ASSAY_HOST": "10.0.0.2"])
        #expect(configuration.port == 7000)
        #expect(configuration.namespace == "from-file")
        #expect(configuration.host == "10.0.0.2")
    }

    @Test(arguments: [
        (["ASSAY_PORT": "eighty"], "ASSAY_PORT"),
        (["ASSAY_PORT": "70000"], "ASSAY_PORT"),
        (["ASSAY_EXECUTOR": "docker"], "ASSAY_EXECUTOR"),
        (["ASSAY_STORE_URL": "postgres://db/assay"], "ASSAY_STORE_URL"),
        (["ASSAY_PUBLIC_URL": "assay.example.org"], "ASSAY_PUBLIC_URL"),
        (["ASSAY_ADMIN_USER": "root"], "ASSAY_ADMIN_PASSWORD"),
        (["ASSAY_ADMIN_PASSWORD": "long-enough"], "ASSAY_ADMIN_USER"),
        (["ASSAY_ADMIN_USER": "root", "ASSAY_ADMIN_PASSWORD": "short"], "ASSAY_ADMIN_PASSWORD"),
        (["ASSAY_SMTP_URL": "http://mail"], "ASSAY_SMTP_URL"),
        (["ASSAY_SMTP_URL": "smtp://mail:25", "ASSAY_SMTP_STARTTLS": "maybe"], "ASSAY_SMTP_STARTTLS"),
        (["ASSAY_SMTP_USER": "mailer"], "ASSAY_SMTP_USER"),
        (["ASSAY_MAX_ARTIFACT_BYTES": "0"], "ASSAY_MAX_ARTIFACT_BYTES"),
        (["ASSAY_MAX_TRIALS": "-3"], "ASSAY_MAX_TRIALS"),
        (["ASSAY_CONFIG_FILE": "/nonexistent/assay.json"], "ASSAY_CONFIG_FILE"),
        (["ASSAY_EXECUTOR": "kubernetes", "ASSAY_RUNNER_SERVER_URL": "http://assay:8080"], "ASSAY_RUNNER_IMAGE"),
        (["ASSAY_EXECUTOR": "kubernetes", "ASSAY_RUNNER_IMAGE": "assay/runner:1"], "ASSAY_RUNNER_SERVER_URL"),
        (["ASSAY_RUNNER_SERVER_URL": "assay:8080"], "ASSAY_RUNNER_SERVER_URL"),
        (["ASSAY_RUNNER_PULL_POLICY": "sometimes"], "ASSAY_RUNNER_PULL_POLICY"),
        (["ASSAY_RUNNER_NODE_SELECTOR": "pool"], "ASSAY_RUNNER_NODE_SELECTOR"),
        (["ASSAY_RUNNER_TOLERATIONS": "{\"key\": \"x\"}"], "ASSAY_RUNNER_TOLERATIONS"),
        (["ASSAY_RUNNER_BACKOFF_LIMIT": "-1"], "ASSAY_RUNNER_BACKOFF_LIMIT"),
        (["ASSAY_KUBE_RESYNC_SECONDS": "0"], "ASSAY_KUBE_RESYNC_SECONDS"),
        (["ASSAY_KUBE_IMAGE_PULL_GRACE_SECONDS": "soon"], "ASSAY_KUBE_IMAGE_PULL_GRACE_SECONDS"),
    ])
    func anUnusableValueIsAnErrorNamingItsKey(environment: [String: String], key: String) async throws {
        let error = await #expect(throws: ConfigurationError.self) { try await load(environment) }
        #expect(error?.key == key)
        #expect(error?.description.hasPrefix("\(key): ") == true)
    }

    @Test func aConfigFileThatIsNotJSONNamesTheKey() async throws {
        let file = FileManager.default.temporaryDirectory.appending(path: "assay-config-\(UUID().uuidString).json")
        try Data("port = 7000".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = await #expect(throws: ConfigurationError.self) {
            try await load([:], arguments: ["assay-server", "--assay-config-file", file.path])
        }
        #expect(error?.key == "ASSAY_CONFIG_FILE")
    }

    @Test func aBadValueInTheConfigFileNamesTheKey() async throws {
        let file = FileManager.default.temporaryDirectory.appending(path: "assay-config-\(UUID().uuidString).json")
        try Data(#"{"assay": {"executor": "slurm"}}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = await #expect(throws: ConfigurationError.self) { try await load(["ASSAY_CONFIG_FILE": file.path]) }
        #expect(error?.key == "ASSAY_EXECUTOR")
    }

    @Test func aBadFlagNamesTheKeyToo() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await load([:], arguments: ["assay-server", "--assay-port", "http"])
        }
        #expect(error?.key == "ASSAY_PORT")
    }

    @Test func secretsAreRedactedInTheDescription() async throws {
        let configuration = try await load([
            "ASSAY_STORE_URL": "mongodb://assay:db-secret@db:27017/assay",
            "ASSAY_ADMIN_USER": "root", "ASSAY_ADMIN_PASSWORD": "admin-secret",
            "ASSAY_SMTP_URL": "smtp://mailer:url-secret@mail:587", "ASSAY_SMTP_PASSWORD": "smtp-secret",
        ])
        let text = configuration.description
        for secret in ["db-secret", "admin-secret", "url-secret", "smtp-secret"] {
            #expect(!text.contains(secret), "\(secret) in \(text)")
        }
        #expect(text.contains("ASSAY_ADMIN_USER=root"))
        #expect(text.contains("ASSAY_ADMIN_PASSWORD=<redacted>"))
        #expect(text.contains("ASSAY_PORT=8080"))
    }

    @Test func aBadStoreURLErrorDoesNotShowThePassword() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await load(["ASSAY_STORE_URL": "mongodb://assay:db-secret@/"])
        }
        #expect(error?.key == "ASSAY_STORE_URL")
        #expect(error?.description.contains("db-secret") == false)
    }

    @Test func theKubernetesSettingsReachTheJobBuilder() async throws {
        let configuration = try await load([
            "ASSAY_EXECUTOR": "kubernetes", "ASSAY_RUNNER_IMAGE": "registry.example/assay-runner:1", "ASSAY_NAMESPACE": "research",
            "ASSAY_PUBLIC_URL": "https://assay.example.org", "ASSAY_RUNNER_SERVER_URL": "http://assay.research.svc:8080",
            "ASSAY_RUNNER_PULL_POLICY": "always", "ASSAY_RUNNER_PULL_SECRETS": "regcred, other",
            "ASSAY_RUNNER_NODE_SELECTOR": "pool=gpu, zone=a",
            "ASSAY_RUNNER_TOLERATIONS": #"[{"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}]"#,
            "ASSAY_RUNNER_SERVICE_ACCOUNT": "assay-runner", "ASSAY_RUNNER_TTL_SECONDS": "600", "ASSAY_RUNNER_BACKOFF_LIMIT": "5",
            "ASSAY_KUBE_RESYNC_SECONDS": "10", "ASSAY_KUBE_IMAGE_PULL_GRACE_SECONDS": "0", "ASSAY_KUBE_UNSCHEDULABLE_GRACE_SECONDS": "30",
        ])
        let settings = try configuration.kubeSettings()
        #expect(settings.namespace == "research" && settings.runnerImage == "registry.example/assay-runner:1")
        #expect(settings.serverURL == "http://assay.research.svc:8080")
        #expect(settings.imagePullPolicy == .always && settings.imagePullSecrets == ["regcred", "other"])
        #expect(settings.nodeSelector == ["pool": "gpu", "zone": "a"])
        #expect(settings.tolerations == [Toleration(key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule")])
        #expect(settings.serviceAccountName == "assay-runner")
        #expect(settings.ttlSecondsAfterFinished == 600 && settings.backoffLimit == 5)
        #expect(configuration.kubernetes.resyncSeconds == 10)
        #expect(configuration.kubernetes.imagePullGraceSeconds == 0 && configuration.kubernetes.unschedulableGraceSeconds == 30)
        #expect(configuration.description.contains("ASSAY_RUNNER_SERVER_URL=http://assay.research.svc:8080"))
    }

    @Test func runnersReachThePublicURLWhenNoRunnerURLIsSet() async throws {
        let configuration = try await load([
            "ASSAY_EXECUTOR": "kubernetes", "ASSAY_RUNNER_IMAGE": "r:1", "ASSAY_PUBLIC_URL": "https://assay.example.org",
        ])
        #expect(try configuration.kubeSettings().serverURL == "https://assay.example.org")
    }
}
