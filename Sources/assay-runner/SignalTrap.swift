import Dispatch
import Foundation
import Logging
import Synchronization

/// SIGTERM and SIGINT while the Runner works: the first cancels it (its trials' process
/// groups are stopped, SIGTERM then SIGKILL after the declaration's grace); a second one, or
/// the work not ending within ``patience``, ends the process at once with 128 + the signal.
final class SignalTrap {
    /// How long a cancelled Runner may take to stop its trials.
    static let patience: Duration = .seconds(25)

    private let sources: [any DispatchSourceSignal]
    private let received = SignalRecord()

    init(logger: Logger, cancel: @escaping @Sendable () -> Void) {
        let received = received
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                guard received.first(number) else {
                    FileHandle.standardError.write(Data("assay-runner: signal \(number) again: exiting now\n".utf8))
                    _exit(128 + number)
                }
                logger.notice("signal \(number): stopping the running trials")
                cancel()
                DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Int(Self.patience.components.seconds))) {
                    FileHandle.standardError.write(Data("assay-runner: trials did not stop within \(Self.patience): exiting\n".utf8))
                    _exit(128 + number)
                }
            }
            source.resume()
            return source
        }
    }

    /// Stops listening; returns the first signal received, if any.
    func stop() -> Int32? {
        for source in sources { source.cancel() }
        return received.signal
    }
}

/// The first signal received.
private final class SignalRecord: Sendable {
    private let value = Mutex<Int32?>(nil)

    /// Records `signal` if it is the first; returns whether it was.
    func first(_ signal: Int32) -> Bool {
        value.withLock { current in
            guard current == nil else { return false }
            current = signal
            return true
        }
    }

    var signal: Int32? { value.withLock { $0 } }
}
