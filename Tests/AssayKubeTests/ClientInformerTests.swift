import AssayKube
import Foundation
import Synchronization
import Testing

@Suite("KubeInformer and KubeCache")
struct ClientInformerTests {
    /// What the handler saw, as text: `synced a,b`, `upserted c@11`, `deleted a`.
    final class Recorder: Sendable {
        private let seen = Mutex<[String]>([])
        let cache = KubeCache<JobObject>()

        var events: [String] { seen.withLock { $0 } }

        @Sendable func handle(_ event: InformerEvent<JobObject>) async {
            cache.apply(event)
            let text = switch event {
            case .synced(let jobs): "synced " + jobs.map(\.metadata.name).joined(separator: ",")
            case .upserted(let job): "upserted \(job.metadata.name)@\(job.metadata.resourceVersion ?? "")"
            case .deleted(let job): "deleted \(job.metadata.name)"
            }
            seen.withLock { $0.append(text) }
        }
    }

    private func list(_ names: [String], _ resourceVersion: String, times: Int? = 1) -> FakeRule {
        let items = names.map { FakeKube.job($0, resourceVersion: resourceVersion) }
        return .json("GET", FakeKube.jobsPath, query: ["watch": nil], times: times, FakeKube.list(kind: "JobList", items: items, resourceVersion: resourceVersion))
    }

    /// A watch from `resourceVersion` that stays open with nothing to say.
    private func quietWatch(from resourceVersion: String) -> FakeRule {
        .watch(FakeKube.jobsPath, resourceVersion: resourceVersion, times: nil, chunks: [], hold: 60)
    }

    /// Runs `informer` until `done` holds, then cancels it and checks it returned.
    private func run(
        _ informer: KubeInformer<JobObject>, _ recorder: Recorder, until what: String, _ done: @escaping () throws -> Bool
    ) async throws {
        let task = Task { try await informer.run(recorder.handle) }
        do {
            try await eventually(what, done)
        } catch {
            task.cancel()
            throw error
        }
        task.cancel()
        try await task.value
    }

    @Test func relistsAfterGoneAndTheNewSetDropsDeletedObjects() async throws {
        let rules: [FakeRule] = [
            list(["a", "b"], "10"),
            .watch(
                FakeKube.jobsPath, resourceVersion: "10",
                chunks: [
                    (FakeKube.event("ADDED", FakeKube.job("c", resourceVersion: "11")), 0),
                    (FakeKube.event("ERROR", FakeKube.status(410, reason: "Expired", message: "too old resource version")), 0),
                ]),
            // Meanwhile b was deleted without the informer seeing the event.
            list(["a", "c"], "20"),
            quietWatch(from: "20"),
        ]
        try await FakeAPIServer.with(rules) { server in
            let client = testClient(server.access())
            let recorder = Recorder()
            let informer = KubeInformer<JobObject>(client: client, resource: .jobs, labelSelector: "app.kubernetes.io/managed-by=assay")
            try await run(informer, recorder, until: "the second list and its watch") {
                try server.requests().filter { $0.isWatch }.count == 2
            }
            #expect(recorder.events == ["synced a,b", "upserted c@11", "synced a,c"])
            #expect(recorder.cache.objects.map(\.metadata.name) == ["a", "c"])
            #expect(recorder.cache.hasSynced)
            let requests = try server.requests()
            #expect(requests.map { $0.isWatch } == [false, true, false, true])
            #expect(requests.allSatisfy { $0.query["labelSelector"] == "app.kubernetes.io/managed-by=assay" })
            #expect(requests.last?.query["resourceVersion"] == "20")
        }
    }

