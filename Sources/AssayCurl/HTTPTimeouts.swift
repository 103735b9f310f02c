/// How long a request may take.
///
/// `connect` bounds establishing the connection (including TLS). A request is then bounded by
/// `total`, by `lowSpeed`, or both; a long-lived stream (a watch, Server-Sent Events) should
/// use ``streaming(connect:stalledAfter:)``, which has no total limit.
public struct HTTPTimeouts: Sendable, Equatable {
    /// Aborts a transfer that receives fewer than `bytesPerSecond` on average over `duration`.
    public struct LowSpeedLimit: Sendable, Equatable {
        public var bytesPerSecond: Int
        public var duration: Duration

        public init(bytesPerSecond: Int, duration: Duration) {
            self.bytesPerSecond = bytesPerSecond
            self.duration = duration
        }
    }

    public var connect: Duration
    /// The whole request, from connecting to the last byte; nil for no limit.
    public var total: Duration?
    public var lowSpeed: LowSpeedLimit?

    public init(connect: Duration, total: Duration?, lowSpeed: LowSpeedLimit? = nil) {
        self.connect = connect
        self.total = total
        self.lowSpeed = lowSpeed
    }

    /// A request that must complete within `total`.
    public static func total(_ total: Duration, connect: Duration = .seconds(10)) -> HTTPTimeouts {
        HTTPTimeouts(connect: connect, total: total)
    }

    /// A stream with no total limit. With `stalledAfter`, it fails with
    /// ``CurlError/timedOut(_:)`` once no byte at all has arrived for that long; choose it
    /// longer than the server's heartbeat (Kubernetes sends watch bookmarks about once a minute).
    public static func streaming(connect: Duration = .seconds(10), stalledAfter: Duration? = nil) -> HTTPTimeouts {
        HTTPTimeouts(
            connect: connect,
            total: nil,
            lowSpeed: stalledAfter.map { LowSpeedLimit(bytesPerSecond: 1, duration: $0) }
        )
    }

    /// 10 s to connect, 60 s in all.
    public static let `default` = HTTPTimeouts.total(.seconds(60))
}

extension Duration {
    /// Whole milliseconds, at least 1 (libcurl reads 0 as "no limit").
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        return max(1, Int(seconds) * 1_000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    /// Whole seconds, at least 1 (libcurl's low-speed time has second resolution).
    var curlSeconds: Int {
        max(1, Int(components.seconds))
    }
}
