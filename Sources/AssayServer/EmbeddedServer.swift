import AssayStore
import Foundation
import Logging
import ServiceLifecycle

/// The server `assay run` starts in-process when no `ASSAY_URL` is set: a
/// SQLite store in a local folder, the local executor, and a loopback port the
/// system picks. `body` gets the server's URL and an API token of the local
/// user `local` (made for this run and deleted after it); the server stops
/// when `body` returns. Its Runners exit with the process that started them.
public enum EmbeddedServer {
    public static let username = "local"

    public static func run<T: Sendable>(
        dataDirectory: URL, runnerBinary: String? = nil, logger: Logger = Logger(label: "assay-embedded"),
        _ body: @Sendable (_ url: URL, _ token: String) async throws -> T
    ) async throws -> T {
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        var configuration = ServerConfiguration(
            storeURL: .sqlite(path: dataDirectory.appending(path: "assay.db").path), host: "127.0.0.1", port: 0, executor: .local)
        configuration.workDirectory = dataDirectory.appending(path: "work").path
        configuration.runnerBinary = runnerBinary
        let store = try await configuration.storeURL.open()
        let token = try await issueToken(store: store)

        var setup = ServerEnvironment()
        let executor = LocalExecutor(
            runnerBinary: runnerBinary ?? LocalExecutor.defaultRunnerBinary(),
            workDirectory: URL(filePath: configuration.workDirectory, directoryHint: .isDirectory), store: store,
            live: setup.live, logger: logger)
        setup.executor = executor
        let environment = setup
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try await buildApplication(
            configuration: configuration, store: store, environment: environment, logger: logger,
            onServerRunning: { port in
                executor.serverURL = URL(string: "http://127.0.0.1:\(port)")
                portContinuation.yield(port)
                portContinuation.finish()
            })
        let reaper = LeaseReaper(store: store, interval: .seconds(2), now: { Date() }, logger: logger, live: environment.live)
        let group = ServiceGroup(configuration: .init(services: [app, reaper], logger: logger))
        let serving = Task { try await group.run() }

        func stop() async {
            await group.triggerGracefulShutdown()
            _ = try? await serving.value
            try? await store.deleteCredential(secretHash: SecretToken.hash(token))
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), let url = URL(string: "http://127.0.0.1:\(port)") else {
            await stop()
            throw EmbeddedServerError.didNotStart
        }
        do {
            let result = try await body(url, token)
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }

    /// A fresh API token of the local user (created on first use, with an unusable password).
    private static func issueToken(store: any ExperimentStore) async throws -> String {
        let user: User
        if let existing = try await store.user(named: username) {
            user = existing
        } else {
            let hash = try await PasswordHasher(cost: 10).hash(SecretToken.generate())
            user = try await store.createUser(username: username, passwordHash: hash, isAdmin: false, now: Date())
        }
        let secret = SecretToken.generate(prefix: "asy_")
        _ = try await store.createCredential(Credential(
            id: "", kind: .apiToken, owner: user.id, name: "assay run", secretHash: SecretToken.hash(secret), createdAt: Date()))
        return secret
    }
}

/// Why the embedded server could not serve.
public enum EmbeddedServerError: Error, CustomStringConvertible {
    case didNotStart

    public var description: String { "the embedded Assay server did not start listening" }
}
