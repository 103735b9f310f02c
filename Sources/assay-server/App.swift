import AssayServer
import Foundation

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
        try await runServer(configuration: configuration)
    }
}
