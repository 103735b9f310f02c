import Subprocess

extension TrialEngine {
    /// Copies one output stream into its capped log until the stream ends, handing every
    /// chunk to `inspect` as well (the stdout scanner reads past the log limit too).
    static func copy(
        _ stream: SubprocessOutputSequence,
        to descriptor: Int32,
        limit: Int,
        inspect: (UnsafeRawBufferPointer) -> Void
    ) async throws -> StreamReport {
        var log = CappedLog(descriptor: descriptor, limit: limit)
        for try await buffer in stream {
            buffer.withUnsafeBytes { bytes in
                log.append(bytes)
                inspect(bytes)
            }
        }
        return StreamReport(bytes: log.received, logTruncated: log.isTruncated, logError: log.writeError)
    }

    /// Copies stdout into its log like ``copy(_:to:limit:inspect:)``, turning its `@assay`
    /// lines into metric points (and events) as they arrive, and reporting every line if
    /// `lines` is set.
    static func copyStdout(
        _ stream: SubprocessOutputSequence,
        to descriptor: Int32,
        limit: Int,
        lines: Bool,
        onEvent: @escaping @Sendable (TrialEvent) -> Void
    ) async throws -> StreamReport {
        var scanner = StdoutScanner(onEvent: onEvent)
        var splitter = lines ? OutputLineSplitter(stream: .stdout, onEvent: onEvent) : nil
        var report = try await copy(stream, to: descriptor, limit: limit) { bytes in
            scanner.scan(bytes)
            splitter?.scan(bytes)
        }
        scanner.finish()
        splitter?.finish()
        report.metrics = scanner.metrics
        report.warnings = scanner.warnings
        return report
    }

    /// Copies stderr into its log like ``copy(_:to:limit:inspect:)``, reporting every line if
    /// `lines` is set.
    static func copyStderr(
        _ stream: SubprocessOutputSequence,
        to descriptor: Int32,
        limit: Int,
        lines: Bool,
        onEvent: @escaping @Sendable (TrialEvent) -> Void
    ) async throws -> StreamReport {
        guard lines else { return try await copy(stream, to: descriptor, limit: limit) { _ in } }
        var splitter = OutputLineSplitter(stream: .stderr, onEvent: onEvent)
        let report = try await copy(stream, to: descriptor, limit: limit) { splitter.scan($0) }
        splitter.finish()
        return report
    }
}
