import AssayKube
import Foundation
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One scripted answer of Fixtures/kube_fake.py (see its docstring for the matching rules).
struct FakeRule: Sendable {
    var method: String
    var path: String
    /// Query parameters the request must have (nil: must not have).
    var query: [String: String?] = [:]
    var header: [String: String] = [:]
    var times: Int?
    var status = 200
    var headers: [String: String] = [:]
    var body = ""
    /// A streamed body: (text, seconds to wait before it).
    var chunks: [(String, Double)]?
    var hold: Double?
    var abort = false

    var json: [String: Any] {
        var rule: [String: Any] = ["method": method, "path": path, "status": status, "headers": headers, "body": body]
        rule["query"] = query.mapValues { $0 ?? NSNull() as Any }
        rule["header"] = header
        if let times { rule["times"] = times }
        if let chunks { rule["chunks"] = chunks.map { ["data": $0.0, "delay": $0.1] } }
        if let hold { rule["hold"] = hold }
        if abort { rule["abort"] = true }
        return rule
    }

    /// An answer with a JSON body.
    static func json(
        _ method: String, _ path: String, query: [String: String?] = [:], times: Int? = nil,
        status: Int = 200, headers: [String: String] = [:], _ object: [String: Any]
    ) -> FakeRule {
        FakeRule(method: method, path: path, query: query, times: times, status: status, headers: headers, body: FakeKube.text(object))
    }

    /// A watch answer: the given lines, streamed as chunks, then EOF (or held open).
    static func watch(
        _ path: String, resourceVersion: String?, times: Int? = 1, chunks: [(String, Double)], hold: Double? = nil, abort: Bool = false
    ) -> FakeRule {
        var query: [String: String?] = ["watch": "true"]
        if let resourceVersion { query["resourceVersion"] = resourceVersion }
        return FakeRule(method: "GET", path: path, query: query, times: times, chunks: chunks, hold: hold, abort: abort)
    }
}

/// JSON of the Kubernetes objects the tests script.
enum FakeKube {
    static let jobsPath = "/apis/batch/v1/namespaces/assay/jobs"
    static let podsPath = "/api/v1/namespaces/assay/pods"

    static func text(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func job(_ name: String, resourceVersion: String, active: Int? = nil) -> [String: Any] {
        var job: [String: Any] = [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": [
                "name": name, "namespace": "assay", "uid": "uid-\(name)", "resourceVersion": resourceVersion,
                "labels": ["app.kubernetes.io/managed-by": "assay", "assay.dev/experiment": name],
            ],
            "spec": ["parallelism": 2, "backoffLimit": 3],
        ]
        if let active { job["status"] = ["active": active] }
        return job
    }

    static func list(kind: String, items: [[String: Any]], resourceVersion: String, continue token: String? = nil) -> [String: Any] {
        var metadata: [String: Any] = ["resourceVersion": resourceVersion]
        if let token { metadata["continue"] = token }
        return ["kind": kind, "apiVersion": "v1", "metadata": metadata, "items": items]
    }

    static func status(_ code: Int, reason: String, message: String) -> [String: Any] {
        ["kind": "Status", "apiVersion": "v1", "metadata": [:] as [String: Any], "status": "Failure", "message": message, "reason": reason, "code": code]
    }

    /// One watch line (with its LF).
    static func event(_ type: String, _ object: [String: Any]) -> String {
        text(["type": type, "object": object]) + "\n"
    }

    static func bookmark(_ resourceVersion: String) -> String {
        event("BOOKMARK", ["kind": "Job", "apiVersion": "batch/v1", "metadata": ["resourceVersion": resourceVersion]])
    }
}

/// A request kube_fake.py recorded.
struct RecordedRequest: Decodable, Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var headers: [String: String]
    var body: String
    var client_cn: String?

    /// The body as a JSON object, or nil.
    var jsonBody: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }

    var isWatch: Bool { query["watch"] == "true" }
}

/// Fixtures/kube_fake.py run from the venv: an HTTPS fake of the API server with a trustme CA,
/// answering from a script and recording each request.
final class FakeAPIServer: @unchecked Sendable {
    // @unchecked: the stored properties are set once in init; Process is used from one test only.
    let directory: URL
    let port: Int
    private let process: Process
    private let stdin: Pipe

    var url: URL { URL(string: "https://127.0.0.1:\(port)")! }
    var caFile: URL { directory.appending(path: "ca.pem") }
    var otherCAFile: URL { directory.appending(path: "other-ca.pem") }
    var clientCertificate: URL { directory.appending(path: "client.pem") }
    var clientKey: URL { directory.appending(path: "client.key") }
    private var scriptFile: URL { directory.appending(path: "script.json") }
    private var logFile: URL { directory.appending(path: "server.stderr") }

