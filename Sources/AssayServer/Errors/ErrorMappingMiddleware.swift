import AssayStore
import Foundation
import Hummingbird
import Logging

/// The one place where errors become responses: store errors, decoding errors,
/// Hummingbird's own errors and anything unexpected are turned into an
/// ``APIError``. Internal text is logged, never sent.
struct ErrorMappingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let mapped = Self.map(error)
            if mapped.status == .internalServerError {
                context.logger.error("request failed", metadata: ["status": "\(mapped.status.code)", "error": "\(error)"])
            } else if mapped.status.code >= 500 {
                context.logger.warning("request failed", metadata: ["status": "\(mapped.status.code)", "error": "\(error)"])
            }
            throw mapped
        }
    }

    static func map(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as StoreError:
            return map(error)
        case let error as DecodingError:
            return .decoding(error)
        case let error as HTTPError:
            return map(status: error.status)
        case let error as any HTTPResponseError:
            return map(status: error.status)
        default:
            return .internalError
        }
    }

    private static func map(_ error: StoreError) -> APIError {
        switch error {
        case .notFound: .notFound("object")
        case .conflict: .conflict("conflicts with an existing object")
        case .unavailable: .storeUnavailable
        case .invalid: APIError(.unprocessableContent, code: "invalid", message: "the input cannot be stored")
        case .full: .insufficientStorage
        case .failure: .internalError
        }
    }

    private static func map(status: HTTPResponse.Status) -> APIError {
        switch status {
        case .notFound: .notFound("route")
        case .methodNotAllowed: APIError(.methodNotAllowed, code: "method_not_allowed", message: "method not allowed")
        case .contentTooLarge: APIError(.contentTooLarge, code: "too_large", message: "request body too large")
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden("forbidden")
        case .badRequest: .badRequest("bad request")
        default:
            status.code >= 500
                ? .internalError
                : APIError(status, code: "http_\(status.code)", message: status.reasonPhrase)
        }
    }
}
