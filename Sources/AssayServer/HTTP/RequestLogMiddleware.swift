import HTTPTypes
import Hummingbird
import Logging

/// Logs one line per request once its response is ready (method, path, status,
/// milliseconds) under the request's id, and answers the id in `X-Request-Id`
/// so a user's report can be matched to the server's log. A well-formed
/// `X-Request-Id` sent by a proxy is kept; anything else is replaced.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    static var idKey: String { "hb.request.id" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let incoming = request.headers[.xRequestID], Self.isWellFormed(incoming) {
            context.logger[metadataKey: Self.idKey] = .string(incoming)
        }
        let id = context.logger[metadataKey: Self.idKey].map { "\($0)" } ?? ""
        let start = ContinuousClock.now
        do {
            var response = try await next(request, context)
            log(request, status: response.status.code, since: start, logger: context.logger)
            response.headers[.xRequestID] = id
            return response
        } catch let error as any HTTPResponseError {
            // An error that carries its response (route not found...): answer it here, with the id.
            var response = try error.response(from: request, context: context)
            log(request, status: response.status.code, since: start, logger: context.logger)
            response.headers[.xRequestID] = id
            return response
        } catch {
            log(request, status: 500, since: start, logger: context.logger)
            throw error
        }
    }

    private func log(_ request: Request, status: Int, since start: ContinuousClock.Instant, logger: Logger) {
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        // The path only: query strings are not logged (they may carry search text).
        logger.log(level: status >= 500 ? .error : .info, "request", metadata: [
            "http.method": "\(request.method.rawValue)",
            "http.path": "\(request.uri.path)",
            "http.status": "\(status)",
            "duration_ms": "\((milliseconds * 100).rounded() / 100)",
        ])
    }

    /// 1–128 characters of `[A-Za-z0-9._-]`: safe to echo and to log.
    static func isWellFormed(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }
}

extension HTTPField.Name {
    static let xRequestID = HTTPField.Name("X-Request-Id")!
}
