import AssayKube
import AssayStore
import Configuration
import Foundation
import Logging
import SystemPackage

/// A configuration value that cannot be used; names the key as an operator sets it.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The environment variable name, e.g. `ASSAY_PORT`.
    public var key: String
    public var problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "\(key): \(problem)" }
}

extension ServerConfiguration {
    /// Reads the configuration from (highest precedence first) command-line flags,
    /// environment variables and the JSON file named by `--assay-config-file` /
    /// `ASSAY_CONFIG_FILE`.
    public static func load(
        arguments: [String] = CommandLine.arguments,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> ServerConfiguration {
        let secrets = SecretsSpecifier<String, String>.specific([
            "ASSAY_ADMIN_PASSWORD", "ASSAY_SMTP_PASSWORD", "ASSAY_STORE_URL", "ASSAY_SMTP_URL",
            "--assay-admin-password", "--assay-smtp-password", "--assay-store-url", "--assay-smtp-url",
        ])
        var providers: [any ConfigProvider] = [
            CommandLineArgumentsProvider(arguments: arguments, secretsSpecifier: secrets),
            EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: secrets),
        ]
        let first = ConfigReader(providers: providers)
        if let file = first.string(forKey: "assay.configFile") {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw ConfigurationError(key: "ASSAY_CONFIG_FILE", problem: "cannot read \(file)")
            }
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(file)))
            } catch {
                throw ConfigurationError(key: "ASSAY_CONFIG_FILE", problem: "\(file) is not a valid JSON configuration file")
            }
        }
        return try ServerConfiguration(reading: ConfigReader(providers: providers))
    }

    /// Reads and checks every `assay.*` key; the first unusable value throws a
    /// ``ConfigurationError`` naming its key.
    public init(reading config: ConfigReader) throws {
        let keys = Keys(config: config)
        self.init()
        if let text = keys.string("storeUrl", secret: true) {
            do {
                storeURL = try StoreURL.parse(text)
            } catch {
                throw ConfigurationError(key: "ASSAY_STORE_URL", problem: "\(error)")
            }
        }
        host = keys.string("host") ?? host
        guard !host.isEmpty else { throw ConfigurationError(key: "ASSAY_HOST", problem: "must not be empty") }
        port = try keys.integer("port", in: 0...65_535) ?? port
        publicURL = try keys.url("publicUrl", schemes: ["http", "https"])
        executor = try keys.choice("executor", of: Executor.self) ?? executor
        let adminUser = keys.string("adminUser")
        let adminPassword = keys.string("adminPassword", secret: true)
        switch (adminUser, adminPassword) {
        case (let username?, let password?):
            guard password.count >= 8 else {
                throw ConfigurationError(key: "ASSAY_ADMIN_PASSWORD", problem: "must be at least 8 characters")
            }
            admin = AdminBootstrap(username: username, password: password)
        case (nil, nil):
            admin = nil
        case (nil, _):
            throw ConfigurationError(key: "ASSAY_ADMIN_USER", problem: "must be set together with ASSAY_ADMIN_PASSWORD")
        case (_, nil):
            throw ConfigurationError(key: "ASSAY_ADMIN_PASSWORD", problem: "must be set together with ASSAY_ADMIN_USER")
        }
        if let url = try keys.url("smtpUrl", schemes: ["smtp", "smtps"], secret: true) {
            smtp = SMTP(
                url: url, user: keys.string("smtpUser"), password: keys.string("smtpPassword", secret: true),
                from: keys.string("smtpFrom"), startTLS: try keys.choice("smtpStarttls", of: StartTLS.self) ?? .required)
        } else {
            for key in ["smtpUser", "smtpPassword", "smtpFrom", "smtpStarttls"] where keys.string(key, secret: true) != nil {
                throw ConfigurationError(key: Keys.environmentName(key), problem: "is set but ASSAY_SMTP_URL is not")
            }
        }
        runnerImage = keys.string("runnerImage")
        namespace = keys.string("namespace") ?? namespace
        runnerTokenDirectory = keys.string("runnerTokenDir") ?? runnerTokenDirectory
        maxArtifactBytes = try keys.integer("maxArtifactBytes", in: 1...Int.max) ?? maxArtifactBytes
        maxTrials = try keys.integer("maxTrials", in: 1...Int.max) ?? maxTrials
        runnerBinary = keys.string("runnerBin")
        workDirectory = keys.string("workDir") ?? workDirectory
        leaseSeconds = Double(try keys.integer("leaseSeconds", in: 2...86_400) ?? Int(leaseSeconds))
        logFormat = try keys.choice("logFormat", of: LogFormat.self) ?? logFormat
        logLevel = try keys.choice("logLevel", of: Logger.Level.self) ?? logLevel
        try readKubernetes(keys)
    }

    private mutating func readKubernetes(_ keys: Keys) throws {
        kubernetes.runnerServerURL = try keys.url("runnerServerUrl", schemes: ["http", "https"])
        if let text = keys.string("runnerPullPolicy") {
            guard let policy = KubeSettings.PullPolicy.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
                throw ConfigurationError(key: "ASSAY_RUNNER_PULL_POLICY", problem: "\"\(text)\" is not one of Always | IfNotPresent | Never")
            }
            kubernetes.pullPolicy = policy
        }
        kubernetes.pullSecrets = keys.string("runnerPullSecrets").map {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } ?? []
        kubernetes.nodeSelector = try keys.string("runnerNodeSelector").map(Self.parseNodeSelector) ?? [:]
        kubernetes.tolerations = try keys.string("runnerTolerations").map(Self.parseTolerations) ?? []
        kubernetes.runnerServiceAccount = keys.string("runnerServiceAccount")
        kubernetes.ttlSecondsAfterFinished = try keys.integer("runnerTtlSeconds", in: 0...31_536_000) ?? kubernetes.ttlSecondsAfterFinished
        kubernetes.backoffLimit = try keys.integer("runnerBackoffLimit", in: 0...100) ?? kubernetes.backoffLimit
        kubernetes.resyncSeconds = try keys.integer("kubeResyncSeconds", in: 1...3600) ?? kubernetes.resyncSeconds
        kubernetes.imagePullGraceSeconds = try keys.integer("kubeImagePullGraceSeconds", in: 0...86_400) ?? kubernetes.imagePullGraceSeconds
        kubernetes.unschedulableGraceSeconds =
            try keys.integer("kubeUnschedulableGraceSeconds", in: 0...604_800) ?? kubernetes.unschedulableGraceSeconds
        if executor == .kubernetes { _ = try kubeSettings() }
    }
}

