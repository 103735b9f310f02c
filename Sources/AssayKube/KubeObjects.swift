// Typed models of the Kubernetes objects Assay creates: only the fields it
// sets. Optional fields left nil are omitted from the JSON.

public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var labels: [String: String]
    public var ownerReferences: [OwnerReference]?
}

public struct OwnerReference: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool
    public var blockOwnerDeletion: Bool
}

public struct Job: Codable, Sendable, Hashable {
    public var apiVersion = "batch/v1"
    public var kind = "Job"
    public var metadata: ObjectMeta
    public var spec: JobSpec
}

/// A work-queue Job: `parallelism` pods, no `completions`.
public struct JobSpec: Codable, Sendable, Hashable {
    public var parallelism: Int
    public var backoffLimit: Int
    public var activeDeadlineSeconds: Int?
    public var ttlSecondsAfterFinished: Int
    public var template: PodTemplateSpec
}

public struct PodTemplateSpec: Codable, Sendable, Hashable {
    public struct Meta: Codable, Sendable, Hashable {
        public var labels: [String: String]
    }
    public var metadata: Meta
    public var spec: PodSpec
}

public struct PodSpec: Codable, Sendable, Hashable {
    public var restartPolicy = "Never"
    public var serviceAccountName: String?
    public var automountServiceAccountToken = false
    public var securityContext: PodSecurityContext
    public var imagePullSecrets: [LocalObjectReference]?
    public var nodeSelector: [String: String]?
    public var tolerations: [Toleration]?
    public var containers: [Container]
    public var volumes: [Volume]
}

public struct LocalObjectReference: Codable, Sendable, Hashable {
    public var name: String
}

public struct Toleration: Codable, Sendable, Hashable {
    public var key: String?
    /// `Exists` or `Equal`.
    public var `operator`: String?
    public var value: String?
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    public var effect: String?
    public var tolerationSeconds: Int?

    public init(
        key: String? = nil, operator: String? = nil, value: String? = nil,
        effect: String? = nil, tolerationSeconds: Int? = nil
    ) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }
}

public struct SeccompProfile: Codable, Sendable, Hashable {
    public var type = "RuntimeDefault"
}

public struct PodSecurityContext: Codable, Sendable, Hashable {
    public var runAsNonRoot = true
    public var runAsUser = 65532
    public var fsGroup = 65532
    public var seccompProfile = SeccompProfile()
}

public struct Capabilities: Codable, Sendable, Hashable {
    public var drop = ["ALL"]
}

public struct SecurityContext: Codable, Sendable, Hashable {
    public var allowPrivilegeEscalation = false
    public var readOnlyRootFilesystem = true
    public var capabilities = Capabilities()
}

public struct Container: Codable, Sendable, Hashable {
    public var name: String
    public var image: String
    public var imagePullPolicy: String
    public var env: [EnvVar]
    public var resources: ResourceRequirements
    public var securityContext = SecurityContext()
    public var volumeMounts: [VolumeMount]
}

public struct EnvVar: Codable, Sendable, Hashable {
    public struct Source: Codable, Sendable, Hashable {
        public var secretKeyRef: SecretKeySelector
    }
    public struct SecretKeySelector: Codable, Sendable, Hashable {
        public var name: String
        public var key: String
    }
    public var name: String
    public var value: String?
    public var valueFrom: Source?
}

/// Quantities keyed by resource name (`cpu`, `memory`, `nvidia.com/gpu`).
public struct ResourceRequirements: Codable, Sendable, Hashable {
    public var requests: [String: String]?
    public var limits: [String: String]?
}

public struct VolumeMount: Codable, Sendable, Hashable {
    public var name: String
    public var mountPath: String
}

public struct Volume: Codable, Sendable, Hashable {
    public struct EmptyDir: Codable, Sendable, Hashable {}
    public var name: String
    public var emptyDir = EmptyDir()
}

public struct Secret: Codable, Sendable, Hashable {
    public var apiVersion = "v1"
    public var kind = "Secret"
    public var metadata: ObjectMeta
    public var type = "Opaque"
    public var stringData: [String: String]
}
