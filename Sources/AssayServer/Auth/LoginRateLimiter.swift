import Foundation
import Synchronization

/// Counts failed logins per username and client address in a sliding window:
/// after `maxFailures` failures within `window`, further attempts are refused
/// (429) until the oldest failure leaves the window. The clock is passed in.
final class LoginRateLimiter: Sendable {
    let maxFailures: Int
    let window: TimeInterval
    private let failures = Mutex<[String: [Date]]>([:])
    /// Bounds memory under a spray of distinct usernames.
    private let maxTrackedKeys = 100_000

    init(maxFailures: Int = 5, window: TimeInterval = 60) {
        self.maxFailures = maxFailures
        self.window = window
    }

    /// Seconds until another attempt is allowed, or nil if one is allowed now.
    func retryAfter(key: String, now: Date) -> Int? {
        failures.withLock { failures in
            let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
            failures[key] = recent.isEmpty ? nil : recent
            guard recent.count >= maxFailures, let oldest = recent.first else { return nil }
            return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }

    func recordFailure(key: String, now: Date) {
        failures.withLock { failures in
            if failures.count >= maxTrackedKeys {
                failures = failures.filter { $0.value.contains { now.timeIntervalSince($0) < window } }
            }
            failures[key, default: []].append(now)
        }
    }

    func reset(key: String) {
        _ = failures.withLock { $0.removeValue(forKey: key) }
    }
}
