import Foundation

/// Runs blocking libcurl transfers on threads of their own, never on Swift's cooperative pool
/// (a transfer may block for as long as a watch stays open).
enum TransferThread {
    /// Runs `work` on a new thread and returns its result. Cancelling the calling task calls
    /// `cancel()` on the ``TransferCancellation`` handed to `work`.
    static func run<Value: Sendable>(
        name: String,
        _ work: @escaping @Sendable (TransferCancellation) throws -> Value
    ) async throws -> Value {
        let cancellation = TransferCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                start(name: name) {
                    continuation.resume(with: Result { try work(cancellation) })
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Starts `body` on a new thread and returns at once.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }
}
