@testable import AssayServer
import AssayTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The web UI's static routes: `/` and `/ui/<file>`, their headers, and that
/// nothing outside the bundled `web` folder can be reached.
@Suite struct UIRouteTests {
    static let traversals = [
        "/ui/../Package.swift", "/ui/..%2fPackage.swift", "/ui/%2e%2e/Package.swift", "/ui/%2e%2e%2fPackage.swift",
        "/ui/%2E%2E%2F%2E%2E%2FPackage.swift", "/ui/pages/../app.js", "/ui/./app.js", "/ui//etc/passwd",
        "/ui/%2fetc%2fpasswd", "/ui/..%5cPackage.swift", "/ui/app.js%00.html", "/ui/pages", "/ui/pages/", "/ui/",
        "/ui/x", "/ui/app.js/", "/ui/APP.JS", "/ui/.hidden", "/ui/web/index.html", "/index.html",
    ]

    @Test func rootServesTheSinglePageWithAStrictPolicy() async throws {
        let store = try await StoreKind.sqlite.open()
        try await withServer(store) { client in
            let page = try await client.send(.get, "/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            let policy = try #require(page.headers[.contentSecurityPolicy])
            for directive in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"] {
                #expect(policy.contains(directive), "CSP lacks \(directive)")
            }
            #expect(!policy.contains("unsafe-inline"))
            #expect(!policy.contains("unsafe-eval"))
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            #expect(page.headers[.cacheControl]?.contains("no-cache") == true)
            #expect(page.headers[.eTag] != nil)
            let html = String(buffer: page.body)
            #expect(html.contains("<script type=\"module\" src=\"/ui/app.js\"></script>"))
            // No inline script or style: every <script> has a src, and no element has a style attribute.
            #expect(html.ranges(of: "<script").count == html.ranges(of: "<script type=\"module\" src=").count)
            #expect(!html.contains("style="))
            #expect(!html.contains("<style"))
        }
    }

    @Test func assetsHaveTheirContentTypes() async throws {
        let store = try await StoreKind.sqlite.open()
        try await withServer(store) { client in
            let cases = [
                ("/ui/app.js", "text/javascript; charset=utf-8"), ("/ui/pages/experiment.js", "text/javascript; charset=utf-8"),
                ("/ui/app.css", "text/css; charset=utf-8"), ("/ui/favicon.svg", "image/svg+xml"),
            ]
            for (path, type) in cases {
                let answer = try await client.send(.get, path)
                #expect(answer.status == .ok, "\(path)")
                #expect(answer.headers[.contentType] == type, "\(path)")
                #expect(answer.headers[.xContentTypeOptions] == "nosniff", "\(path)")
                #expect(answer.headers[.contentSecurityPolicy] == UIController.contentSecurityPolicy, "\(path)")
                #expect(answer.headers[.cacheControl] == "no-cache", "\(path)")
                #expect(answer.body.readableBytes > 0, "\(path)")
            }
        }
    }

    @Test func anUnchangedAssetAnswers304() async throws {
        let store = try await StoreKind.sqlite.open()
        try await withServer(store) { client in
            let first = try await client.send(.get, "/ui/app.js")
            let etag = try #require(first.headers[.eTag])
            let again = try await client.execute(uri: "/ui/app.js", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            let other = try await client.execute(uri: "/ui/app.js", method: .get, headers: [.ifNoneMatch: "\"stale\""])
            #expect(other.status == .ok)
        }
    }

    @Test(arguments: [TestingSetup.router, .live])
    func nothingOutsideTheBundleIsServed(setup: TestingSetup) async throws {
        let store = try await StoreKind.sqlite.open()
        try await withServer(store, setup: setup) { client in
            for path in Self.traversals {
                let answer = try await client.send(.get, path)
                #expect(answer.status == .notFound, "\(path) answered \(answer.status)")
                #expect(!String(buffer: answer.body).contains("swift-tools-version"), "\(path) leaked Package.swift")
                #expect(!String(buffer: answer.body).contains("root:"), "\(path) leaked /etc/passwd")
            }
        }
    }

    @Test func everyBundledFileIsServedAndEveryModuleImportResolves() async throws {
        let controller = UIController()
        #expect(controller.assets["index.html"] != nil)
        #expect(controller.assets["app.js"] != nil)
        let store = try await StoreKind.sqlite.open()
        try await withServer(store) { client in
            for (path, asset) in controller.assets {
                let answer = try await client.send(.get, "/ui/\(path)")
                #expect(answer.status == .ok, "\(path)")
                #expect(answer.headers[.contentType] == asset.contentType)
            }
        }
        // A module that imports a missing file breaks the page: each relative import names a bundled file.
        let importPattern = /(?:import|from)\s*['"](\.{1,2}\/[^'"]+)['"]/
        for (path, asset) in controller.assets where path.hasSuffix(".js") {
            let source = String(buffer: asset.bytes)
            for match in source.matches(of: importPattern) {
                let base = URL(filePath: "/" + path).deletingLastPathComponent()
                let target = base.appending(path: String(match.1)).standardized.path.dropFirst()
                #expect(controller.assets[String(target)] != nil, "\(path) imports \(match.1), which is not bundled")
            }
            #expect(!source.contains("eval("), "\(path) uses eval")
            // index.html preloads every module, so the browser fetches them in one round, not import by import.
            if path != "app.js" {
                #expect(String(buffer: controller.assets["index.html"]!.bytes).contains("<link rel=\"modulepreload\" href=\"/ui/\(path)\">"),
                        "index.html does not preload \(path)")
            }
            #expect(!source.contains(".innerHTML") && !source.contains("insertAdjacentHTML") && !source.contains("document.write"),
                    "\(path) writes markup from text")
        }
    }

    @Test func symlinksAndHiddenFilesInTheFolderAreNotServed() throws {
        let root = FileManager.default.temporaryDirectory.appending(path: "ui-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appending(path: "pages"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let outside = FileManager.default.temporaryDirectory.appending(path: "secret-\(UUID().uuidString).txt")
        try "secret".write(to: outside, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: outside) }
        try "<!doctype html>".write(to: root.appending(path: "index.html"), atomically: true, encoding: .utf8)
        try "export {}".write(to: root.appending(path: "pages/a.js"), atomically: true, encoding: .utf8)
        try "x".write(to: root.appending(path: ".env"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: root.appending(path: "leak.txt"), withDestinationURL: outside)
        let controller = UIController(root: root)
        #expect(Set(controller.assets.keys) == ["index.html", "pages/a.js"])
    }

    @Test func uiRoutesAreNotAPIOperations() {
        #expect(UIController.isUIRoute("GET /"))
        #expect(UIController.isUIRoute("GET /ui/**"))
        #expect(!UIController.isUIRoute("GET /api/v1/me"))
    }
}
