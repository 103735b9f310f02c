import Foundation

// Read models: what Assay reads back from the API server (Jobs and Pods with
// their status). Only the fields Assay looks at; unknown fields are ignored,
// every status field is optional because the server fills them in over time.

/// Metadata as the API server returns it.
public struct ReadMeta: Codable, Sendable, Hashable {
    public var name: String
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var creationTimestamp: String?
    /// Set once a deletion has been requested (the object is terminating).
    public var deletionTimestamp: String?
    public var ownerReferences: [ReadOwnerReference]?

    public init(
        name: String, namespace: String? = nil, uid: String? = nil, resourceVersion: String? = nil,
        labels: [String: String]? = nil, annotations: [String: String]? = nil,
        creationTimestamp: String? = nil, deletionTimestamp: String? = nil, ownerReferences: [ReadOwnerReference]? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.labels = labels
        self.annotations = annotations
        self.creationTimestamp = creationTimestamp
        self.deletionTimestamp = deletionTimestamp
        self.ownerReferences = ownerReferences
    }

    /// The `assay.dev/experiment` label.
    public var experimentID: String? { labels?["assay.dev/experiment"] }
}

/// An owner reference as read back (the server may leave out the flags).
public struct ReadOwnerReference: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var name: String
    public var uid: String
    public var controller: Bool?

    public init(apiVersion: String? = nil, kind: String? = nil, name: String, uid: String, controller: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
    }
}

/// Something the API lists and watches: it has metadata.
public protocol KubeReadObject: Decodable, Sendable {
    var metadata: ReadMeta { get }
}

/// A condition of a Job or Pod (`type`, `status` "True"/"False"/"Unknown", `reason`, `message`).
public struct KubeCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?

    public init(type: String, status: String, reason: String? = nil, message: String? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
    }

    public var isTrue: Bool { status == "True" }
}

/// A `batch/v1` Job as read back.
public struct JobObject: KubeReadObject, Codable, Hashable {
    public struct Spec: Codable, Sendable, Hashable {
        public var parallelism: Int?
        public var backoffLimit: Int?
        public var activeDeadlineSeconds: Int?
        public init(parallelism: Int? = nil, backoffLimit: Int? = nil, activeDeadlineSeconds: Int? = nil) {
            self.parallelism = parallelism
            self.backoffLimit = backoffLimit
            self.activeDeadlineSeconds = activeDeadlineSeconds
        }
    }
    public struct Status: Codable, Sendable, Hashable {
        public var active: Int?
        public var ready: Int?
        public var succeeded: Int?
        public var failed: Int?
        public var startTime: String?
        public var completionTime: String?
        public var conditions: [KubeCondition]?
        public init(
            active: Int? = nil, ready: Int? = nil, succeeded: Int? = nil, failed: Int? = nil,
            startTime: String? = nil, completionTime: String? = nil, conditions: [KubeCondition]? = nil
        ) {
            self.active = active
            self.ready = ready
            self.succeeded = succeeded
            self.failed = failed
            self.startTime = startTime
            self.completionTime = completionTime
            self.conditions = conditions
        }
    }
    public var metadata: ReadMeta
    public var spec: Spec?
    public var status: Status?

    public init(metadata: ReadMeta, spec: Spec? = nil, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// The condition of `type` that is "True", if any.
    public func condition(_ type: String) -> KubeCondition? {
        status?.conditions?.first { $0.type == type && $0.isTrue }
    }
}

/// A `v1` Pod as read back.
public struct PodObject: KubeReadObject, Codable, Hashable {
    public struct ContainerState: Codable, Sendable, Hashable {
        public struct Waiting: Codable, Sendable, Hashable {
            public var reason: String?
            public var message: String?
            public init(reason: String? = nil, message: String? = nil) {
                self.reason = reason
                self.message = message
            }
        }
        public struct Running: Codable, Sendable, Hashable {
            public var startedAt: String?
            public init(startedAt: String? = nil) { self.startedAt = startedAt }
        }
        public struct Terminated: Codable, Sendable, Hashable {
            public var exitCode: Int
            public var signal: Int?
            public var reason: String?
            public var message: String?
            public init(exitCode: Int, signal: Int? = nil, reason: String? = nil, message: String? = nil) {
                self.exitCode = exitCode
                self.signal = signal
                self.reason = reason
                self.message = message
            }
        }
        public var waiting: Waiting?
        public var running: Running?
        public var terminated: Terminated?
        public init(waiting: Waiting? = nil, running: Running? = nil, terminated: Terminated? = nil) {
            self.waiting = waiting
            self.running = running
            self.terminated = terminated
        }
    }
    public struct ContainerStatus: Codable, Sendable, Hashable {
        public var name: String
        public var image: String?
        public var ready: Bool?
        public var restartCount: Int?
        public var state: ContainerState?
        public init(name: String, image: String? = nil, ready: Bool? = nil, restartCount: Int? = nil, state: ContainerState? = nil) {
            self.name = name
            self.image = image
            self.ready = ready
            self.restartCount = restartCount
            self.state = state
        }
    }
    public struct Status: Codable, Sendable, Hashable {
        /// Pending, Running, Succeeded, Failed, Unknown.
        public var phase: String?
        public var reason: String?
        public var message: String?
        public var conditions: [KubeCondition]?
        public var containerStatuses: [ContainerStatus]?
        public init(
            phase: String? = nil, reason: String? = nil, message: String? = nil,
            conditions: [KubeCondition]? = nil, containerStatuses: [ContainerStatus]? = nil
        ) {
            self.phase = phase
            self.reason = reason
            self.message = message
            self.conditions = conditions
            self.containerStatuses = containerStatuses
        }
    }
    public var metadata: ReadMeta
    public var status: Status?

    public init(metadata: ReadMeta, status: Status? = nil) {
        self.metadata = metadata
        self.status = status
    }
}

/// A `v1` Secret as read back (its data is never decoded).
public struct SecretObject: KubeReadObject, Codable, Hashable {
    public var metadata: ReadMeta
    public init(metadata: ReadMeta) { self.metadata = metadata }
}
