import Foundation

/// ``RunnerServer`` over HTTP: the JSON bodies of the runner routes and the mapping of
/// answers to ``RunnerServerError``, over any ``RunnerHTTPTransport``.
public struct HTTPRunnerServer<Transport: RunnerHTTPTransport>: RunnerServer {
    public let transport: Transport

    public init(transport: Transport) {
        self.transport = transport
    }

    public func spec() async throws -> RunnerSpec {
        try decode(RunnerSpec.self, from: try await call(.get, "spec", body: nil))
    }

    public func downloadArtifact(to file: URL) async throws {
        let response = try await transported { try await transport.download(route: "artifact", to: file) }
        try Self.check(response, expecting: 200)
    }

    public func lease(runner: String, max: Int) async throws -> LeaseAnswer {
        try decode(LeaseAnswer.self, from: try await call(.post, "lease", body: LeaseRequest(runner: runner, max: max)))
    }

    public func postEvents(_ batch: EventBatch) async throws -> BatchAnswer {
        try decode(BatchAnswer.self, from: try await call(.post, "events", body: batch))
    }

    public func setupFailed(runner: String, reason: String) async throws -> ExperimentState {
        try decode(StatusAnswer.self, from: try await call(.post, "setup-failed", body: SetupFailedRequest(runner: runner, reason: reason))).status
    }

    public func claimNotification(runner: String) async throws -> NotificationClaim {
        try decode(NotificationClaim.self, from: try await call(.post, "claim-notification", body: ClaimRequest(runner: runner)))
    }

    public func notificationResult(runner: String, sent: Bool, error: String?) async throws {
        _ = try await call(.post, "notification-result", body: NotificationResultRequest(runner: runner, sent: sent, error: error), expecting: 204)
    }

    private func call(_ method: RunnerHTTPMethod, _ route: String, body: (any Encodable)?, expecting status: Int = 200) async throws -> Data {
        let data = try body.map { try JSONEncoder().encode($0) }
        let response = try await transported { try await transport.send(method, route: route, body: data) }
        try Self.check(response, expecting: status)
        return response.body
    }

    /// Runs a transport call, turning whatever it throws (but cancellation) into a transport error.
    private func transported(_ operation: () async throws -> RunnerHTTPResponse) async throws -> RunnerHTTPResponse {
        do {
            return try await operation()
        } catch let error as CancellationError {
            throw error
        } catch {
            throw RunnerServerError.classify(error)
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: data)
        } catch {
            throw RunnerServerError(.invalidResponse, "\(T.self): \(error)")
        }
    }

    /// Throws for any answer but `status`, with the server's error message if it sent one.
    static func check(_ response: RunnerHTTPResponse, expecting status: Int) throws {
        guard response.status != status else { return }
        let message = (try? JSONDecoder().decode(ErrorBody.self, from: response.body))?.error.message
            ?? String(decoding: response.body.prefix(200), as: UTF8.self)
        throw RunnerServerError.status(response.status, message.isEmpty ? "no message" : message)
    }

    private struct LeaseRequest: Encodable { var runner: String; var max: Int }
    private struct SetupFailedRequest: Encodable { var runner: String; var reason: String }
    private struct ClaimRequest: Encodable { var runner: String }
    private struct NotificationResultRequest: Encodable { var runner: String; var sent: Bool; var error: String? }
    private struct StatusAnswer: Decodable { var status: ExperimentState }
    private struct ErrorBody: Decodable {
        struct Detail: Decodable { var message: String }
        var error: Detail
    }
}
