import AssayKube
import Foundation
import Testing

@Suite("KubeClient retries, timeouts and transport failures")
struct ClientRetryTests {
    private let job = FakeKube.job("j", resourceVersion: "1")
    private let path = FakeKube.jobsPath + "/j"

    @Test func a500IsRetriedUntilItSucceeds() async throws {
        let rules: [FakeRule] = [
            .json("GET", path, times: 2, status: 500, FakeKube.status(500, reason: "InternalError", message: "etcd hiccup")),
            .json("GET", path, job),
        ]
        try await FakeAPIServer.with(rules) { server in
            let sleeps = RecordedSleeps()
            let client = testClient(server.access(), sleeps: sleeps)
            let fetched = try await client.get(JobObject.self, .jobs, name: "j")
            #expect(fetched.metadata.name == "j")
            #expect(client.requestCount == 3)
            #expect(try server.requests().count == 3)
            // Backoff with jitter: between half and all of 250 ms, then of 500 ms.
            #expect(sleeps.durations.count == 2)
            #expect(sleeps.durations.first.map { (.milliseconds(125)...(.milliseconds(250))).contains($0) } == true)
            #expect(sleeps.durations.last.map { (.milliseconds(250)...(.milliseconds(500))).contains($0) } == true)
        }
    }

    @Test func aCreateIsRetriedToo() async throws {
        let rules: [FakeRule] = [
            .json("POST", FakeKube.jobsPath, times: 1, status: 503, FakeKube.status(503, reason: "ServiceUnavailable", message: "try later")),
            .json("POST", FakeKube.jobsPath, status: 201, job),
        ]
        try await FakeAPIServer.with(rules) { server in
            let client = testClient(server.access())
            _ = try await client.create(["kind": "Job"], as: JobObject.self, in: .jobs)
            #expect(client.requestCount == 2)
        }
    }

    @Test func a429WaitsAsLongAsRetryAfterSays() async throws {
        let rules: [FakeRule] = [
            .json("GET", path, times: 1, status: 429, headers: ["Retry-After": "3"], FakeKube.status(429, reason: "TooManyRequests", message: "slow down")),
            .json("GET", path, job),
        ]
        try await FakeAPIServer.with(rules) { server in
            let sleeps = RecordedSleeps()
            let client = testClient(server.access(), sleeps: sleeps)
            _ = try await client.get(JobObject.self, .jobs, name: "j")
            #expect(sleeps.durations == [.seconds(3)])
            #expect(client.requestCount == 2)
        }
    }

    @Test func aRetryAfterBeyondTheTotalBudgetGivesUp() async throws {
        let rules: [FakeRule] = [
            .json("GET", path, status: 429, headers: ["Retry-After": "120"], FakeKube.status(429, reason: "TooManyRequests", message: "slow down"))
        ]
        try await FakeAPIServer.with(rules) { server in
            let sleeps = RecordedSleeps()
            let client = testClient(server.access(), sleeps: sleeps)
            let error = await #expect(throws: KubeAPIError.self) { try await client.get(JobObject.self, .jobs, name: "j") }
            #expect(error?.code == 429)
            #expect(error?.retryAfter == .seconds(120))
            #expect(sleeps.durations.isEmpty)
        }
    }

    @Test func persistentFailureStopsAfterMaxAttempts() async throws {
        let rules: [FakeRule] = [.json("GET", path, status: 502, FakeKube.status(502, reason: "", message: "bad gateway"))]
        try await FakeAPIServer.with(rules) { server in
            let sleeps = RecordedSleeps()
            let client = testClient(server.access(), sleeps: sleeps) { $0.retry.maxAttempts = 4 }
            let error = await #expect(throws: KubeAPIError.self) { try await client.get(JobObject.self, .jobs, name: "j") }
            #expect(error?.code == 502)
            #expect(error?.reason == nil)
            #expect(client.requestCount == 4)
            #expect(sleeps.durations.count == 3)
        }
    }

