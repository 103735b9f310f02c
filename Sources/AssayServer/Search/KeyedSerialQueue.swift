/// Runs operations one at a time per key (and concurrently across keys): each
/// waits for the one queued before it under the same key, across suspension
/// points, which an actor alone does not.
actor KeyedSerialQueue<Key: Hashable & Sendable> {
    private var tails: [Key: Task<Void, Never>] = [:]

    func run<Value: Sendable>(_ key: Key, _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let previous = tails[key]
        let task = Task<Value, any Error> {
            await previous?.value
            return try await operation()
        }
        let tail = Task<Void, Never> { _ = await task.result }
        tails[key] = tail
        defer {
            // The last one out leaves no entry behind.
            if tails[key] == tail { tails[key] = nil }
        }
        return try await task.value
    }
}
