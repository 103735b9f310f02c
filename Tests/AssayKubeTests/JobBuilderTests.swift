import Foundation
import Testing
@testable import AssayKube

@Suite struct JobBuilderTests {
    static let settings = KubeSettings(
        namespace: "assay",
        runnerImage: "registry.example/assay-runner:1.0",
        imagePullPolicy: .always,
        imagePullSecrets: ["regcred"],
        nodeSelector: ["pool": "gpu"],
        tolerations: [Toleration(key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule")],
        ttlSecondsAfterFinished: 600,
        backoffLimit: 4,
        serverURL: "http://assay-server.assay.svc:8080",
        serviceAccountName: "assay-runner")

    static let request = RunnerJobRequest(
        experimentID: "exp-42", experimentName: "sweep", workers: 3,
        cpu: "500m", memory: "1Gi", gpu: 2, timeBudgetSeconds: 7200)

    static func json<T: Encodable>(_ value: T) throws -> [String: Any] {
        let data = try JobBuilder.encode(value)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func jobJSON(_ request: RunnerJobRequest = request, _ settings: KubeSettings = settings) throws -> [String: Any] {
        try json(JobBuilder(settings: settings).job(for: request))
    }

    static let labels = [
        "app.kubernetes.io/managed-by": "assay",
        "app.kubernetes.io/name": "assay-runner",
        "assay.dev/experiment": "exp-42",
        "assay.dev/attempt": "1",
    ]

    @Test func jobTopLevelAndSpec() throws {
        let job = try Self.jobJSON()
        #expect(job["apiVersion"] as? String == "batch/v1")
        #expect(job["kind"] as? String == "Job")
        let meta = try #require(job["metadata"] as? [String: Any])
        #expect(meta["name"] as? String == "assay-exp-42")
        #expect(meta["namespace"] as? String == "assay")
        #expect(meta["labels"] as? [String: String] == Self.labels)
        #expect(meta["ownerReferences"] == nil)
        let spec = try #require(job["spec"] as? [String: Any])
        #expect(spec["parallelism"] as? Int == 3)
        #expect(spec["completions"] == nil)
        #expect(spec["backoffLimit"] as? Int == 4)
        #expect(spec["activeDeadlineSeconds"] as? Int == 7200)
        #expect(spec["ttlSecondsAfterFinished"] as? Int == 600)
        #expect(Set(spec.keys) == ["parallelism", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished", "template"])
    }

    @Test func podSpec() throws {
        let job = try Self.jobJSON()
        let template = try #require((job["spec"] as? [String: Any])?["template"] as? [String: Any])
        #expect((template["metadata"] as? [String: Any])?["labels"] as? [String: String] == Self.labels)
        let pod = try #require(template["spec"] as? [String: Any])
        #expect(pod["restartPolicy"] as? String == "Never")
        #expect(pod["automountServiceAccountToken"] as? Bool == false)
        #expect(pod["serviceAccountName"] as? String == "assay-runner")
        let psc = try #require(pod["securityContext"] as? [String: Any])
        #expect(psc["runAsNonRoot"] as? Bool == true)
        #expect(psc["runAsUser"] as? Int == 65532)
        #expect(psc["fsGroup"] as? Int == 65532)
        #expect((psc["seccompProfile"] as? [String: Any])?["type"] as? String == "RuntimeDefault")
        #expect(pod["imagePullSecrets"] as? [[String: String]] == [["name": "regcred"]])
        #expect(pod["nodeSelector"] as? [String: String] == ["pool": "gpu"])
        #expect(pod["tolerations"] as? [[String: String]] == [["key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"]])
        let volumes = try #require(pod["volumes"] as? [[String: Any]])
        #expect(volumes.count == 2)
        for v in volumes { #expect(v["emptyDir"] as? [String: Any] != nil) }
        #expect(Set(volumes.compactMap { $0["name"] as? String }) == ["work", "tmp"])

        let containers = try #require(pod["containers"] as? [[String: Any]])
        #expect(containers.count == 1)
        let c = containers[0]
        #expect(c["name"] as? String == "runner")
        #expect(c["image"] as? String == "registry.example/assay-runner:1.0")
        #expect(c["imagePullPolicy"] as? String == "Always")
        #expect(c["args"] == nil)
        #expect(c["command"] == nil)
        let csc = try #require(c["securityContext"] as? [String: Any])
        #expect(csc["allowPrivilegeEscalation"] as? Bool == false)
        #expect(csc["readOnlyRootFilesystem"] as? Bool == true)
        #expect((csc["capabilities"] as? [String: Any])?["drop"] as? [String] == ["ALL"])
        let mounts = try #require(c["volumeMounts"] as? [[String: String]])
        #expect(Set(mounts) == [["name": "work", "mountPath": "/work"], ["name": "tmp", "mountPath": "/tmp"]])

        let env = try #require(c["env"] as? [[String: Any]])
        var values: [String: String] = [:]
        for e in env { if let n = e["name"] as? String, let v = e["value"] as? String { values[n] = v } }
        #expect(values == [
            "ASSAY_SERVER_URL": "http://assay-server.assay.svc:8080",
            "ASSAY_EXPERIMENT_ID": "exp-42",
            "ASSAY_RUNNER_WORK_DIR": "/work",
            "ASSAY_RUNNER_SLOTS": "1",
        ])
        let token = try #require(env.first { $0["name"] as? String == "ASSAY_RUNNER_TOKEN" })
        #expect(token["value"] == nil)
        let ref = (token["valueFrom"] as? [String: Any])?["secretKeyRef"] as? [String: String]
        #expect(ref == ["name": "assay-exp-42-token", "key": "token"])

        let res = try #require(c["resources"] as? [String: [String: String]])
        #expect(res["requests"] == ["cpu": "500m", "memory": "1Gi"])
        #expect(res["limits"] == ["cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": "2"])
    }

    @Test func noGPUNoBudgetNoOptionalSettings() throws {
        var request = Self.request
        request.gpu = 0
        request.timeBudgetSeconds = nil
        let settings = KubeSettings(namespace: "ns", runnerImage: "img", serverURL: "http://s")
        let job = try Self.jobJSON(request, settings)
        let spec = try #require(job["spec"] as? [String: Any])
        #expect(spec["activeDeadlineSeconds"] == nil)
        let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        #expect(pod["imagePullSecrets"] == nil)
        #expect(pod["nodeSelector"] == nil)
        #expect(pod["tolerations"] == nil)
        #expect(pod["serviceAccountName"] == nil)
        let c = try #require((pod["containers"] as? [[String: Any]])?.first)
        #expect(c["imagePullPolicy"] as? String == "IfNotPresent")
        let res = try #require(c["resources"] as? [String: [String: String]])
        #expect(res["limits"] == ["cpu": "500m", "memory": "1Gi"])
        let text = String(decoding: try JobBuilder.encode(JobBuilder(settings: settings).job(for: request)), as: UTF8.self)
        #expect(!text.contains("nvidia.com/gpu"))
    }

    @Test func noResourcesDeclared() throws {
        let request = RunnerJobRequest(experimentID: "e1", experimentName: "n", workers: 1)
        let job = try Self.jobJSON(request)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: job), as: UTF8.self)
        #expect(!text.contains("\"requests\""))
        #expect(!text.contains("\"limits\""))
    }

