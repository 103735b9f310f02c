@testable import AssayServer
import AssayStore
import AssayTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct OpenAPIDocumentTests {
    /// `METHOD /path` of every operation in the document.
    static func documentedOperations(_ yaml: String) -> Set<String> {
        var operations: Set<String> = []
        var path: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                operations.insert("\(line.trimmingCharacters(in: .whitespaces).dropLast().uppercased()) \(path)")
            } else if !line.hasPrefix(" ") {
                path = nil
            }
        }
        return operations
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedPathExists() async throws {
        let store = try await StoreKind.sqlite.open()
        let router = try await buildRouter(
            configuration: testConfiguration(), store: store, environment: ServerEnvironment(), logger: quietLogger)
        // The web UI's pages and files (`/`, `/ui/...`) are not API operations.
        let routes = Set(router.routes.map { route in
            let path = "\(route.path)".hasPrefix("/") ? "\(route.path)" : "/\(route.path)"
            return "\(route.method) \(path)"
        }.filter { !UIController.isUIRoute($0) })
        let documented = Self.documentedOperations(OpenAPIDocument.yaml)
        #expect(routes.count > 30)
        #expect(routes.subtracting(documented).sorted() == [], "routes the document lacks")
        #expect(documented.subtracting(routes).sorted() == [], "documented operations without a route")
    }

    @Test func theDocumentIsServed() async throws {
        let store = try await StoreKind.sqlite.open()
        try await withServer(store) { client in
            let response = try await client.send(.get, "/openapi.yaml")
            #expect(response.status == .ok)
            #expect(String(buffer: response.body).hasPrefix("openapi: 3.1.0"))
        }
    }
}
