import Foundation
import Hummingbird

/// Serves the web UI: plain HTML, CSS and JavaScript modules from the
/// `web` folder bundled with the server (no build step). Issue 9 fills it in.
struct UIController {
    /// The folder the UI's files are served from.
    static var webRoot: URL? { Bundle.module.url(forResource: "web", withExtension: nil) }

    /// Whether `"METHOD /path"` is one of the UI's routes (not an API operation):
    /// `/` and everything under `/ui/`.
    static func isUIRoute(_ operation: String) -> Bool {
        let path = operation.split(separator: " ", maxSplits: 1).last.map(String.init) ?? ""
        return path == "/" || path.hasPrefix("/ui/") || path == "/ui"
    }

    func addRoutes(to router: Router<AssayRequestContext>) {
        router.get("/") { _, _ -> Response in
            guard let root = Self.webRoot, let data = FileManager.default.contents(atPath: root.appending(path: "index.html").path) else {
                return Response(status: .notFound)
            }
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