    @Test func secretHoldsTokenAndJobDoesNot() throws {
        let builder = JobBuilder(settings: Self.settings)
        let job = try builder.job(for: Self.request)
        let token = "s3cr3t-runner-token-value"
        let jobText = String(decoding: try JobBuilder.encode(job), as: UTF8.self)
        #expect(!jobText.contains(token))

        let secret = builder.tokenSecret(for: job, runnerToken: token)
        let plain = try Self.json(secret)
        #expect(plain["apiVersion"] as? String == "v1")
        #expect(plain["kind"] as? String == "Secret")
        #expect(plain["stringData"] as? [String: String] == ["token": token])
        let meta = try #require(plain["metadata"] as? [String: Any])
        #expect(meta["name"] as? String == "assay-exp-42-token")
        #expect(meta["namespace"] as? String == "assay")
        #expect(meta["labels"] as? [String: String] == Self.labels)
        #expect(meta["ownerReferences"] == nil)

        let owned = try Self.json(secret.owned(byJobNamed: job.metadata.name, uid: "1234-abcd"))
        let refs = try #require((owned["metadata"] as? [String: Any])?["ownerReferences"] as? [[String: Any]])
        #expect(refs.count == 1)
        #expect(refs[0]["apiVersion"] as? String == "batch/v1")
        #expect(refs[0]["kind"] as? String == "Job")
        #expect(refs[0]["name"] as? String == "assay-exp-42")
        #expect(refs[0]["uid"] as? String == "1234-abcd")
        #expect(refs[0]["controller"] as? Bool == true)
        #expect(refs[0]["blockOwnerDeletion"] as? Bool == false)
    }

    @Test func validationErrors() {
        let builder = JobBuilder(settings: Self.settings)
        var r = Self.request
        r.experimentID = ""
        #expect(throws: KubeBuildError.invalidExperimentID("")) { try builder.job(for: r) }
        r = Self.request
        r.workers = 0
        #expect(throws: KubeBuildError.invalidWorkers(0)) { try builder.job(for: r) }
        r.workers = -2
        #expect(throws: KubeBuildError.invalidWorkers(-2)) { try builder.job(for: r) }
        r = Self.request
        r.timeBudgetSeconds = 0
        #expect(throws: KubeBuildError.invalidTimeBudget(0)) { try builder.job(for: r) }
        var s = Self.settings
        s.runnerImage = "  "
        #expect(throws: KubeBuildError.emptyImage) { try JobBuilder(settings: s).job(for: Self.request) }
        #expect(KubeBuildError.emptyImage.description.contains("image"))
        #expect(KubeBuildError.invalidWorkers(0).description.contains("workers"))
    }

    @Test func encodingIsSortedAndStable() throws {
        let job = try JobBuilder(settings: Self.settings).job(for: Self.request)
        let a = try JobBuilder.encode(job)
        #expect(a == (try JobBuilder.encode(job)))
        let text = String(decoding: a, as: UTF8.self)
        let api = try #require(text.range(of: "\"apiVersion\""))
        let kind = try #require(text.range(of: "\"kind\""))
        #expect(api.lowerBound < kind.lowerBound)
        #expect(try JSONDecoder().decode(Job.self, from: a) == job)
    }
}
