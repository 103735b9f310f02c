import AssayServer
import Foundation
import Logging

/// `assay-server`: reads the configuration (flags, `ASSAY_*` environment,
/// optional JSON file; see docs/configuration.md) and serves the API.
@main
struct App {
    static func main() async throws {
        let configuration: ServerConfiguration
        do {
            configuration = try await ServerConfiguration.load()
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("assay-server: configuration: \(error)\n".utf8))
            exit(2)
        }
        let level = configuration.logLevel
        switch configuration.logFormat {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
        do {
            try await runServer(configuration: configuration)
        } catch {
            // A port in use, an unreachable store: one line, not a crash report.
            FileHandle.standardError.write(Data("assay-server: \(error)\n".utf8))
            exit(1)
        }
    }
}