    private init(directory: URL, port: Int, process: Process, stdin: Pipe) {
        self.directory = directory
        self.port = port
        self.process = process
        self.stdin = stdin
    }

    /// Runs `body` with a server answering `rules`, and stops it afterwards.
    static func with<Value>(
        _ rules: [FakeRule], clientCA: Bool = false, _ body: (FakeAPIServer) async throws -> Value
    ) async throws -> Value {
        let server = try await start(rules, clientCA: clientCA)
        do {
            let value = try await body(server)
            await server.stop()
            return value
        } catch {
            await server.stop()
            throw error
        }
    }

    private static func start(_ rules: [FakeRule], clientCA: Bool) async throws -> FakeAPIServer {
        let python = try KubeTestEnvironment.python(importing: ["trustme", "ssl"])
        let directory = try KubeTestEnvironment.temporaryDirectory()
        let output = directory.appending(path: "server.stdout")
        let log = directory.appending(path: "server.stderr")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        let stdin = Pipe()
        process.executableURL = python
        process.arguments = [KubeTestEnvironment.fixturesDirectory.appending(path: "kube_fake.py").path, directory.path]
            + (clientCA ? ["--client-ca"] : [])
        process.standardInput = stdin
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        var server = FakeAPIServer(directory: directory, port: 0, process: process, stdin: stdin)
        try server.setScript(rules)

        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let printed = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = printed.split(separator: "\n").first(where: { $0.hasPrefix("READY ") }),
                let port = Int(line.dropFirst("READY ".count))
            {
                server = FakeAPIServer(directory: directory, port: port, process: process, stdin: stdin)
                return server
            }
            guard process.isRunning else {
                throw KubeTestEnvironment.Failure(description: "kube_fake.py exited with status \(process.terminationStatus): \(server.logTail)")
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        await server.stop()
        throw KubeTestEnvironment.Failure(description: "kube_fake.py did not print READY within 60 s: \(server.logTail)")
    }

    /// Replaces the script (the server re-reads it at its next request).
    func setScript(_ rules: [FakeRule]) throws {
        let data = try JSONSerialization.data(withJSONObject: rules.map(\.json), options: [.withoutEscapingSlashes])
        let temporary = directory.appending(path: "script.json.tmp")
        try data.write(to: temporary)
        guard rename(temporary.path, scriptFile.path) == 0 else {
            throw KubeTestEnvironment.Failure(description: "cannot install the script")
        }
    }

    /// Every request received so far, in order.
    func requests() throws -> [RecordedRequest] {
        let file = directory.appending(path: "requests.jsonl")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONDecoder().decode(RecordedRequest.self, from: Data($0.utf8)) }
    }

    var logTail: String {
        String(((try? String(contentsOf: logFile, encoding: .utf8)) ?? "").suffix(2_000))
    }

    /// Closes stdin and sends SIGTERM; SIGKILL if the server is still there after 3 s.
    func stop() async {
        try? stdin.fileHandleForWriting.close()
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(3)
            while process.isRunning, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Access to this server with a literal token.
    func access(token: String = "test-token", trust: KubeAccess.Trust? = nil) -> KubeAccess {
        KubeAccess(
            server: url, trust: trust ?? .caFile(caFile), credentials: KubeCredentials(token: .literal(token)),
            namespace: "assay", origin: "test"
        )
    }
}

/// Records the pauses a client asks for and returns at once (after a token real pause, so a
/// loop that should not spin cannot take the machine).
final class RecordedSleeps: Sendable {
    private let recorded = Mutex<[Duration]>([])

    var durations: [Duration] { recorded.withLock { $0 } }

    @Sendable func sleep(_ duration: Duration) async throws {
        recorded.withLock { $0.append(duration) }
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// A client for tests: quick retries whose pauses are recorded, not slept.
func testClient(
    _ access: KubeAccess, sleeps: RecordedSleeps = RecordedSleeps(),
    configure: (inout KubeClientConfiguration) -> Void = { _ in }
) -> KubeClient {
    var configuration = KubeClientConfiguration()
    configuration.connectTimeout = .seconds(5)
    configuration.requestTimeout = .seconds(10)
    configure(&configuration)
    return KubeClient(access: access, logger: Logger(label: "assay.kube.test"), configuration: configuration, sleep: sleeps.sleep)
}

/// Waits until `condition` holds, failing after `timeout`.
func eventually(
    timeout: Duration = .seconds(30), _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
    throw KubeTestEnvironment.Failure(description: "timed out waiting for \(what)")
}
