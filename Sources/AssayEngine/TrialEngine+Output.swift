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
    /// lines into metric points (and events) as they arrive.
    static func copyStdout(
        _ stream: SubprocessOutputSequence,
        to descriptor: Int32,
        limit: Int,
        onEvent: @escaping @Sendable (TrialEvent) -> Void
    ) async throws -> StreamReport {
        var scanner = StdoutScanner(onEvent: onEvent)
        var report = try await copy(stream, to: descriptor, limit: limit) { scanner.scan($0) }
        scanner.finish()
        report.metrics = scanner.metrics
        report.warnings = scanner.warnings
        return report
    }
}
