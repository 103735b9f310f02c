import AssayRunner
@testable import AssayServer
import AssayStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

extension TestServer {
    /// Like ``run(smtp:_:)``, but the application listens on a real loopback port (passed to
    /// `body`), so libcurl can reach it.
    static func runLive(_ body: @escaping @Sendable (TestServer, Int) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "assay-runner-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appending(path: "assay.db").path)
        let configuration = ServerConfiguration(admin: .init(username: adminName, password: adminPassword), bcryptCost: 4)
        var logger = Logger(label: "assay-runner-live-server")
        logger.logLevel = .warning
        let executor = RecordingExecutor()
        let app = try await buildApplication(
            configuration: configuration, store: store, environment: ServerEnvironment(executor: executor), logger: logger)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let token = try await client.userToken("alice")
            try await body(TestServer(client: client, store: store, executor: executor, token: token), port)
        }
    }
}