/// Typed reads of `assay.*` keys. Values are read as text (the environment and
/// flags hold text) or, from a JSON file, as numbers, and parsed here so that a
/// bad value is an error naming the key, never a silent default.
struct Keys {
    let config: ConfigReader

    static func environmentName(_ key: String) -> String {
        "ASSAY_" + key.replacing(/([a-z])([A-Z])/) { "\($0.1)_\($0.2)" }.uppercased()
    }

    func string(_ key: String, secret: Bool = false) -> String? {
        let value = config.string(forKey: ConfigKey("assay.\(key)"), isSecret: secret)
            ?? config.int(forKey: ConfigKey("assay.\(key)"), isSecret: secret).map(String.init)
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = string(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            let bounds = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            throw ConfigurationError(key: Self.environmentName(key), problem: "\"\(text)\" is not a whole number \(bounds)")
        }
        return value
    }

    func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, of type: Choice.Type) throws -> Choice?
    where Choice.RawValue == String {
        guard let text = string(key) else { return nil }
        guard let value = Choice(rawValue: text.lowercased()) else {
            let allowed = Choice.allCases.map(\.rawValue).joined(separator: " | ")
            throw ConfigurationError(key: Self.environmentName(key), problem: "\"\(text)\" is not one of \(allowed)")
        }
        return value
    }

    func url(_ key: String, schemes: Set<String>, secret: Bool = false) throws -> URL? {
        guard let text = string(key, secret: secret) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), schemes.contains(scheme),
              url.host.map({ !$0.isEmpty }) == true
        else {
            let shown = secret ? ServerConfiguration.redacting(text) : text
            let allowed = schemes.sorted().map { "\($0)://HOST" }.joined(separator: " or ")
            throw ConfigurationError(key: Self.environmentName(key), problem: "\"\(shown)\" is not a URL of the form \(allowed)")
        }
        return url
    }
}
