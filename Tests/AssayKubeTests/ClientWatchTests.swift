import AssayKube
import Foundation
import Testing

@Suite("KubeClient watches")
struct ClientWatchTests {
    private func collect(_ stream: AsyncThrowingStream<WatchEvent<JobObject>, any Error>) async throws -> [WatchEvent<JobObject>] {
        var events: [WatchEvent<JobObject>] = []
        for try await event in stream { events.append(event) }
        return events
    }

    @Test func eventsBookmarksAndALineSplitAcrossChunks() async throws {
        let modified = FakeKube.event("MODIFIED", FakeKube.job("a", resourceVersion: "12", active: 2))
        let splitAt = modified.index(modified.startIndex, offsetBy: 40)
        let chunks: [(String, Double)] = [
            (FakeKube.event("ADDED", FakeKube.job("a", resourceVersion: "11")), 0),
            (String(modified[..<splitAt]), 0.05),
            // The rest of the line, and the next ones, arrive later in another chunk.
            (String(modified[splitAt...]) + FakeKube.bookmark("15"), 0.3),
            ("\n" + FakeKube.event("DELETED", FakeKube.job("a", resourceVersion: "16")), 0.05),
        ]
        try await FakeAPIServer.with([.watch(FakeKube.jobsPath, resourceVersion: "10", chunks: chunks)]) { server in
            let client = testClient(server.access())
            let events = try await collect(
                client.watch(JobObject.self, .jobs, namespace: "assay", labelSelector: "app.kubernetes.io/managed-by=assay", resourceVersion: "10", timeoutSeconds: 321)
            )
            #expect(events.count == 4)
            guard events.count == 4 else { return }
            #expect(events[0] == .added(try decodedJob("a", "11")))
            guard case .modified(let job) = events[1] else {
                Issue.record("expected MODIFIED, got \(events[1])")
                return
            }
            #expect(job.status?.active == 2)
            #expect(job.metadata.resourceVersion == "12")
            #expect(events[2] == .bookmark(resourceVersion: "15"))
            #expect(events[3].resourceVersion == "16")
            if case .deleted = events[3] {} else { Issue.record("expected DELETED, got \(events[3])") }

            let request = try #require(try server.requests().first)
            #expect(request.query["watch"] == "true")
            #expect(request.query["allowWatchBookmarks"] == "true")
            #expect(request.query["resourceVersion"] == "10")
            #expect(request.query["timeoutSeconds"] == "321")
            #expect(request.query["labelSelector"] == "app.kubernetes.io/managed-by=assay")
            #expect(request.headers["authorization"] == "Bearer test-token")
            #expect(client.requestCount == 1)
        }
    }

    @Test func anExpiredResourceVersionIsGone() async throws {
        let expired = FakeKube.event("ERROR", FakeKube.status(410, reason: "Expired", message: "too old resource version: 10 (4000)"))
        try await FakeAPIServer.with([.watch(FakeKube.jobsPath, resourceVersion: "10", chunks: [(expired, 0)])]) { server in
            let client = testClient(server.access())
            let error = await #expect(throws: KubeAPIError.self) {
                _ = try await collect(client.watch(JobObject.self, .jobs, resourceVersion: "10"))
            }
            #expect(error?.isGone == true)
            #expect(error?.message == "too old resource version: 10 (4000)")
            #expect(error?.request == "GET /apis/batch/v1/namespaces/assay/jobs")
        }
    }

    @Test func otherErrorEventsThrowTheirStatus() async throws {
        let chunks: [(String, Double)] = [
            (FakeKube.event("ADDED", FakeKube.job("a", resourceVersion: "11")), 0),
            (FakeKube.event("ERROR", FakeKube.status(500, reason: "InternalError", message: "watch channel closed")), 0),
        ]
        try await FakeAPIServer.with([.watch(FakeKube.jobsPath, resourceVersion: "10", chunks: chunks)]) { server in
            var received: [WatchEvent<JobObject>] = []
            let error = await #expect(throws: KubeAPIError.self) {
                for try await event in testClient(server.access()).watch(JobObject.self, .jobs, resourceVersion: "10") {
                    received.append(event)
                }
            }
            #expect(received.count == 1)
            #expect(error?.code == 500)
            #expect(error?.isGone == false)
            #expect(error?.message == "watch channel closed")
        }
    }

    @Test func anErrorStatusForTheWatchItselfIsAnAPIError() async throws {
        let forbidden = FakeKube.status(403, reason: "Forbidden", message: "pods is forbidden: cannot watch")
        try await FakeAPIServer.with([.json("GET", FakeKube.podsPath, query: ["watch": "true"], status: 403, forbidden)]) { server in
            let error = await #expect(throws: KubeAPIError.self) {
                for try await _ in testClient(server.access()).watch(PodObject.self, .pods, resourceVersion: nil) {}
            }
            #expect(error?.isForbidden == true)
            #expect(error?.message == "pods is forbidden: cannot watch")
            let request = try #require(try server.requests().first)
            #expect(request.query["resourceVersion"] == nil)
        }
    }

    @Test func anUnknownEventTypeIsAnInvalidResponse() async throws {
        let line = FakeKube.text(["type": "SURPRISE", "object": [:] as [String: Any]]) + "\n"
        try await FakeAPIServer.with([.watch(FakeKube.jobsPath, resourceVersion: "1", chunks: [(line, 0)])]) { server in
            let error = await #expect(throws: KubeClientError.self) {
                _ = try await collect(testClient(server.access()).watch(JobObject.self, .jobs, resourceVersion: "1"))
            }
            #expect(error?.kind == .invalidResponse)
            #expect(error?.description.contains("SURPRISE") == true)
        }
    }

    @Test func aStalledWatchIsDropped() async throws {
        let rule = FakeRule.watch(FakeKube.jobsPath, resourceVersion: "1", chunks: [], hold: 120)
        try await FakeAPIServer.with([rule]) { server in
            let client = testClient(server.access()) { $0.watchStallTimeout = .seconds(1) }
            let started = ContinuousClock.now
            var received: [WatchEvent<JobObject>] = []
            let error = await #expect(throws: KubeClientError.self) {
                for try await event in client.watch(JobObject.self, .jobs, resourceVersion: "1") { received.append(event) }
            }
            #expect(error?.kind == .timeout)
            #expect(received.isEmpty)
            // libcurl measures the speed over a few seconds' window, so "stalled for 1 s"
            // fires a few seconds late; the server would hold the watch for 120 s.
            #expect(ContinuousClock.now - started < .seconds(60))
        }
    }

    @Test func droppingTheStreamClosesTheConnection() async throws {
        let rule = FakeRule.watch(FakeKube.jobsPath, resourceVersion: "1", chunks: [(FakeKube.bookmark("2"), 0)], hold: 30)
        try await FakeAPIServer.with([rule]) { server in
            let client = testClient(server.access())
            let started = ContinuousClock.now
            for try await event in client.watch(JobObject.self, .jobs, resourceVersion: "1") {
                #expect(event == .bookmark(resourceVersion: "2"))
                break
            }
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    private func decodedJob(_ name: String, _ resourceVersion: String) throws -> JobObject {
        try JSONDecoder().decode(JobObject.self, from: Data(FakeKube.text(FakeKube.job(name, resourceVersion: resourceVersion)).utf8))
    }
}
