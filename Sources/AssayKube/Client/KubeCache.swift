import Synchronization

/// The objects a ``KubeInformer`` reported, by name, safe to read from any task while the
/// informer writes. Feed it every event with ``apply(_:)``; read ``objects`` to reconcile.
public final class KubeCache<R: KubeReadObject>: Sendable {
    private struct State {
        var objects: [String: R] = [:]
        var hasSynced = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Applies one informer event: `synced` replaces everything, `upserted` sets one object,
    /// `deleted` removes one.
    public func apply(_ event: InformerEvent<R>) {
        state.withLock { state in
            switch event {
            case .synced(let objects):
                state.objects = Dictionary(objects.map { ($0.metadata.name, $0) }, uniquingKeysWith: { _, last in last })
                state.hasSynced = true
            case .upserted(let object):
                state.objects[object.metadata.name] = object
            case .deleted(let object):
                state.objects[object.metadata.name] = nil
            }
        }
    }

    /// Whether a complete list has arrived; before that, an empty cache means "unknown",
    /// not "none".
    public var hasSynced: Bool { state.withLock { $0.hasSynced } }

    public subscript(name: String) -> R? { state.withLock { $0.objects[name] } }

    /// Every object, ordered by name.
    public var objects: [R] {
        state.withLock { $0.objects.values.sorted { $0.metadata.name < $1.metadata.name } }
    }

    public var count: Int { state.withLock { $0.objects.count } }
}
