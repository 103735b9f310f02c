import AssayCore
import Foundation

/// How long to wait before retrying a request the server could not answer: exponential,
/// capped, with full jitter (a random wait between zero and the exponential bound), so
/// Runners that lost the server together do not come back in lockstep.
public struct Backoff: Sendable {
    /// The bound of the first wait.
    public var initial: Duration
    /// The largest bound.
    public var maximum: Duration
    public var multiplier: Double
    /// A number in `0..<1` per wait: the jitter. Tests pass a fixed one.
    public var random: @Sendable () -> Double

    public init(
        initial: Duration = .milliseconds(250), maximum: Duration = .seconds(30), multiplier: Double = 2,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.random = random
    }

    /// The wait after the `failures`-th failure in a row (1 for the first).
    public func delay(afterFailures failures: Int) -> Duration {
        let exponent = Double(max(0, failures - 1))
        let bound = min(maximum.inSeconds, initial.inSeconds * pow(multiplier, exponent))
        return .seconds(max(0, bound * min(max(random(), 0), 1)))
    }
}
