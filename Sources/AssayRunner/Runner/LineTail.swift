/// The last `capacity` lines of one trial's stream since the last batch, and how many
/// earlier ones gave way.
struct LineTail {
    let capacity: Int
    private var storage: [String] = []
    /// Where the oldest line is, once the storage is full and used as a ring.
    private var start = 0
    private(set) var skipped = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { storage.count }
    var isEmpty: Bool { storage.isEmpty && skipped == 0 }

    /// Appends a line; returns the one that gave way, if the tail was full.
    mutating func append(_ line: String) -> String? {
        guard storage.count == capacity else {
            storage.append(line)
            return nil
        }
        let oldest = storage[start]
        storage[start] = line
        start = (start + 1) % capacity
        skipped += 1
        return oldest
    }

    /// Drops the oldest line (to make room elsewhere); returns it.
    mutating func dropOldest() -> String? {
        guard !storage.isEmpty else { return nil }
        let ordered = lines
        storage = Array(ordered.dropFirst())
        start = 0
        skipped += 1
        return ordered.first
    }

    /// Counts a line that was not kept at all.
    mutating func skip() {
        skipped += 1
    }

    /// The kept lines, oldest first.
    var lines: [String] {
        Array(storage[start...] + storage[..<start])
    }
}
