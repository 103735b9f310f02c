/// Cuts one output stream into lines as its bytes arrive and reports each complete line as a
/// ``TrialEvent/output(stream:line:)`` event, so a Runner can forward a trial's log tail live.
///
/// A line is kept up to ``maximumLineBytes`` (cut on a UTF-8 character boundary, with a
/// marker saying so); the rest of an overlong line is skipped, so a trial printing one endless
/// line costs a bounded amount of memory. Bytes that are not UTF-8 become U+FFFD.
struct OutputLineSplitter {
    /// The most bytes of one line that are reported.
    static let maximumLineBytes = 4096

    let stream: TrialStream
    let onEvent: @Sendable (TrialEvent) -> Void
    private var pending: [UInt8] = []
    /// Bytes of the current line that were not kept.
    private var skipped = 0

    init(stream: TrialStream, onEvent: @escaping @Sendable (TrialEvent) -> Void) {
        self.stream = stream
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

    /// Reports a last line that has no line break.
    mutating func finish() {
        if !pending.isEmpty || skipped > 0 { endLine() }
    }

    private mutating func append(_ bytes: Slice<UnsafeRawBufferPointer>) {
        let room = Self.maximumLineBytes - pending.count
        if bytes.count <= room {
            pending.append(contentsOf: bytes)
        } else {
            pending.append(contentsOf: bytes.prefix(room))
            skipped += bytes.count - room
        }
    }

    private mutating func endLine() {
        defer {
            pending.removeAll(keepingCapacity: true)
            skipped = 0
        }
        if skipped == 0, pending.last == 0x0D { pending.removeLast() }
        var line = String(decoding: skipped > 0 ? Self.utf8Prefix(pending) : pending[...], as: UTF8.self)
        if skipped > 0 { line += "… [assay: line cut at \(Self.maximumLineBytes) bytes]" }
        onEvent(.output(stream: stream, line: line))
    }

    /// `bytes` without a UTF-8 sequence that the cut left incomplete at its end.
    static func utf8Prefix(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        // A lead byte among the last three whose sequence is longer than what follows it.
        for back in 1...min(3, bytes.count) {
            let byte = bytes[bytes.count - back]
            if byte < 0x80 { break }
            guard byte & 0xC0 == 0xC0 else { continue }
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            return length > back ? bytes.dropLast(back) : bytes[...]
        }
        return bytes[...]
    }
}
