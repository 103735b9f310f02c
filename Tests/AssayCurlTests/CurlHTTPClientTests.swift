import AssayCurl
import Foundation
import Synchronization
import Testing

@Suite("CurlHTTPClient against a live Hummingbird server")
struct CurlHTTPClientTests {
    let client = CurlHTTPClient()

    @Test func getReturnsStatusHeadersAndBody() async throws {
        try await TestHTTPServer.run { base, _ in
            let response = try await client.send(HTTPRequest(url: base.appending(path: "hello")))
            #expect(response.status == 200)
            #expect(response.isSuccess)
            #expect(String(decoding: response.body, as: UTF8.self) == "hello")
            #expect(response.headers["x-served-by"] == "hummingbird")
            #expect(response.headers["X-SERVED-BY"] == "hummingbird")
            #expect(response.headers["Content-Length"] == "5")
        }
    }

    @Test func postSendsBodyAndHeaders() async throws {
        try await TestHTTPServer.run { base, _ in
            let body = Data("{\"trial\": 7}".utf8)
            let request = HTTPRequest(
                method: .post,
                url: base.appending(path: "echo"),
                headers: ["X-Custom": "custom value", "Content-Type": "application/json"],
                body: body
            )
            let response = try await client.send(request)
            #expect(response.status == 200)
            #expect(response.body == body)
            #expect(response.headers["X-Seen-Method"] == "POST")
            #expect(response.headers["X-Seen-Custom"] == "custom value")
            #expect(response.headers["X-Seen-Content-Type"] == "application/json")
        }
    }

    @Test(arguments: [HTTPMethod.put, .patch, .delete])
    func otherMethodsSendTheirBody(method: HTTPMethod) async throws {
        try await TestHTTPServer.run { base, _ in
            let body = TestHTTPServer.pattern(count: 200_000)
            let response = try await client.send(HTTPRequest(method: method, url: base.appending(path: "echo"), body: body))
            #expect(response.headers["X-Seen-Method"] == method.rawValue)
            // libcurl's default form Content-Type is suppressed.
            #expect(response.headers["X-Seen-Content-Type"] == "none")
            #expect(response.body == body)
        }
    }

    @Test func progressFollowsTheBodyUpAndTheAnswerBack() async throws {
        try await TestHTTPServer.run { base, _ in
            let body = TestHTTPServer.pattern(count: 600_000)
            let seen = SeenProgress()
            let request = HTTPRequest(method: .post, url: base.appending(path: "echo"), body: body, progress: seen.record)
            let response = try await client.send(request)
            #expect(response.body == body)

            let updates = seen.updates
            let size = body.count
            #expect(updates.last == TransferProgress(uploaded: size, uploadTotal: size, downloaded: size, downloadTotal: size))
            #expect(updates.contains { $0.uploaded == size && $0.downloaded == 0 }, "the whole body went up before the answer came")
            for (earlier, later) in zip(updates, updates.dropFirst()) {
                #expect(earlier != later, "only changes are reported")
                #expect(earlier.uploaded <= later.uploaded && earlier.downloaded <= later.downloaded)
            }
        }
    }

    @Test func nonSuccessStatusIsAResponseUntilRequired() async throws {
        try await TestHTTPServer.run { base, _ in
            let response = try await client.send(HTTPRequest(url: base.appending(path: "status/404")))
            #expect(response.status == 404)
            #expect(!response.isSuccess)
            #expect(throws: CurlError.unexpectedStatus(404, body: "status 404")) { try response.requireSuccess() }
        }
    }

    @Test func responseOverTheLimitFails() async throws {
        try await TestHTTPServer.run { base, _ in
            let request = HTTPRequest(url: base.appending(path: "bytes/10000"), maxResponseBytes: 1_000)
            await #expect(throws: CurlError.responseTooLarge(limit: 1_000)) { try await client.send(request) }
        }
    }

    @Test func headerValueWithLineBreakIsRejected() async throws {
        let url = try #require(URL(string: "http://127.0.0.1:9/"))
        let request = HTTPRequest(url: url, headers: ["Authorization": "Bearer secret\r\nX-Evil: 1"])
        let error = await #expect(throws: CurlError.self) { try await client.send(request) }
        #expect(error.map { "\($0)" }?.contains("Authorization") == true)
        #expect(error.map { "\($0)" }?.contains("secret") == false)
    }

