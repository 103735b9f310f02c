import AssayKube
import AssayStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Tuning that is not operator configuration: the clock and auth limits, so
/// tests can control time and keep bcrypt cheap.
public struct ServerEnvironment: Sendable {
    public var now: @Sendable () -> Date
    public var sessionLifetime: TimeInterval
    public var loginFailuresPerWindow: Int
    public var loginWindow: TimeInterval
    /// How long `/readyz` waits for the store's ping.
    public var readinessTimeout: Duration
    /// Where experiments run.
    public var executor: any Executor
    /// How long an experiment's runner token is accepted.
    public var runnerTokenLifetime: TimeInterval
    /// The live-update fan-out, shared by the routes and the lease reaper.
    let live = LiveEvents()

    public init(
        now: @escaping @Sendable () -> Date = { Date() }, sessionLifetime: TimeInterval = 7 * 24 * 3600,
        loginFailuresPerWindow: Int = 5, loginWindow: TimeInterval = 60, readinessTimeout: Duration = .seconds(2),
        executor: any Executor = RecordingExecutor(), runnerTokenLifetime: TimeInterval = 30 * 24 * 3600
    ) {
        self.executor = executor
        self.runnerTokenLifetime = runnerTokenLifetime
        self.readinessTimeout = readinessTimeout
        self.now = now
        self.sessionLifetime = sessionLifetime
        self.loginFailuresPerWindow = loginFailuresPerWindow
        self.loginWindow = loginWindow
    }
}

