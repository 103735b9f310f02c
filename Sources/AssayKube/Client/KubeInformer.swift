import Logging

/// What a ``KubeInformer`` tells its handler.
public enum InformerEvent<R: KubeReadObject>: Sendable {
    /// The complete current set of objects, after a list: whatever the consumer knew before
    /// and is not in here is gone. Comes first, and again after every re-list.
    case synced([R])
    /// An object was added or changed.
    case upserted(R)
    /// An object was deleted.
    case deleted(R)
}

/// Keeps a consumer's view of one kind of object (in one namespace, matching a label
/// selector) current, the way client-go's reflector does: list, then watch from the list's
/// resourceVersion, and recover from everything a watch can do.
///
/// - A watch the server ends (its `timeoutSeconds`, drawn at random from
///   ``watchTimeoutSeconds`` so that informers do not reconnect in step) or a connection that
///   drops or stalls is resumed from the last resourceVersion seen (events and bookmarks),
///   without listing again.
/// - `410 Gone` (the resourceVersion is too old) lists again: the handler gets a new
///   ``InformerEvent/synced(_:)`` with the complete set, so objects deleted meanwhile vanish.
/// - Any other failure waits (doubling from ``initialBackoff`` to ``maxBackoff``, using the
///   client's sleep) and then lists again. Errors are logged, not thrown.
///
/// Never trust one event: the consumer should reconcile from the whole set it holds (see
/// ``KubeCache``).
public struct KubeInformer<R: KubeReadObject>: Sendable {
    public let client: KubeClient
    public let resource: KubeResource
    /// nil: the access's namespace.
    public let namespace: String?
    public let labelSelector: String?
    /// The range each watch's `timeoutSeconds` is drawn from (client-go: 5–10 minutes).
    public var watchTimeoutSeconds: ClosedRange<Int> = 300...600
    /// The pause after the first failure in a row; it doubles with each further one.
    public var initialBackoff: Duration = .seconds(1)
    public var maxBackoff: Duration = .seconds(30)

    public init(
        client: KubeClient,
        resource: KubeResource,
        namespace: String? = nil,
        labelSelector: String? = nil,
        watchTimeoutSeconds: ClosedRange<Int> = 300...600
    ) {
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.watchTimeoutSeconds = watchTimeoutSeconds
    }

    /// Where the informer is between two connections.
    private struct Progress {
        /// Where the next watch starts; nil: list first.
        var resourceVersion: String?
        /// Failures in a row, for the backoff.
        var failures = 0
        /// Whether the current watch has delivered anything.
        var delivered = false
    }

    /// Lists and watches until the surrounding task is cancelled, then returns. Calls
    /// `handler` for each event, one at a time, in order.
    ///
    /// Throws only for a request that can never succeed as configured
    /// (``KubeClientError/Kind/invalidRequest``, e.g. an unreadable CA file).
    public func run(_ handler: @Sendable (InformerEvent<R>) async -> Void) async throws {
        var logger = client.logger
        logger[metadataKey: "resource"] = "\(resource.rawValue)"
        var progress = Progress()
        while !Task.isCancelled {
            do {
                if progress.resourceVersion == nil {
                    let list = try await client.list(R.self, resource, namespace: namespace, labelSelector: labelSelector)
                    await handler(.synced(list.items))
                    progress.resourceVersion = list.resourceVersion
                    progress.failures = 0
                }
                progress.delivered = false
                try await watch(from: &progress, handler)
                guard !Task.isCancelled else { return }
                // A watch the server closed at once without a word is a failure in disguise:
                // do not reconnect in a tight loop.
                if progress.delivered {
                    progress.failures = 0
                } else {
                    progress.failures += 1
                    try await pause(after: progress.failures)
                }
            } catch is CancellationError {
                return
            } catch let error as KubeAPIError where error.isGone {
                logger.info("Kubernetes watch expired; listing again", metadata: ["error": "\(error)"])
                progress.resourceVersion = nil
                if !progress.delivered {
                    progress.failures += 1
                    guard (try? await pause(after: progress.failures)) != nil else { return }
                }
            } catch let error as KubeClientError where error.kind == .invalidRequest {
                throw error
            } catch let error as KubeClientError where error.isRetryable && progress.resourceVersion != nil {
                logger.info("Kubernetes watch connection lost; watching again", metadata: ["error": "\(error)"])
                progress.failures = progress.delivered ? 1 : progress.failures + 1
                guard (try? await pause(after: progress.failures)) != nil else { return }
            } catch {
                logger.warning("Kubernetes list or watch failed; listing again", metadata: ["error": "\(error)"])
                progress.resourceVersion = nil
                progress.failures += 1
                guard (try? await pause(after: progress.failures)) != nil else { return }
            }
        }
    }

    /// One watch from `progress.resourceVersion`, advancing it with every event and bookmark.
    private func watch(from progress: inout Progress, _ handler: @Sendable (InformerEvent<R>) async -> Void) async throws {
        let events = client.watch(
            R.self, resource, namespace: namespace, labelSelector: labelSelector,
            resourceVersion: progress.resourceVersion, timeoutSeconds: Int.random(in: watchTimeoutSeconds)
        )
        for try await event in events {
            progress.delivered = true
            if let resourceVersion = event.resourceVersion, !resourceVersion.isEmpty {
                progress.resourceVersion = resourceVersion
            }
            switch event {
            case .added(let object), .modified(let object): await handler(.upserted(object))
            case .deleted(let object): await handler(.deleted(object))
            case .bookmark: break
            }
        }
    }

    private func pause(after failures: Int) async throws {
        let exponent = min(max(failures - 1, 0), 20)
        try await client.sleep(min(initialBackoff * (1 << exponent), maxBackoff))
    }
}