    @Test func theWrongCAFailsClearlyAndIsNotRetried() async throws {
        try await FakeAPIServer.with([.json("GET", path, job)]) { server in
            let sleeps = RecordedSleeps()
            let wrong = try Data(contentsOf: server.otherCAFile)
            let client = testClient(server.access(trust: .caData(wrong)), sleeps: sleeps)
            let error = await #expect(throws: KubeClientError.self) { try await client.get(JobObject.self, .jobs, name: "j") }
            #expect(error?.kind == .tls)
            let text = error?.description ?? ""
            #expect(text.hasPrefix("cannot verify the TLS certificate of the Kubernetes API server \(server.url.absoluteString)"), "\(text)")
            #expect(text.contains("check the CA (ca.crt / certificate-authority-data)"))
            #expect(!text.contains("test-token"))
            #expect(client.requestCount == 1)
            #expect(sleeps.durations.isEmpty)
            #expect(try server.requests().isEmpty)
        }
    }

    @Test func theRightCADataIsTrusted() async throws {
        try await FakeAPIServer.with([.json("GET", path, job)]) { server in
            let client = testClient(server.access(trust: .caData(try Data(contentsOf: server.caFile))))
            #expect(try await client.get(JobObject.self, .jobs, name: "j").metadata.name == "j")
        }
    }

    @Test func aRefusedConnectionIsRetriedThenExplained() async throws {
        // A port nothing listens on: bind one, note it, close it.
        let access = KubeAccess(
            server: URL(string: "https://127.0.0.1:\(try unusedPort())")!, trust: .system,
            credentials: KubeCredentials(token: .literal("t")), namespace: "assay", origin: "test")
        let sleeps = RecordedSleeps()
        let client = testClient(access, sleeps: sleeps) { $0.retry.maxAttempts = 3 }
        let error = await #expect(throws: KubeClientError.self) { try await client.get(JobObject.self, .jobs, name: "j") }
        #expect(error?.kind == .connection)
        #expect(error?.description.hasPrefix("cannot connect to the Kubernetes API server") == true)
        #expect(client.requestCount == 3)
        #expect(sleeps.durations.count == 2)
    }

    @Test func aSlowAnswerTimesOut() async throws {
        var slow = FakeRule(method: "GET", path: path)
        slow.chunks = [(FakeKube.text(job), 120.0)]
        try await FakeAPIServer.with([slow]) { server in
            let client = testClient(server.access()) {
                $0.requestTimeout = .milliseconds(500)
                $0.retry = .none
            }
            let started = ContinuousClock.now
            let error = await #expect(throws: KubeClientError.self) { try await client.get(JobObject.self, .jobs, name: "j") }
            #expect(error?.kind == .timeout)
            // The answer would take 120 s: only the timeout can end it within 60.
            #expect(ContinuousClock.now - started < .seconds(60))
        }
    }

    @Test func cancellingTheTaskStopsRetrying() async throws {
        let rules: [FakeRule] = [.json("GET", path, status: 503, FakeKube.status(503, reason: "ServiceUnavailable", message: "down"))]
        try await FakeAPIServer.with(rules) { server in
            let client = KubeClient(access: server.access(), logger: .init(label: "test")) { try await Task.sleep(for: $0 * 40) }
            let task = Task { try await client.get(JobObject.self, .jobs, name: "j") }
            try await eventually("the first attempt") { client.requestCount >= 1 }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(client.requestCount == 1)
        }
    }

    @Test func retryPolicyDelaysGrowAndStayBounded() {
        let policy = KubeRetryPolicy(maxAttempts: 10, initialDelay: .milliseconds(100), maxDelay: .seconds(1), maxTotal: .seconds(5))
        for attempt in 1...9 {
            let cap = min(Duration.milliseconds(100) * (1 << (attempt - 1)), .seconds(1))
            let pause = policy.delay(afterAttempt: attempt, elapsed: .zero, retryAfter: nil)
            #expect(pause.map { $0 >= cap / 2 && $0 <= cap } == true, "attempt \(attempt): \(String(describing: pause))")
        }
        #expect(policy.delay(afterAttempt: 10, elapsed: .zero, retryAfter: nil) == nil, "no eleventh attempt")
        #expect(policy.delay(afterAttempt: 1, elapsed: .seconds(5), retryAfter: nil) == nil, "past the total budget")
        #expect(policy.delay(afterAttempt: 1, elapsed: .zero, retryAfter: .seconds(2)) == .seconds(2))
        #expect(policy.delay(afterAttempt: 1, elapsed: .seconds(4), retryAfter: .seconds(2)) == nil)
        #expect(KubeRetryPolicy.none.delay(afterAttempt: 1, elapsed: .zero, retryAfter: nil) == nil)
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago).
func unusedPort() throws -> Int {
    let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
    }
    guard bound else { throw KubeTestEnvironment.Failure(description: "cannot bind a port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