    @Test func rewatchesFromTheLastResourceVersionAfterTheServerEndsTheWatch() async throws {
        let rules: [FakeRule] = [
            list(["a"], "10"),
            .watch(
                FakeKube.jobsPath, resourceVersion: "10",
                chunks: [
                    (FakeKube.event("MODIFIED", FakeKube.job("a", resourceVersion: "15", active: 1)), 0),
                    (FakeKube.bookmark("17"), 0),
                ]),
            quietWatch(from: "17"),
        ]
        try await FakeAPIServer.with(rules) { server in
            let client = testClient(server.access())
            let recorder = Recorder()
            var informer = KubeInformer<JobObject>(client: client, resource: .jobs)
            informer.watchTimeoutSeconds = 60...60
            try await run(informer, recorder, until: "the second watch") {
                try server.requests().filter { $0.isWatch }.count == 2
            }
            #expect(recorder.events == ["synced a", "upserted a@15"])
            #expect(recorder.cache["a"]?.status?.active == 1)
            let watches = try server.requests().filter { $0.isWatch }
            #expect(watches.map { $0.query["resourceVersion"] } == ["10", "17"])
            #expect(watches.allSatisfy { $0.query["timeoutSeconds"] == "60" })
            #expect(try server.requests().filter { !$0.isWatch }.count == 1, "no re-list")
        }
    }

    @Test func aDroppedConnectionResumesFromTheLastResourceVersion() async throws {
        let rules: [FakeRule] = [
            list(["a"], "10"),
            .watch(
                FakeKube.jobsPath, resourceVersion: "10",
                chunks: [(FakeKube.event("DELETED", FakeKube.job("a", resourceVersion: "12")), 0)], abort: true),
            quietWatch(from: "12"),
        ]
        try await FakeAPIServer.with(rules) { server in
            let recorder = Recorder()
            let informer = KubeInformer<JobObject>(client: testClient(server.access()), resource: .jobs)
            try await run(informer, recorder, until: "the second watch") {
                try server.requests().filter { $0.isWatch }.count == 2
            }
            #expect(recorder.events == ["synced a", "deleted a"])
            #expect(recorder.cache.count == 0)
            #expect(try server.requests().filter { $0.isWatch }.map { $0.query["resourceVersion"] } == ["10", "12"])
            #expect(try server.requests().filter { !$0.isWatch }.count == 1)
        }
    }

    @Test func aFailedListBacksOffAndListsAgain() async throws {
        let rules: [FakeRule] = [
            .json("GET", FakeKube.jobsPath, query: ["watch": nil], times: 1, status: 403, FakeKube.status(403, reason: "Forbidden", message: "not yet")),
            list(["a"], "30"),
            quietWatch(from: "30"),
        ]
        try await FakeAPIServer.with(rules) { server in
            let sleeps = RecordedSleeps()
            let recorder = Recorder()
            var informer = KubeInformer<JobObject>(client: testClient(server.access(), sleeps: sleeps), resource: .jobs)
            informer.initialBackoff = .milliseconds(700)
            try await run(informer, recorder, until: "the watch after the second list") {
                try server.requests().contains { $0.isWatch }
            }
            #expect(recorder.events == ["synced a"])
            #expect(sleeps.durations == [.milliseconds(700)])
        }
    }

    @Test func cancellingBeforeTheFirstListReturnsQuietly() async throws {
        let access = KubeAccess(
            server: URL(string: "https://127.0.0.1:\(try unusedPort())")!, trust: .system,
            credentials: KubeCredentials(token: .literal("t")), namespace: "assay", origin: "test")
        let informer = KubeInformer<JobObject>(client: testClient(access), resource: .jobs)
        let recorder = Recorder()
        let task = Task { try await informer.run(recorder.handle) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        try await task.value
        #expect(recorder.events.isEmpty)
    }

    @Test func cacheAppliesEvents() {
        let cache = KubeCache<JobObject>()
        #expect(!cache.hasSynced)
        let a = JobObject(metadata: ReadMeta(name: "a", resourceVersion: "1"))
        let b = JobObject(metadata: ReadMeta(name: "b", resourceVersion: "1"))
        cache.apply(.synced([b, a]))
        #expect(cache.hasSynced)
        #expect(cache.objects.map(\.metadata.name) == ["a", "b"])
        cache.apply(.upserted(JobObject(metadata: ReadMeta(name: "a", resourceVersion: "2"))))
        #expect(cache["a"]?.metadata.resourceVersion == "2")
        cache.apply(.deleted(b))
        #expect(cache.count == 1)
        cache.apply(.synced([]))
        #expect(cache.objects.isEmpty)
    }
}
