import AssayCurl
import Foundation

extension KubeClient {
    /// One watch connection: the changes to `resource` objects matching `labelSelector` after
    /// `resourceVersion` (nil: the current objects as `.added`, then changes), with bookmarks.
    ///
    /// The stream finishes when the server ends the watch (after `timeoutSeconds`, or when it
    /// likes); the caller watches again from the last resourceVersion it saw. It throws a
    /// ``KubeAPIError`` for an `ERROR` event (``KubeAPIError/isGone`` when the resourceVersion
    /// is too old: list again) or an error status, and a ``KubeClientError`` when the
    /// connection fails or stalls for ``KubeClientConfiguration/watchStallTimeout``. A watch
    /// is not retried: reconnecting is the caller's decision (see ``KubeInformer``).
    /// Cancelling the consuming task, or dropping the stream, closes the connection.
    public func watch<R: KubeReadObject>(
        _ type: R.Type,
        _ resource: KubeResource,
        namespace: String? = nil,
        labelSelector: String? = nil,
        resourceVersion: String?,
        timeoutSeconds: Int? = nil
    ) -> AsyncThrowingStream<WatchEvent<R>, any Error> {
        var call = Call(method: .get, path: resource.path(namespace: self.namespace(namespace)))
        call.query = [("watch", "true"), ("allowWatchBookmarks", "true")]
        if let resourceVersion, !resourceVersion.isEmpty { call.query.append(("resourceVersion", resourceVersion)) }
        if let timeoutSeconds { call.query.append(("timeoutSeconds", "\(timeoutSeconds)")) }
        if let labelSelector, !labelSelector.isEmpty { call.query.append(("labelSelector", labelSelector)) }

        let (stream, continuation) = AsyncThrowingStream.makeStream(of: WatchEvent<R>.self)
        let task = Task {
            do {
                try await self.streamWatch(call, into: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func streamWatch<R: KubeReadObject>(
        _ call: Call, into continuation: AsyncThrowingStream<WatchEvent<R>, any Error>.Continuation
    ) async throws {
        let token = try currentToken(for: call)
        let timeouts = HTTPTimeouts.streaming(connect: configuration.connectTimeout, stalledAfter: configuration.watchStallTimeout)
        let request = try httpRequest(for: call, token: token, timeouts: timeouts)
        countRequest()
        logger.debug("Kubernetes watch started", metadata: ["request": "\(call.summary)"])
        do {
            for try await line in http.lines(request) {
                guard !line.isEmpty else { continue }
                if case .terminated = continuation.yield(try watchEvent(R.self, from: line, call: call)) { return }
            }
        } catch let error as CurlError {
            guard case .unexpectedStatus(let status, let body) = error else { throw clientError(error, call: call) }
            // A rotated token: the next request (a re-list or re-watch) should carry the new one.
            if status == 401 { _ = try? tokenChangedOnReload(from: token, for: call) }
            throw KubeAPIError(status: status, headers: HTTPHeaders(), body: Data(body.utf8), request: call.summary)
        }
    }

    /// Decodes one line of a watch: `{"type": "ADDED", "object": {…}}`.
    func watchEvent<R: KubeReadObject>(_ type: R.Type, from line: String, call: Call) throws -> WatchEvent<R> {
        let data = Data(line.utf8)
        let kind = try decode(WatchEnvelope.self, from: data, call: call).type
        switch kind {
        case "ADDED": return .added(try decode(WatchLine<R>.self, from: data, call: call).object)
        case "MODIFIED": return .modified(try decode(WatchLine<R>.self, from: data, call: call).object)
        case "DELETED": return .deleted(try decode(WatchLine<R>.self, from: data, call: call).object)
        case "BOOKMARK":
            // A bookmark's object has only metadata (no name), so it is not decoded as R.
            guard let version = try decode(WatchLine<Bookmark>.self, from: data, call: call).object.metadata?.resourceVersion else {
                throw KubeClientError(kind: .invalidResponse, request: call.summary, server: serverName, detail: "a BOOKMARK event without a resourceVersion")
            }
            return .bookmark(resourceVersion: version)
        case "ERROR":
            throw KubeAPIError(watchStatus: try decode(WatchLine<KubeStatus>.self, from: data, call: call).object, request: call.summary)
        default:
            throw KubeClientError(
                kind: .invalidResponse, request: call.summary, server: serverName,
                detail: "unknown watch event type \(String(reflecting: kind))"
            )
        }
    }
}

private struct WatchEnvelope: Decodable {
    var type: String
}

private struct WatchLine<Object: Decodable>: Decodable {
    var object: Object
}

private struct Bookmark: Decodable {
    struct Metadata: Decodable {
        var resourceVersion: String?
    }

    var metadata: Metadata?
}
