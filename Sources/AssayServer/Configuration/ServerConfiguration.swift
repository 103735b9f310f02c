import AssayCore
import AssayStore
import Configuration
import Foundation
import Logging

/// Everything `assay-server` can be configured with, read once at start from
/// flags, environment and an optional JSON file (see docs/configuration.md,
/// which lists every key with its default).
///
/// Each setting has one name: the environment variable `ASSAY_STORE_URL` is the
/// flag `--assay-store-url` and the file key `assay.storeUrl`.
public struct ServerConfiguration: Sendable, Equatable {
    /// Which executor starts Runners: `local` processes, Kubernetes Jobs, or
    /// `external` (someone else starts them with the token file the server writes).
    public enum Executor: String, Sendable, Equatable, CaseIterable {
        case local, kubernetes, external
    }

    /// How log lines are written: `key=value` text, or one JSON object per line.
    public enum LogFormat: String, Sendable, Equatable, CaseIterable {
        case text, json
    }

    /// Whether mail must go over STARTTLS.
    public enum StartTLS: String, Sendable, Equatable, CaseIterable {
        case required, off
    }

    /// How to reach the mail server; nil when mail is off.
    public struct SMTP: Sendable, Equatable {
        public var url: URL
        public var user: String?
        public var password: String?
        public var from: String?
        public var startTLS: StartTLS

        public init(url: URL, user: String? = nil, password: String? = nil, from: String? = nil, startTLS: StartTLS = .required) {
            self.url = url
            self.user = user
            self.password = password
            self.from = from
            self.startTLS = startTLS
        }
    }

    /// The account created at start if no admin exists yet.
    public struct AdminBootstrap: Sendable, Equatable {
        public var username: String
        public var password: String

        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    public var storeURL: StoreURL
    public var host: String
    public var port: Int
    /// Where users reach the server (links in mail, the cookie's Secure flag when https).
    public var publicURL: URL?
    public var executor: Executor
    public var admin: AdminBootstrap?
    public var smtp: SMTP?
    public var runnerImage: String?
    public var namespace: String
    /// Where the `external` executor writes each experiment's runner token.
    public var runnerTokenDirectory: String
    public var maxArtifactBytes: Int
    public var maxTrials: Int
    /// The `assay-runner` the local executor starts (default: beside `assay-server`, else on PATH).
    public var runnerBinary: String?
    /// Where the local executor keeps Runner work folders and logs.
    public var workDirectory: String = "assay-data/work"
    /// How long a Runner holds a trial without reporting before it goes back to the queue.
    public var leaseSeconds: Double = 30
    public var logFormat: LogFormat = .text
    public var logLevel: Logger.Level = .info
    /// Settings of the `kubernetes` executor.
    public var kubernetes = Kubernetes()
    /// bcrypt cost for new password hashes (not an `ASSAY_*` key: tests lower it).
    public var bcryptCost: UInt8

    public init(
        storeURL: StoreURL = ServerConfiguration.defaultStoreURL, host: String = "127.0.0.1", port: Int = 8080,
        publicURL: URL? = nil, executor: Executor = .local, admin: AdminBootstrap? = nil, smtp: SMTP? = nil,
        runnerImage: String? = nil, namespace: String = "default",
        runnerTokenDirectory: String = "assay-data/runner-tokens", maxArtifactBytes: Int = 100 * 1024 * 1024,
        maxTrials: Int = 100_000, bcryptCost: UInt8 = 12
    ) {
        self.storeURL = storeURL
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.executor = executor
        self.admin = admin
        self.smtp = smtp
        self.runnerImage = runnerImage
        self.namespace = namespace
        self.runnerTokenDirectory = runnerTokenDirectory
        self.maxArtifactBytes = maxArtifactBytes
        self.maxTrials = maxTrials
        self.bcryptCost = bcryptCost
    }

    /// `sqlite:assay-data/assay.db`, relative to the working directory.
    public static var defaultStoreURL: StoreURL {
        (try? StoreURL.parse(StoreURL.default)) ?? .sqlite(path: "assay-data/assay.db")
    }
}

extension ServerConfiguration: CustomStringConvertible {
    /// The configuration for the start-up log: secrets (passwords, credentials
    /// inside URLs) are replaced by `<redacted>`.
    public var description: String {
        var fields: [(String, String)] = [
            ("ASSAY_STORE_URL", storeURL.description),
            ("ASSAY_HOST", host),
            ("ASSAY_PORT", String(port)),
            ("ASSAY_PUBLIC_URL", publicURL?.absoluteString ?? "-"),
            ("ASSAY_EXECUTOR", executor.rawValue),
            ("ASSAY_ADMIN_USER", admin?.username ?? "-"),
            ("ASSAY_ADMIN_PASSWORD", admin == nil ? "-" : "<redacted>"),
            ("ASSAY_SMTP_URL", smtp.map { Self.redacting($0.url.absoluteString) } ?? "-"),
            ("ASSAY_SMTP_USER", smtp?.user ?? "-"),
            ("ASSAY_SMTP_PASSWORD", smtp?.password == nil ? "-" : "<redacted>"),
            ("ASSAY_SMTP_FROM", smtp?.from ?? "-"),
        ]
        fields += [
            ("ASSAY_SMTP_STARTTLS", smtp?.startTLS.rawValue ?? "-"),
            ("ASSAY_RUNNER_IMAGE", runnerImage ?? "-"),
            ("ASSAY_NAMESPACE", namespace),
            ("ASSAY_RUNNER_TOKEN_DIR", runnerTokenDirectory),
            ("ASSAY_MAX_ARTIFACT_BYTES", String(maxArtifactBytes)),
            ("ASSAY_MAX_TRIALS", String(maxTrials)),
            ("ASSAY_RUNNER_BIN", runnerBinary ?? "-"),
            ("ASSAY_WORK_DIR", workDirectory),
            ("ASSAY_LEASE_SECONDS", String(leaseSeconds)),
            ("ASSAY_LOG_FORMAT", logFormat.rawValue),
            ("ASSAY_LOG_LEVEL", logLevel.rawValue),
        ]
        if executor == .kubernetes {
            fields += [
                ("ASSAY_RUNNER_SERVER_URL", kubernetes.runnerServerURL?.absoluteString ?? "-"),
                ("ASSAY_RUNNER_PULL_POLICY", kubernetes.pullPolicy.rawValue),
                ("ASSAY_RUNNER_SERVICE_ACCOUNT", kubernetes.runnerServiceAccount ?? "-"),
                ("ASSAY_KUBE_RESYNC_SECONDS", String(kubernetes.resyncSeconds)),
            ]
        }
        return fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }

    /// `scheme://user:password@host…` → `scheme://<redacted>@host…`.
    static func redacting(_ url: String) -> String {
        URLRedaction.redacting(url)
    }
}
