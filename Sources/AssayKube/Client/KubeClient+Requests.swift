import Foundation

/// All objects of one kind that matched a list, and the resourceVersion to watch from so that
/// no change after the list is missed.
public struct KubeList<R: KubeReadObject>: Sendable {
    public var items: [R]
    public var resourceVersion: String

    public init(items: [R], resourceVersion: String) {
        self.items = items
        self.resourceVersion = resourceVersion
    }
}

/// What happens to a deleted object's dependents (a Job's pods, a Job's token Secret).
public enum DeletePropagation: String, Sendable, Hashable {
    /// The object goes at once; the garbage collector deletes dependents afterwards.
    case background = "Background"
    /// The object stays (terminating) until its dependents are gone.
    case foreground = "Foreground"
    /// Dependents are left behind.
    case orphan = "Orphan"
}

extension KubeClient {
    /// Creates `object` in `resource` and returns the object as stored (decoded as `R`).
    ///
    /// Retried like every request: a create whose first answer was lost fails on retry with
    /// 409 (``KubeAPIError/isAlreadyExists``), which a caller using deterministic names
    /// treats as success.
    public func create<T: Encodable, R: Decodable>(
        _ object: T, as: R.Type, in resource: KubeResource, namespace: String? = nil
    ) async throws -> R {
        let body: Data
        do {
            body = try Self.encoder.encode(object)
        } catch {
            throw KubeClientError(
                kind: .invalidRequest, request: "POST \(resource.path(namespace: self.namespace(namespace)))",
                server: serverName, detail: "cannot encode \(T.self): \(error)"
            )
        }
        let call = Call(method: .post, path: resource.path(namespace: self.namespace(namespace)), body: body)
        return try decode(R.self, from: try await perform(call).body, call: call)
    }

    /// The object `name`; 404 throws a ``KubeAPIError`` whose ``KubeAPIError/isNotFound`` is true.
    public func get<R: KubeReadObject>(
        _ type: R.Type, _ resource: KubeResource, namespace: String? = nil, name: String
    ) async throws -> R {
        let call = Call(method: .get, path: resource.path(namespace: self.namespace(namespace), name: name))
        return try decode(R.self, from: try await perform(call).body, call: call)
    }

    /// Every object of `resource` in the namespace that matches `labelSelector`
    /// (e.g. `app.kubernetes.io/managed-by=assay`), fetched in pages of
    /// ``KubeClientConfiguration/listPageSize`` by following `continue`.
    ///
    /// If the continue token expires between pages (410), the list starts over once without
    /// paging, so the result is always one consistent snapshot.
    public func list<R: KubeReadObject>(
        _ type: R.Type, _ resource: KubeResource, namespace: String? = nil, labelSelector: String? = nil
    ) async throws -> KubeList<R> {
        do {
            return try await list(type, resource, namespace: namespace, labelSelector: labelSelector, pageSize: configuration.listPageSize)
        } catch let error as KubeAPIError where error.isGone {
            logger.info("Kubernetes list continuation expired; listing again without pages", metadata: ["request": "\(error.request)"])
            return try await list(type, resource, namespace: namespace, labelSelector: labelSelector, pageSize: nil)
        }
    }

    private func list<R: KubeReadObject>(
        _ type: R.Type, _ resource: KubeResource, namespace: String?, labelSelector: String?, pageSize: Int?
    ) async throws -> KubeList<R> {
        var items: [R] = []
        var resourceVersion = ""
        var continueToken: String?
        repeat {
            var call = Call(method: .get, path: resource.path(namespace: self.namespace(namespace)))
            if let labelSelector, !labelSelector.isEmpty { call.query.append(("labelSelector", labelSelector)) }
            if let pageSize { call.query.append(("limit", "\(pageSize)")) }
            if let continueToken { call.query.append(("continue", continueToken)) }
            let page = try decode(ListPage<R>.self, from: try await perform(call).body, call: call)
            items += page.items ?? []
            resourceVersion = page.metadata?.resourceVersion ?? resourceVersion
            continueToken = page.metadata?.continue.flatMap { $0.isEmpty ? nil : $0 }
        } while continueToken != nil
        return KubeList(items: items, resourceVersion: resourceVersion)
    }

    /// Deletes the object `name`, letting `propagation` decide about its dependents. Returns
    /// false if it did not exist: already gone counts as deleted.
    @discardableResult
    public func delete(
        _ resource: KubeResource, namespace: String? = nil, name: String, propagation: DeletePropagation = .background
    ) async throws -> Bool {
        let options = DeleteOptions(propagationPolicy: propagation.rawValue)
        let call = Call(
            method: .delete, path: resource.path(namespace: self.namespace(namespace), name: name),
            body: try Self.encoder.encode(options)
        )
        do {
            _ = try await perform(call)
            return true
        } catch let error as KubeAPIError where error.isNotFound {
            return false
        }
    }

    /// The last `tailLines` lines of the pod's (only) container's log.
    public func podLog(namespace: String? = nil, name: String, tailLines: Int) async throws -> String {
        let path = KubeResource.pods.path(namespace: self.namespace(namespace), name: name) + "/log"
        let call = Call(method: .get, path: path, query: [("tailLines", "\(max(0, tailLines))")], accept: "text/plain, */*")
        return String(decoding: try await perform(call).body, as: UTF8.self)
    }
}

/// One page of a list response.
private struct ListPage<R: Decodable>: Decodable {
    struct Metadata: Decodable {
        var resourceVersion: String?
        var `continue`: String?
    }

    var metadata: Metadata?
    var items: [R]?
}

/// `meta/v1` DeleteOptions with a propagation policy.
private struct DeleteOptions: Encodable {
    var kind = "DeleteOptions"
    var apiVersion = "v1"
    var propagationPolicy: String
}
