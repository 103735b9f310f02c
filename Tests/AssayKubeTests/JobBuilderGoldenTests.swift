import Foundation
import Testing
@testable import AssayKube

/// The builder's output, byte for byte, against files in `Fixtures/golden/`,
/// which `Tests/system/test_job_objects.py` validates with kubernetes-validate
/// (strict) against the Kubernetes versions Assay supports. After an intended
/// change, regenerate them with `ASSAY_UPDATE_GOLDEN=1 swift test --filter JobBuilderGoldenTests`
/// and review the diff.
@Suite struct JobBuilderGoldenTests {
    static let folder = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "Fixtures/golden")
    static let experimentID = "01k9z8y7x6w5v4t3s2r1q0p9n8"

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var settings: KubeSettings
        var request: RunnerJobRequest
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "default",
            settings: KubeSettings(namespace: "assay", runnerImage: "ghcr.io/assay/assay-runner:0.1.0", serverURL: "http://assay.assay.svc:8080"),
            request: RunnerJobRequest(experimentID: experimentID, experimentName: "mnist-lr-sweep", workers: 4)),
        Case(
            name: "gpu-tolerations-deadline",
            settings: KubeSettings(
                namespace: "research", runnerImage: "registry.example/assay-runner@sha256:" + String(repeating: "ab", count: 32),
                imagePullPolicy: .always, imagePullSecrets: ["regcred"], nodeSelector: ["cloud.google.com/gke-accelerator": "nvidia-l4"],
                tolerations: [Toleration(key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule")],
                ttlSecondsAfterFinished: 600, backoffLimit: 6, serverURL: "https://assay.example.org",
                serviceAccountName: "assay-runner"),
            request: RunnerJobRequest(
                experimentID: experimentID, experimentName: "resnet", workers: 8, cpu: "4", memory: "16Gi", gpu: 1,
                timeBudgetSeconds: 43_200, attempt: 2)),
    ]

    static func rendered(_ c: Case) throws -> [(file: String, json: Data)] {
        let builder = JobBuilder(settings: c.settings)
        let job = try builder.job(for: c.request)
        let secret = builder.tokenSecret(for: job, runnerToken: "asr_golden-not-a-real-token")
            .owned(byJobNamed: job.metadata.name, uid: "5f0c2a52-2b4e-4c8e-9d0e-3f1a6b7c8d9e")
        return [("\(c.name).job.json", try pretty(job)), ("\(c.name).secret.json", try pretty(secret))]
    }

    static func pretty<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(value) + Data("\n".utf8)
    }

    @Test(arguments: cases)
    func matchesTheGoldenFile(_ c: Case) throws {
        for (file, json) in try Self.rendered(c) {
            let url = Self.folder.appending(path: file)
            if ProcessInfo.processInfo.environment["ASSAY_UPDATE_GOLDEN"] == "1" {
                try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
                try json.write(to: url)
                continue
            }
            let golden = try Data(contentsOf: url)
            #expect(
                String(decoding: json, as: UTF8.self) == String(decoding: golden, as: UTF8.self),
                "\(file) differs from the builder's output; regenerate with ASSAY_UPDATE_GOLDEN=1 if intended")
        }
    }
}