    @Test func onlyHTTPAndHTTPSAreAccepted() async throws {
        let request = HTTPRequest(url: URL(filePath: "/etc/passwd"))
        await #expect {
            try await client.send(request)
        } throws: { error in
            guard case CurlError.invalidRequest = error else { return false }
            return true
        }
    }

    // MARK: Downloads

    @Test func downloadStreamsTheBodyIntoAFile() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "artifact.bin")
        try Data("old".utf8).write(to: file)
        try await TestHTTPServer.run { base, _ in
            let response = try await client.download(HTTPRequest(url: base.appending(path: "bytes/300000")), to: file, maxBytes: 1 << 20)
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
        }
        #expect(try Data(contentsOf: file) == TestHTTPServer.pattern(count: 300_000))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["artifact.bin"])
    }

    @Test func downloadOverMaxBytesFailsAndWritesNothing() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "artifact.bin")
        try await TestHTTPServer.run { base, _ in
            await #expect(throws: CurlError.responseTooLarge(limit: 100_000)) {
                try await client.download(HTTPRequest(url: base.appending(path: "bytes/300000")), to: file, maxBytes: 100_000)
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func downloadOfAnErrorStatusThrowsItsBody() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "artifact.bin")
        try await TestHTTPServer.run { base, _ in
            await #expect(throws: CurlError.unexpectedStatus(403, body: "status 403")) {
                try await client.download(HTTPRequest(url: base.appending(path: "status/403")), to: file, maxBytes: 1_000)
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    // MARK: Streams

    @Test func linesAreJoinedAcrossChunks() async throws {
        try await TestHTTPServer.run { base, _ in
            var lines: [String] = []
            for try await line in client.lines(HTTPRequest(url: base.appending(path: "lines"), timeouts: .streaming())) {
                lines.append(line)
            }
            #expect(lines == ["alpha", "beta", "gamma", "", "delta"])
        }
    }

    @Test func linesOfAnErrorStatusThrowStatusAndBody() async throws {
        try await TestHTTPServer.run { base, _ in
            await #expect(throws: CurlError.unexpectedStatus(403, body: "status 403")) {
                for try await line in client.lines(HTTPRequest(url: base.appending(path: "status/403"))) {
                    Issue.record("unexpected line \(line)")
                }
            }
        }
    }

    @Test func aLineOverTheLimitFails() async throws {
        try await TestHTTPServer.run { base, _ in
            let request = HTTPRequest(url: base.appending(path: "letters/5000"), maxResponseBytes: 1_000)
            await #expect(throws: CurlError.responseTooLarge(limit: 1_000)) {
                for try await _ in client.lines(request) {}
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingTheConsumerEndsANeverEndingStream() async throws {
        try await TestHTTPServer.run { base, probe in
            let firstLine = AsyncStream.makeStream(of: String.self)
            let consumer = Task {
                var count = 0
                for try await line in client.lines(HTTPRequest(url: base.appending(path: "forever"), timeouts: .streaming())) {
                    count += 1
                    firstLine.continuation.yield(line)
                }
                return count
            }
            var lines = firstLine.stream.makeAsyncIterator()
            #expect(await lines.next() == "tick 1")

            let cancelled = ContinuousClock.now
            consumer.cancel()
            _ = try await consumer.value
            // Not a speed claim: without the abort the stream never ends (10 s is a wide margin on a loaded CI machine).
            #expect(ContinuousClock.now - cancelled < .seconds(10))
            // The transfer itself ended: the server sees the client go away.
            let deadline = ContinuousClock.now + .seconds(5)
            while !probe.foreverStreamEnded, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(probe.foreverStreamEnded)
        }
    }

    // MARK: Failures

    @Test func refusedConnectionIsAConnectError() async throws {
        let port = try LoopbackSocket.unusedPort()
        let request = HTTPRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)/x?token=secret")))
        let error = await #expect(throws: CurlError.self) { try await client.send(request) }
        #expect(error?.caseName == "couldNotConnect", "\(String(describing: error))")
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("127.0.0.1"))
        #expect(!message.contains("secret"))
    }

    @Test func silentServerTimesOut() async throws {
        let listener = try SilentListener()
        let request = HTTPRequest(
            url: try #require(URL(string: "http://127.0.0.1:\(listener.port)/")),
            timeouts: .total(.milliseconds(300), connect: .seconds(2))
        )
        let started = ContinuousClock.now
        let error = await #expect(throws: CurlError.self) { try await client.send(request) }
        #expect(error?.caseName == "timedOut", "\(String(describing: error))")
        // The silent server never answers: returning at all is the timeout working (wide margin for loaded machines).
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func stalledStreamTimesOut() async throws {
        let listener = try SilentListener()
        let request = HTTPRequest(
            url: try #require(URL(string: "http://127.0.0.1:\(listener.port)/watch")),
            timeouts: .streaming(connect: .seconds(2), stalledAfter: .seconds(1))
        )
        let error = await #expect(throws: CurlError.self) {
            for try await _ in client.lines(request) {}
        }
        #expect(error?.caseName == "timedOut", "\(String(describing: error))")
    }

    @Test func cancellingARequestAbortsItAtOnce() async throws {
        let listener = try SilentListener()
        let request = HTTPRequest(url: try #require(URL(string: "http://127.0.0.1:\(listener.port)/")), timeouts: .total(.seconds(30)))
        let task = Task { try await client.send(request) }
        try await Task.sleep(for: .milliseconds(200))
        let cancelled = ContinuousClock.now
        task.cancel()
        await #expect(throws: CurlError.cancelled) { try await task.value }
        // Without the abort the request would wait for its 30 s timeout; 10 s leaves a loaded CI machine room.
        #expect(ContinuousClock.now - cancelled < .seconds(10))
    }
}

/// The progress reports of one transfer, in order.
private final class SeenProgress: Sendable {
    private let seen = Mutex<[TransferProgress]>([])

    var updates: [TransferProgress] { seen.withLock { $0 } }

    @Sendable func record(_ progress: TransferProgress) {
        seen.withLock { $0.append(progress) }
    }
}
