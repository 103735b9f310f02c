import AssayCore

extension TrialEngine {
    /// What the engine read from one output stream of a trial.
    struct StreamReport: Sendable {
        var bytes = 0
        var logTruncated = false
        /// Why writing the log stopped early, if it did.
        var logError: String?
        var metrics: [MetricPoint] = []
        /// Warnings already sent as events while the stream was read.
        var warnings: [String] = []
    }

    /// Splits a trial's stdout into lines and turns its `@assay` lines into metric points.
    ///
    /// Only lines that start with the marker are decoded; a line longer than
    /// ``maximumLineBytes`` is not kept (a warning says so if it was a metric line).
    struct StdoutScanner {
        static let maximumLineBytes = 1 << 20
        private static let marker = Array(MetricLine.marker.utf8)

        private var pending: [UInt8] = []
        private var lineNumber = 0
        /// Set while skipping the rest of an overlong line; true if that line was a metric line.
        private var skippingOverlong: Bool?
        let onEvent: @Sendable (TrialEvent) -> Void
        private(set) var metrics: [MetricPoint] = []
        private(set) var warnings: [String] = []

        init(onEvent: @escaping @Sendable (TrialEvent) -> Void) {
            self.onEvent = onEvent
        }

        mutating func scan(_ bytes: UnsafeRawBufferPointer) {
            var rest = bytes[...]
            while let newline = rest.firstIndex(of: 0x0A) {
                append(rest[..<newline])
                endLine()
                rest = rest[(newline + 1)...]
            }
            append(rest)
        }

        /// Handles a last line that has no line break.
        mutating func finish() {
            if !pending.isEmpty || skippingOverlong != nil { endLine() }
        }

        private mutating func append(_ bytes: Slice<UnsafeRawBufferPointer>) {
            guard skippingOverlong == nil else { return }
            pending.append(contentsOf: bytes)
            if pending.count > Self.maximumLineBytes {
                skippingOverlong = Self.isMetricCandidate(pending)
                pending = []
            }
        }

        private mutating func endLine() {
            lineNumber += 1
            defer {
                pending.removeAll(keepingCapacity: pending.count <= 4096)
                skippingOverlong = nil
            }
            if let wasMetric = skippingOverlong {
                if wasMetric { warn("\(MetricLine.marker) line longer than \(Self.maximumLineBytes) bytes ignored") }
                return
            }
            guard Self.isMetricCandidate(pending) else { return }
            switch MetricLine.parse(String(decoding: pending, as: UTF8.self)) {
            case .notMetric:
                break
            case .metric(let point):
                metrics.append(point)
                onEvent(.metric(point))
            case .malformed(let reason):
                warn("malformed \(MetricLine.marker) line: \(reason)")
            }
        }

        private mutating func warn(_ message: String) {
            let warning = "stdout line \(lineNumber): \(message)"
            warnings.append(warning)
            onEvent(.warning(warning))
        }

        /// Whether the line starts with the marker after whitespace: the cheap test run on every line.
        private static func isMetricCandidate(_ line: [UInt8]) -> Bool {
            let start = line.firstIndex(where: { $0 != 0x20 && !(0x09...0x0D).contains($0) }) ?? line.endIndex
            return line[start...].starts(with: marker)
        }
    }
}
