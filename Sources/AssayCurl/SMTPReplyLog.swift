import CCurl

/// The SMTP server's recent replies, read through libcurl's debug callback so that an error
/// can say what the server answered. Only incoming lines are kept: outgoing ones include
/// the AUTH exchange, which carries the password.
final class SMTPReplyLog {
    private var replies: [String] = []

    /// The last refusal (a 4xx or 5xx reply), e.g. `550 5.1.1 mailbox unavailable`; later
    /// replies, such as the one to QUIT, do not explain the failure.
    var lastRefusal: String? {
        replies.last { $0.first == "4" || $0.first == "5" }
    }

    func record(_ bytes: UnsafeRawBufferPointer) {
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) where !line.isEmpty {
            replies.append(String(line))
        }
        if replies.count > 20 { replies.removeFirst(replies.count - 20) }
    }

    /// Makes `easy` report the server's replies here; the log must outlive the transfer.
    func install(on easy: CurlEasy) throws {
        try easy.set(CURLOPT_DEBUGDATA, pointer: Unmanaged.passUnretained(self).toOpaque())
        try easy.setDebugCallback { _, type, data, size, context in
            guard type == CURLINFO_HEADER_IN, let data, let context else { return 0 }
            let log = Unmanaged<SMTPReplyLog>.fromOpaque(context).takeUnretainedValue()
            log.record(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
        // The debug callback is only called in verbose mode; it then receives what would go to stderr.
        try easy.set(CURLOPT_VERBOSE, 1)
    }
}
