import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Serves the web UI: plain HTML, CSS and JavaScript modules from the
/// `web` folder bundled with the server (no build step).
///
/// `/` is the single page (`index.html`, hash routing) and `/ui/<file>` its
/// assets. The files are read once, at start, into a table keyed by their
/// path below `web`: a request is answered only for an exact key, so no
/// path (`..`, percent-encoded or not, symlinks, directories) can reach
/// anything else. Every answer carries a strict Content-Security-Policy
/// (scripts, styles and connections from this origin only, no inline
/// scripts), `nosniff` and an ETag; assets are revalidated (`no-cache`), so
/// an upgraded server is never hidden behind a stale cache.
struct UIController: Sendable {
    /// The folder the UI's files are served from.
    static var webRoot: URL? { Bundle.module.url(forResource: "web", withExtension: nil) }

    /// Whether `"METHOD /path"` is one of the UI's routes (not an API operation):
    /// `/` and everything under `/ui/`.
    static func isUIRoute(_ operation: String) -> Bool {
        let path = operation.split(separator: " ", maxSplits: 1).last.map(String.init) ?? ""
        return path == "/" || path.hasPrefix("/ui/") || path == "/ui"
    }

    /// The policy of every UI answer: nothing from another origin, no inline
    /// script or style, no plugins, no framing, forms and `<base>` pinned.
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
        "connect-src 'self'", "manifest-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
        "object-src 'none'",
    ].joined(separator: "; ")

    /// One servable file.
    struct Asset: Sendable {
        var bytes: ByteBuffer
        var contentType: String
        var etag: String
    }

    /// Every file below `web`, keyed by its relative path (`app.js`, `pages/login.js`).
    let assets: [String: Asset]

    init(root: URL? = UIController.webRoot) {
        assets = root.map(Self.load) ?? [:]
    }

    /// Reads the regular files below `root`; hidden files and anything that is
    /// not a regular file (symlinks included) are left out.
    static func load(_ root: URL) -> [String: Asset] {
        let base = root.standardizedFileURL.resolvingSymlinksInPath().path
        guard let walker = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey], options: [.skipsHiddenFiles])
        else { return [:] }
        var assets: [String: Asset] = [:]
        for case let url as URL in walker {
            guard let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey]),
                  values.isRegularFile == true, values.isSymbolicLink != true else { continue }
            let path = url.standardizedFileURL.resolvingSymlinksInPath().path
            guard path.hasPrefix(base + "/"), let data = FileManager.default.contents(atPath: path) else { continue }
            let relative = String(path.dropFirst(base.count + 1))
            let digest = SHA256.hash(data: data).prefix(12).map { String(format: "%02x", $0) }.joined()
            assets[relative] = Asset(
                bytes: ByteBuffer(bytes: data), contentType: contentType(of: relative), etag: "\"\(digest)\"")
        }
        return assets
    }

    static func contentType(of path: String) -> String {
        switch path.split(separator: ".").last.map({ $0.lowercased() }) {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "json", "webmanifest": "application/json; charset=utf-8"
        case "txt": "text/plain; charset=utf-8"
        case "woff2": "font/woff2"
        default: "application/octet-stream"
        }
    }

    func addRoutes(to router: Router<AssayRequestContext>) {
        router.get("/") { request, _ -> Response in
            try self.serve("index.html", request)
        }
        router.get("/ui/**") { request, _ -> Response in
            // The raw path, decoded once: the table has no key with `..`, `%` or a leading `/`.
            let raw = request.uri.path
            guard raw.hasPrefix("/ui/"), let decoded = String(raw.dropFirst(4)).removingPercentEncoding else {
                throw APIError.notFound("file")
            }
            return try self.serve(decoded, request)
        }
    }

    /// The file `path` with its headers, a 304 when the client's copy is current, or 404.
    func serve(_ path: String, _ request: Request) throws -> Response {
        guard let asset = assets[path] else { throw APIError.notFound("file") }
        var headers: HTTPFields = [
            .contentType: asset.contentType,
            .cacheControl: "no-cache",
            .eTag: asset.etag,
            .contentSecurityPolicy: Self.contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
            .referrerPolicy: "same-origin",
            .xFrameOptions: "DENY",
        ]
        if path == "index.html" {
            // A page that may show private data: never stored by shared caches.
            headers[.cacheControl] = "no-cache, private"
        }
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: {
            $0.trimmingCharacters(in: .whitespaces) == asset.etag
        }) {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}
