/// Timeouts, retries and limits of a ``KubeClient``.
public struct KubeClientConfiguration: Sendable {
    /// Establishing a connection, TLS included.
    public var connectTimeout: Duration = .seconds(10)
    /// One request, from connecting to the last byte (not watches).
    public var requestTimeout: Duration = .seconds(30)
    /// A watch that receives no byte for this long is dropped as dead. The API server sends a
    /// bookmark about once a minute on a quiet watch, so this must be well above that.
    /// (libcurl averages the speed over a few seconds, so it notices a few seconds late.)
    public var watchStallTimeout: Duration = .seconds(150)
    public var retry = KubeRetryPolicy()
    /// Objects per page when listing (`limit`); the client follows `continue` to the end.
    public var listPageSize = 500
    /// The largest response body, and the longest watch line, accepted.
    public var maxResponseBytes = 64 << 20
    public var userAgent = "assay"

    public init() {}
}

/// How a ``KubeClient`` retries a request that failed for a reason that may pass: HTTP 429,
/// 500, 502, 503, 504, a refused or dropped connection, a timeout. TLS verification failures,
/// other 4xx answers and invalid requests are never retried.
///
/// Delays grow exponentially from `initialDelay` up to `maxDelay`, each a random point
/// between half and all of that (so that many clients do not retry in step), and are at
/// least the server's `Retry-After`. Retrying stops after `maxAttempts` attempts, or when
/// the next attempt would start later than `maxTotal` after the first.
///
/// Every method is retried, POST included: a create whose answer was lost may have
/// succeeded, and its retry then fails with 409 AlreadyExists
/// (``KubeAPIError/isAlreadyExists``). Callers that create objects under deterministic
/// names treat that as success.
public struct KubeRetryPolicy: Sendable {
    public var maxAttempts = 5
    public var initialDelay: Duration = .milliseconds(250)
    public var maxDelay: Duration = .seconds(8)
    public var maxTotal: Duration = .seconds(60)

    public init(
        maxAttempts: Int = 5,
        initialDelay: Duration = .milliseconds(250),
        maxDelay: Duration = .seconds(8),
        maxTotal: Duration = .seconds(60)
    ) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxTotal = maxTotal
    }

    /// One attempt only.
    public static let none = KubeRetryPolicy(maxAttempts: 1)

    /// The pause before attempt `attempt + 1` (counting from 1), or nil when no further attempt
    /// may be made. `elapsed` is the time since the first attempt started; `retryAfter` is the
    /// server's `Retry-After`, if it sent one.
    public func delay(afterAttempt attempt: Int, elapsed: Duration, retryAfter: Duration?) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        let delay = max(backoff(afterAttempt: attempt), retryAfter ?? .zero)
        guard elapsed + delay <= maxTotal else { return nil }
        return delay
    }

    /// Exponential backoff with "equal jitter": between half and all of the capped delay.
    func backoff(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let capped = min(initialDelay * (1 << exponent), maxDelay)
        return capped / 2 + capped / 2 * Double.random(in: 0...1)
    }
}