/// Builds the HTTP application over an open store: bootstraps the admin if
/// none exists, then wires routes, authentication and error mapping.
/// `onServerRunning` hears the bound address (the port is chosen by the system for port 0).
public func buildApplication(
    configuration: ServerConfiguration, store: any ExperimentStore, environment: ServerEnvironment = ServerEnvironment(),
    logger: Logger = Logger(label: "assay-server"), onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    Application(
        router: try await buildRouter(configuration: configuration, store: store, environment: environment, logger: logger),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "assay-server"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// Every route with its middleware (``buildApplication`` serves it; the
/// OpenAPI test compares its routes with the document).
func buildRouter(
    configuration: ServerConfiguration, store: any ExperimentStore, environment: ServerEnvironment, logger: Logger
) async throws -> Router<AssayRequestContext> {
    let authentication = try await Authentication(
        store: store, hasher: PasswordHasher(cost: configuration.bcryptCost),
        limiter: LoginRateLimiter(maxFailures: environment.loginFailuresPerWindow, window: environment.loginWindow),
        sessionLifetime: environment.sessionLifetime, now: environment.now)
    try await authentication.bootstrapAdmin(configuration.admin, logger: logger)

    let router = Router(context: AssayRequestContext.self)
    let metrics = ServerMetrics()
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: ErrorMappingMiddleware())
    HealthController(store: store, readinessTimeout: environment.readinessTimeout).addRoutes(to: router)
    router.get("metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: try await metrics.exposition(store: store))))
    }

    let auth = AuthController(authentication: authentication, secureCookies: configuration.publicURL?.scheme == "https")
    let api = router.group("api/v1")
    auth.addPublicRoutes(to: api)
    let user = api.group().add(middleware: UserAuthenticationMiddleware(authentication: authentication))
    auth.addUserRoutes(to: user)
    ArtifactController(store: store, maxBytes: configuration.maxArtifactBytes, now: environment.now).addRoutes(to: user)
    let live = environment.live
    let experiments = ExperimentController(
        store: store, executor: environment.executor, maxTrials: configuration.maxTrials,
        leaseDuration: .milliseconds(Int64(configuration.leaseSeconds * 1000)),
        runnerTokenLifetime: environment.runnerTokenLifetime, live: live, now: environment.now)
    experiments.addRoutes(to: user)
    TrialController(store: store, experiments: experiments).addRoutes(to: user)
    LiveEventController(store: store, live: live, experiments: experiments).addRoutes(to: user)
    let runner = api.group("runner/experiments/{id}")
        .add(middleware: RunnerAuthenticationMiddleware(store: store, now: environment.now))
    RunnerController(store: store, smtp: configuration.smtp, publicURL: configuration.publicURL, live: live, metrics: metrics, now: environment.now)
        .addRoutes(to: runner)
    OpenAPIDocument.addRoutes(to: router)
    UIController().addRoutes(to: router)
    return router
}

/// Opens the configured store, builds the application and serves until
/// SIGTERM or SIGINT (in-flight requests are drained). The server and the
/// lease reaper are services of one group. With the local executor, Runners
/// are started for unfinished experiments once the server listens.
public func runServer(configuration: ServerConfiguration, logger: Logger = Logger(label: "assay-server")) async throws {
    logger.info("starting", metadata: ["configuration": "\(configuration)"])
    let store = try await configuration.storeURL.open()
    var setup = ServerEnvironment()
    let executor = try makeExecutor(configuration, store: store, environment: setup, logger: logger)
    setup.executor = executor
    let environment = setup
    if let kubernetes = executor as? KubernetesExecutor { try await kubernetes.preflight() }
    let app = try await buildApplication(
        configuration: configuration, store: store, environment: environment, logger: logger,
        onServerRunning: { port in
            guard let local = executor as? LocalExecutor else { return }
            local.serverURL = URL(string: "http://\(configuration.host == "0.0.0.0" ? "127.0.0.1" : configuration.host):\(port)")
            let tokens = RunnerTokens(store: store, lifetime: environment.runnerTokenLifetime, now: environment.now)
            await local.resume(issueToken: tokens.issue(for:))
        })
    let reaper = LeaseReaper(store: store, interval: .seconds(5), now: { Date() }, logger: logger, live: environment.live)
    // Graceful shutdown runs in reverse order: the live streams end first, so the server can drain.
    var services: [any Service] = [app, reaper, LiveEventsCloser(live: environment.live)]
    if let kubernetes = executor as? KubernetesExecutor { services.append(kubernetes) }
    let group = ServiceGroup(configuration: .init(
        services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
}

/// The executor `ASSAY_EXECUTOR` names. The Kubernetes one finds its cluster
/// here (service account, else kubeconfig) and fails start-up if it cannot.
func makeExecutor(
    _ configuration: ServerConfiguration, store: any ExperimentStore, environment: ServerEnvironment, logger: Logger
) throws -> any Executor {
    switch configuration.executor {
    case .external:
        ExternalExecutor(directory: URL(filePath: configuration.runnerTokenDirectory, directoryHint: .isDirectory))
    case .local:
        LocalExecutor(
            runnerBinary: configuration.runnerBinary ?? LocalExecutor.defaultRunnerBinary(),
            workDirectory: URL(filePath: configuration.workDirectory, directoryHint: .isDirectory), store: store,
            live: environment.live, logger: logger)
    case .kubernetes:
        try makeKubernetesExecutor(configuration, store: store, environment: environment, logger: logger)
    }
}

private func makeKubernetesExecutor(
    _ configuration: ServerConfiguration, store: any ExperimentStore, environment: ServerEnvironment, logger: Logger
) throws -> KubernetesExecutor {
    let settings = try configuration.kubeSettings()
    let access = try KubeAccess.discover()
    let tokens = RunnerTokens(store: store, lifetime: environment.runnerTokenLifetime, now: environment.now)
    var policy = Reconciler.Policy()
    policy.imagePullGrace = .seconds(configuration.kubernetes.imagePullGraceSeconds)
    policy.unschedulableGrace = .seconds(configuration.kubernetes.unschedulableGraceSeconds)
    return KubernetesExecutor(
        client: KubeClient(access: access, logger: logger), builder: JobBuilder(settings: settings), store: store,
        issueToken: tokens.issue(for:), live: environment.live, policy: policy,
        resyncInterval: .seconds(configuration.kubernetes.resyncSeconds), logger: logger)
}
