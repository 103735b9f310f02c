import CCurl
import Foundation

/// Collects one response from libcurl's header and write callbacks: parses the status line
/// and headers, and sends a 2xx body to its destination (memory, a file, or a stream of
/// lines). A non-2xx body is kept in memory (its start only) for the error message.
final class HTTPResponseReceiver {
    /// Where a 2xx body goes.
    enum Destination {
        case memory
        case file(FileHandle)
        case lines(AsyncThrowingStream<String, any Error>.Continuation)
    }

    /// How much of a non-2xx body is kept for the error message.
    static let errorBodyLimit = 64 << 10

    private let destination: Destination
    /// The limit on the body (memory, file) or on one line (lines).
    private let limit: Int
    private var lineSplitter = LineSplitter()
    private var receivedBytes = 0

    private(set) var status = 0
    private(set) var headers = HTTPHeaders()
    /// The body for `.memory`, or the start of a non-2xx body.
    private(set) var body = Data()
    /// Why a callback stopped the transfer; takes precedence over libcurl's result.
    private(set) var failure: CurlError?

    init(destination: Destination, limit: Int) {
        self.destination = destination
        self.limit = limit
    }

    private var isSuccess: Bool { (200..<300).contains(status) }

    /// The collected response (status, headers, and the in-memory body).
    var response: HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: body)
    }

    // MARK: Callbacks

    /// One header line, including the status line (which starts a new header block: libcurl
    /// reports interim `1xx` responses too) and the empty line ending the block.
    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines)
        if line.hasPrefix("HTTP/") {
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = HTTPHeaders()
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.add(name: name, value: value)
        }
    }

    /// One chunk of body; false stops the transfer (with ``failure`` set).
    func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Bool {
        receivedBytes += chunk.count
        guard isSuccess else {
            body.append(contentsOf: chunk.prefix(max(0, Self.errorBodyLimit - body.count)))
            return true
        }
        switch destination {
        case .memory:
            guard receivedBytes <= limit else { return fail(.responseTooLarge(limit: limit)) }
            body.append(contentsOf: chunk)
        case .file(let handle):
            guard receivedBytes <= limit else { return fail(.responseTooLarge(limit: limit)) }
            do {
                try handle.write(contentsOf: Data(chunk))
            } catch {
                return fail(.file("cannot write the download: \(error)"))
            }
        case .lines(let continuation):
            for line in lineSplitter.append(chunk) {
                if case .terminated = continuation.yield(line) { return fail(.cancelled) }
            }
            guard lineSplitter.pendingCount <= limit else { return fail(.responseTooLarge(limit: limit)) }
        }
        return true
    }

    /// After a transfer that ended well: yields a last line that had no final LF.
    func finishLines() {
        guard isSuccess, case .lines(let continuation) = destination, let line = lineSplitter.finish() else { return }
        continuation.yield(line)
    }

    private func fail(_ error: CurlError) -> Bool {
        failure = error
        return false
    }

    // MARK: Installing

    /// Makes `easy` deliver its response here; the receiver must outlive the transfer.
    func install(on easy: CurlEasy) throws {
        let context = Unmanaged.passUnretained(self).toOpaque()
        try easy.set(CURLOPT_HEADERDATA, pointer: context)
        try easy.set(CURLOPT_HEADERFUNCTION) { data, size, count, context in
            guard let data, let context else { return 0 }
            let receiver = Unmanaged<HTTPResponseReceiver>.fromOpaque(context).takeUnretainedValue()
            receiver.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }
        try easy.set(CURLOPT_WRITEDATA, pointer: context)
        try easy.set(CURLOPT_WRITEFUNCTION) { data, size, count, context in
            guard let data, let context else { return 0 }
            let receiver = Unmanaged<HTTPResponseReceiver>.fromOpaque(context).takeUnretainedValue()
            return receiver.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
        }
    }
}
