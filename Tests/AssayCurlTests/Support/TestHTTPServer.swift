import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization

/// A real Hummingbird 2 server on a loopback port for the client tests. Its routes:
///
/// - `GET /hello`: `hello`, with header `X-Served-By: hummingbird`.
/// - `POST|PUT|PATCH|DELETE /echo`: the request body back, with the method, `X-Custom` and
///   `Content-Type` it saw in `X-Seen-Method`, `X-Seen-Custom`, `X-Seen-Content-Type`.
/// - `GET /status/{code}`: that status, body `status {code}`.
/// - `GET /bytes/{count}`: `count` bytes of the pattern ``TestHTTPServer/pattern(count:)``.
/// - `GET /letters/{count}`: `count` times `x`, no line break.
/// - `GET /lines`: `alpha`, `beta`, `gamma`, an empty line and `delta` in chunks cut
///   mid-line, with pauses, the last line without a final LF.
/// - `GET /forever`: `tick N` every 50 ms until the client goes away, which it records in
///   ``Probe/foreverStreamEnded``.
enum TestHTTPServer {
    /// What the server observed, for assertions.
    final class Probe: Sendable {
        private let ended = Mutex(false)

        var foreverStreamEnded: Bool { ended.withLock { $0 } }

        fileprivate func markForeverStreamEnded() {
            ended.withLock { $0 = true }
        }
    }

    /// The chunks of `/lines`.
    static let lineChunks = ["alp", "ha\nbe", "ta\r\ngam", "ma\n\nde", "lta"]

    /// Deterministic bytes covering every value.
    static func pattern(count: Int) -> Data {
        Data((0..<count).map { UInt8(truncatingIfNeeded: $0 % 251) })
    }

    /// Runs `body` with the server's base URL (`http://localhost:PORT`).
    @discardableResult
    static func run<Value: Sendable>(_ body: @escaping @Sendable (URL, Probe) async throws -> Value) async throws -> Value {
        let probe = Probe()
        var logger = Logger(label: "assay.curl.tests.server")
        logger.logLevel = .warning
        let app = Application(router: router(probe: probe), logger: logger)
        return try await app.test(.live) { client in
            guard let port = client.port, let url = URL(string: "http://localhost:\(port)") else {
                throw TestEnvironment.Failure(description: "the live test server has no port")
            }
            return try await body(url, probe)
        }
    }

    private static func router(probe: Probe) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("hello") { _, _ in
            Response(status: .ok, headers: [.init("X-Served-By")!: "hummingbird"], body: .init(byteBuffer: ByteBuffer(string: "hello")))
        }
        for method in [HTTPRequest.Method.post, .put, .patch, .delete] {
            router.on("echo", method: method) { request, _ in
                let body = try await request.body.collect(upTo: 1 << 20)
                var headers = HTTPFields()
                headers[.init("X-Seen-Method")!] = request.method.rawValue
                headers[.init("X-Seen-Custom")!] = request.headers[.init("X-Custom")!] ?? "none"
                headers[.init("X-Seen-Content-Type")!] = request.headers[.contentType] ?? "none"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
            }
        }
        router.get("status/:code") { _, context in
            let code = try context.parameters.require("code", as: Int.self)
            return Response(status: .init(code: code), body: .init(byteBuffer: ByteBuffer(string: "status \(code)")))
        }
        router.get("bytes/:count") { _, context in
            let count = try context.parameters.require("count", as: Int.self)
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: pattern(count: count))))
        }
        router.get("letters/:count") { _, context in
            let count = try context.parameters.require("count", as: Int.self)
            return String(repeating: "x", count: count)
        }
        router.get("lines") { _, _ in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    for chunk in lineChunks {
                        try await writer.write(ByteBuffer(string: chunk))
                        try await Task.sleep(for: .milliseconds(30))
                    }
                    try await writer.finish(nil)
                }
            )
        }
        router.get("forever") { _, _ in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    defer { probe.markForeverStreamEnded() }
                    var tick = 0
                    while true {
                        tick += 1
                        try await writer.write(ByteBuffer(string: "tick \(tick)\n"))
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
            )
        }
        return router
    }
}
