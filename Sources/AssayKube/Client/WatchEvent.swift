/// One change delivered by a watch.
public enum WatchEvent<R: KubeReadObject>: Sendable {
    case added(R)
    case modified(R)
    case deleted(R)
    /// Nothing changed, but the watch has seen everything up to `resourceVersion`: a later
    /// watch may start there.
    case bookmark(resourceVersion: String)

    /// The resourceVersion this event brings the watch to, if it carries one.
    public var resourceVersion: String? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object.metadata.resourceVersion
        case .bookmark(let resourceVersion): resourceVersion
        }
    }
}

extension WatchEvent: Equatable where R: Equatable {}
