/// Cuts a byte stream that arrives in arbitrary chunks into lines: a line ends at LF, and a
/// CR before that LF is dropped. A partial line waits for the next chunk.
struct LineSplitter {
    private var pending: [UInt8] = []

    /// Bytes of the line not yet complete.
    var pendingCount: Int { pending.count }

    /// Appends `chunk` and returns the lines it completed, in order (invalid UTF-8 is replaced).
    mutating func append(_ chunk: some Collection<UInt8>) -> [String] {
        var lines: [String] = []
        for byte in chunk {
            if byte == UInt8(ascii: "\n") {
                lines.append(Self.decode(pending))
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
        return lines
    }

    /// The last line if the stream ended without a final LF.
    mutating func finish() -> String? {
        guard !pending.isEmpty else { return nil }
        defer { pending.removeAll() }
        return Self.decode(pending)
    }

    private static func decode(_ bytes: [UInt8]) -> String {
        let line = bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes[...]
        return String(decoding: line, as: UTF8.self)
    }
}
