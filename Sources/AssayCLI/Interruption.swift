import Dispatch
import Foundation

/// Ctrl-C and SIGTERM cancel the work in progress instead of killing the
/// process outright, so running trials' process groups are stopped and the
/// results so far are still written.
enum Interruption {
    static func cancelling<T: Sendable>(_ work: @escaping @Sendable () async -> T) async -> T {
        let task = Task { await work() }
        let sources = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                Terminal.warning("interrupted: stopping running trials")
                task.cancel()
            }
            source.resume()
            return source
        }
        let result = await task.value
        for source in sources { source.cancel() }
        return result
    }
}
