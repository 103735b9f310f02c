import CCurl
import Foundation

/// Bytes handed to libcurl through `CURLOPT_READFUNCTION`: a request body or a mail message.
final class UploadSource {
    private let data: Data
    private var offset = 0

    init(_ data: Data) {
        self.data = data
    }

    var count: Int { data.count }

    /// Copies the next bytes into `buffer`; 0 once everything has been read.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let length = min(buffer.count, data.count - offset)
        guard length > 0, let destination = buffer.baseAddress else { return 0 }
        let start = data.startIndex + offset
        data.copyBytes(to: destination.assumingMemoryBound(to: UInt8.self), from: start..<(start + length))
        offset += length
        return length
    }

    /// Makes `easy` read its upload from this source, which must outlive the transfer.
    func install(on easy: CurlEasy) throws {
        try easy.set(CURLOPT_READDATA, pointer: Unmanaged.passUnretained(self).toOpaque())
        try easy.set(CURLOPT_READFUNCTION) { buffer, size, count, context in
            guard let buffer, let context else { return Int(CURL_READFUNC_ABORT) }
            let source = Unmanaged<UploadSource>.fromOpaque(context).takeUnretainedValue()
            return source.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
        }
    }
}
