import CCurl

/// How far a transfer has come: bytes sent and received so far, and the totals when
/// known (0 until then, and for a body of unknown length).
public struct TransferProgress: Sendable, Equatable {
    public var uploaded: Int
    public var uploadTotal: Int
    public var downloaded: Int
    public var downloadTotal: Int

    public init(uploaded: Int, uploadTotal: Int, downloaded: Int, downloadTotal: Int) {
        self.uploaded = uploaded
        self.uploadTotal = uploadTotal
        self.downloaded = downloaded
        self.downloadTotal = downloadTotal
    }
}

/// Hands libcurl's progress (`CURLOPT_XFERINFOFUNCTION`) to an ``HTTPRequest/progress``
/// closure, once per change: libcurl also calls it about once a second with nothing new.
final class TransferProgressReporter {
    private let report: @Sendable (TransferProgress) -> Void
    private var last: TransferProgress?

    init(_ report: @escaping @Sendable (TransferProgress) -> Void) {
        self.report = report
    }

    func update(_ progress: TransferProgress) {
        guard progress != last else { return }
        last = progress
        report(progress)
    }

    /// Makes `easy` report its progress here; the reporter must outlive the transfer.
    func install(on easy: CurlEasy) throws {
        try easy.set(CURLOPT_XFERINFODATA, pointer: Unmanaged.passUnretained(self).toOpaque())
        try easy.setProgressCallback { context, downloadTotal, downloaded, uploadTotal, uploaded in
            guard let context else { return 0 }
            let reporter = Unmanaged<TransferProgressReporter>.fromOpaque(context).takeUnretainedValue()
            reporter.update(TransferProgress(
                uploaded: Int(uploaded), uploadTotal: Int(uploadTotal), downloaded: Int(downloaded), downloadTotal: Int(downloadTotal)))
            // Non-zero would abort the transfer; cancelling is TransferCancellation's job.
            return 0
        }
    }
}
