import AssayCurl
import AssayKube
import Foundation
import Testing

@Suite("KubeClient requests against the fake API server")
struct ClientRequestTests {
    @Test func resourcePaths() {
        #expect(KubeResource.jobs.path(namespace: "assay") == "/apis/batch/v1/namespaces/assay/jobs")
        #expect(KubeResource.pods.path(namespace: "assay", name: "p-1") == "/api/v1/namespaces/assay/pods/p-1")
        #expect(KubeResource.secrets.path(namespace: "assay", name: "s") == "/api/v1/namespaces/assay/secrets/s")
        #expect(KubeResource.pods.path(namespace: "a", name: "../x") == "/api/v1/namespaces/a/pods/..%2Fx")
    }

    @Test func createPostsTheObjectWithTheTokenAndReturnsTheStoredOne() async throws {
        let stored = FakeKube.job("exp-1", resourceVersion: "42")
        try await FakeAPIServer.with([.json("POST", FakeKube.jobsPath, status: 201, stored)]) { server in
            let client = testClient(server.access(token: "sekrit-token"))
            let sent = JobObject(metadata: ReadMeta(name: "exp-1", labels: ["assay.dev/experiment": "exp-1"]), spec: .init(parallelism: 2))
            let job = try await client.create(sent, as: JobObject.self, in: .jobs, namespace: "assay")
            #expect(job.metadata.resourceVersion == "42")
            #expect(job.metadata.uid == "uid-exp-1")
            #expect(job.spec?.backoffLimit == 3)

            let request = try #require(try server.requests().first)
            #expect(request.method == "POST")
            #expect(request.path == FakeKube.jobsPath)
            #expect(request.headers["authorization"] == "Bearer sekrit-token")
            #expect(request.headers["content-type"] == "application/json")
            #expect(request.headers["accept"] == "application/json")
            let body = try #require(request.jsonBody)
            #expect((body["metadata"] as? [String: Any])?["name"] as? String == "exp-1")
            #expect((body["spec"] as? [String: Any])?["parallelism"] as? Int == 2)
            #expect(request.body.contains("assay.dev/experiment"), "slashes are not escaped")
            #expect(client.requestCount == 1)
        }
    }

    @Test func theDefaultNamespaceIsTheAccesss() async throws {
        try await FakeAPIServer.with([.json("GET", FakeKube.jobsPath + "/exp-1", FakeKube.job("exp-1", resourceVersion: "1"))]) { server in
            let job = try await testClient(server.access()).get(JobObject.self, .jobs, name: "exp-1")
            #expect(job.metadata.name == "exp-1")
        }
    }

    @Test func getOfAMissingObjectIsNotFound() async throws {
        let status = FakeKube.status(404, reason: "NotFound", message: "jobs.batch \"missing\" not found")
        try await FakeAPIServer.with([.json("GET", FakeKube.jobsPath + "/missing", status: 404, status)]) { server in
            let client = testClient(server.access())
            let error = await #expect(throws: KubeAPIError.self) {
                try await client.get(JobObject.self, .jobs, namespace: "assay", name: "missing")
            }
            #expect(error?.isNotFound == true)
            #expect(error?.reason == "NotFound")
            #expect(error?.message == "jobs.batch \"missing\" not found")
            #expect(error?.request == "GET /apis/batch/v1/namespaces/assay/jobs/missing")
            #expect(client.requestCount == 1, "404 is not retried")
        }
    }

    @Test func listFollowsContinueAndSendsTheSelector() async throws {
        let first = FakeKube.list(
            kind: "JobList", items: [FakeKube.job("a", resourceVersion: "5"), FakeKube.job("b", resourceVersion: "6")],
            resourceVersion: "100", continue: "page-2-token")
        let second = FakeKube.list(kind: "JobList", items: [FakeKube.job("c", resourceVersion: "7")], resourceVersion: "100")
        let rules: [FakeRule] = [
            .json("GET", FakeKube.jobsPath, query: ["continue": "page-2-token"], second),
            .json("GET", FakeKube.jobsPath, query: ["continue": nil], first),
        ]
        try await FakeAPIServer.with(rules) { server in
            let client = testClient(server.access())
            let list = try await client.list(JobObject.self, .jobs, namespace: "assay", labelSelector: "app.kubernetes.io/managed-by=assay,assay.dev/experiment")
            #expect(list.items.map(\.metadata.name) == ["a", "b", "c"])
            #expect(list.resourceVersion == "100")
            let requests = try server.requests()
            #expect(requests.count == 2)
            #expect(requests.allSatisfy { $0.query["limit"] == "500" })
            #expect(requests.allSatisfy { $0.query["labelSelector"] == "app.kubernetes.io/managed-by=assay,assay.dev/experiment" })
            #expect(requests.map { $0.query["continue"] } == [nil, "page-2-token"])
        }
    }

    @Test func anExpiredContinueTokenListsAgainWithoutPages() async throws {
        let first = FakeKube.list(kind: "PodList", items: [], resourceVersion: "100", continue: "old")
        let whole = FakeKube.list(kind: "PodList", items: [], resourceVersion: "200")
        let rules: [FakeRule] = [
            .json("GET", FakeKube.podsPath, query: ["continue": "old"], status: 410, FakeKube.status(410, reason: "Expired", message: "continue token expired")),
            .json("GET", FakeKube.podsPath, query: ["limit": nil], whole),
            .json("GET", FakeKube.podsPath, query: ["limit": "500"], first),
        ]
        try await FakeAPIServer.with(rules) { server in
            let list = try await testClient(server.access()).list(PodObject.self, .pods)
            #expect(list.resourceVersion == "200")
            #expect(try server.requests().count == 3)
        }
    }

    @Test(arguments: [(DeletePropagation.background, "Background"), (.foreground, "Foreground"), (.orphan, "Orphan")])
    func deleteSendsDeleteOptions(propagation: DeletePropagation, policy: String) async throws {
        let status: [String: Any] = ["kind": "Status", "apiVersion": "v1", "status": "Success"]
        try await FakeAPIServer.with([.json("DELETE", FakeKube.jobsPath + "/exp-1", status)]) { server in
            let deleted = try await testClient(server.access()).delete(.jobs, namespace: "assay", name: "exp-1", propagation: propagation)
            #expect(deleted)
            let request = try #require(try server.requests().first)
            #expect(request.method == "DELETE")
            let body = try #require(request.jsonBody)
            #expect(body["kind"] as? String == "DeleteOptions")
            #expect(body["apiVersion"] as? String == "v1")
            #expect(body["propagationPolicy"] as? String == policy)
            #expect(body.count == 3)
        }
    }

    @Test func deletingWhatIsAlreadyGoneIsFalseNotAnError() async throws {
        let status = FakeKube.status(404, reason: "NotFound", message: "secrets \"s\" not found")
        try await FakeAPIServer.with([.json("DELETE", "/api/v1/namespaces/assay/secrets/s", status: 404, status)]) { server in
            let deleted = try await testClient(server.access()).delete(.secrets, name: "s")
            #expect(deleted == false)
        }
    }

    @Test func podLogAsksForTheTail() async throws {
        var rule = FakeRule(method: "GET", path: FakeKube.podsPath + "/runner-1/log", query: ["tailLines": "50"], body: "line 1\nline 2\n")
        rule.headers = ["Content-Type": "text/plain"]
        try await FakeAPIServer.with([rule]) { server in
            let log = try await testClient(server.access()).podLog(namespace: "assay", name: "runner-1", tailLines: 50)
            #expect(log == "line 1\nline 2\n")
        }
    }

    // MARK: Errors

    @Test func forbiddenKeepsTheStatusMessageAndIsNotRetried() async throws {
        let message = "jobs.batch is forbidden: User \"system:serviceaccount:assay:assay\" cannot create resource \"jobs\" in API group \"batch\" in the namespace \"assay\""
        try await FakeAPIServer.with([.json("POST", FakeKube.jobsPath, status: 403, FakeKube.status(403, reason: "Forbidden", message: message))]) { server in
            let sleeps = RecordedSleeps()
            let client = testClient(server.access(), sleeps: sleeps)
            let error = await #expect(throws: KubeAPIError.self) {
                try await client.create(["kind": "Job"], as: JobObject.self, in: .jobs)
            }
            #expect(error?.isForbidden == true)
            #expect(error?.code == 403)
            #expect(error?.message == message)
            #expect(error?.request == "POST /apis/batch/v1/namespaces/assay/jobs")
            #expect(error?.description.contains(message) == true)
            #expect(error?.description.contains("POST /apis/batch/v1/namespaces/assay/jobs") == true)
            #expect(client.requestCount == 1)
            #expect(sleeps.durations.isEmpty)
        }
    }

    @Test func alreadyExistsIsRecognised() async throws {
        let status = FakeKube.status(409, reason: "AlreadyExists", message: "jobs.batch \"exp-1\" already exists")
        try await FakeAPIServer.with([.json("POST", FakeKube.jobsPath, status: 409, status)]) { server in
            let error = await #expect(throws: KubeAPIError.self) {
                try await testClient(server.access()).create(["kind": "Job"], as: JobObject.self, in: .jobs)
            }
            #expect(error?.isAlreadyExists == true)
            #expect(error?.isNotFound == false)
        }
    }

    @Test func unauthorizedSaysTheCredentialsWereRejectedWithoutTheToken() async throws {
        let status = FakeKube.status(401, reason: "Unauthorized", message: "Unauthorized")
        try await FakeAPIServer.with([.json("GET", FakeKube.jobsPath + "/j", status: 401, status)]) { server in
            let client = testClient(server.access(token: "do-not-print-me"))
            let error = await #expect(throws: KubeAPIError.self) { try await client.get(JobObject.self, .jobs, name: "j") }
            #expect(error?.isUnauthorized == true)
            let text = error?.description ?? ""
            #expect(text.hasPrefix("the Kubernetes API server rejected the credentials (401 Unauthorized)"), "\(text)")
            #expect(!text.contains("do-not-print-me"))
            #expect(client.requestCount == 1, "a literal token cannot change, so it is not sent again")
        }
    }

    @Test func aBodyThatIsNotAStatusBecomesTheMessage() async throws {
        let rule = FakeRule(method: "GET", path: FakeKube.jobsPath + "/j", status: 400, body: "<html>proxy says no</html>")
        try await FakeAPIServer.with([rule]) { server in
            let error = await #expect(throws: KubeAPIError.self) {
                try await testClient(server.access()).get(JobObject.self, .jobs, name: "j")
            }
            #expect(error?.code == 400)
            #expect(error?.reason == nil)
            #expect(error?.message == "<html>proxy says no</html>")
        }
    }

    @Test func anAnswerOfTheWrongShapeIsAnInvalidResponse() async throws {
        try await FakeAPIServer.with([.json("GET", FakeKube.jobsPath + "/j", ["metadata": ["noName": true]])]) { server in
            let error = await #expect(throws: KubeClientError.self) {
                try await testClient(server.access()).get(JobObject.self, .jobs, name: "j")
            }
            #expect(error?.kind == .invalidResponse)
            #expect(error?.description.contains("JobObject") == true)
        }
    }

    // MARK: Credentials

    @Test func aClientCertificateFromAKubeconfigIsPresented() async throws {
        try await FakeAPIServer.with([.json("GET", FakeKube.jobsPath + "/j", FakeKube.job("j", resourceVersion: "1"))], clientCA: true) { server in
            let certificate = try Data(contentsOf: server.clientCertificate).base64EncodedString()
            let key = try Data(contentsOf: server.clientKey).base64EncodedString()
            let authority = try Data(contentsOf: server.caFile).base64EncodedString()
            let kubeconfig = server.directory.appending(path: "kubeconfig")
            try """
                apiVersion: v1
                kind: Config
                current-context: fake
                clusters:
                - name: fake
                  cluster:
                    server: \(server.url.absoluteString)
                    certificate-authority-data: \(authority)
                contexts:
                - name: fake
                  context: {cluster: fake, user: cert-user, namespace: assay}
                users:
                - name: cert-user
                  user:
                    client-certificate-data: \(certificate)
                    client-key-data: \(key)
                """.write(to: kubeconfig, atomically: true, encoding: .utf8)
            let access = try KubeAccess.kubeconfig(path: kubeconfig, environment: [:])
            _ = try await testClient(access).get(JobObject.self, .jobs, name: "j")
            let request = try #require(try server.requests().first)
            #expect(request.client_cn == "assay-client")
            #expect(request.headers["authorization"] == nil)
        }
    }

    @Test func aRotatedServiceAccountTokenIsSentWithTheNextRequest() async throws {
        let job = FakeKube.job("j", resourceVersion: "1")
        try await FakeAPIServer.with([.json("GET", FakeKube.jobsPath + "/j", job)]) { server in
            let account = server.directory.appending(path: "serviceaccount")
            try FileManager.default.createDirectory(at: account, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: server.caFile, to: account.appending(path: "ca.crt"))
            try "assay".write(to: account.appending(path: "namespace"), atomically: true, encoding: .utf8)
            try "first-token".write(to: account.appending(path: "token"), atomically: true, encoding: .utf8)
            let environment = ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "\(server.port)"]
            let client = testClient(try KubeAccess.inCluster(directory: account, environment: environment))

            _ = try await client.get(JobObject.self, .jobs, name: "j")
            try "second-token".write(to: account.appending(path: "token"), atomically: true, encoding: .utf8)
            _ = try await client.get(JobObject.self, .jobs, name: "j")
            #expect(try server.requests().map { $0.headers["authorization"] } == ["Bearer first-token", "Bearer second-token"])
        }
    }

    @Test func a401ReReadsTheTokenFileOnceAndRetries() async throws {
        // The server holds the 401 for the old token back until the test has replaced the
        // file: the token changed after it was read for the request.
        var refused = FakeRule(method: "GET", path: FakeKube.jobsPath + "/j", header: ["Authorization": "Bearer old-token"])
        refused.status = 401
        refused.chunks = [(FakeKube.text(FakeKube.status(401, reason: "Unauthorized", message: "Unauthorized")), 1.0)]
        let accepted = FakeRule.json("GET", FakeKube.jobsPath + "/j", FakeKube.job("j", resourceVersion: "1"))
        try await FakeAPIServer.with([refused, accepted]) { server in
            let tokenFile = server.directory.appending(path: "token")
            try "old-token".write(to: tokenFile, atomically: true, encoding: .utf8)
            let access = KubeAccess(
                server: server.url, trust: .caFile(server.caFile),
                credentials: KubeCredentials(token: .file(tokenFile, source: "test")), namespace: "assay", origin: "test")
            let client = testClient(access)
            async let job = client.get(JobObject.self, .jobs, name: "j")
            try await eventually("the first request") { try server.requests().count == 1 }
            try rewriteInPlace(tokenFile, "new-token")
            #expect(try await job.metadata.name == "j")
            #expect(try server.requests().map { $0.headers["authorization"] } == ["Bearer old-token", "Bearer new-token"])
        }
    }

    @Test func an401WithAnUnchangedTokenFileIsNotRetried() async throws {
        let status = FakeKube.status(401, reason: "Unauthorized", message: "Unauthorized")
        try await FakeAPIServer.with([.json("GET", FakeKube.jobsPath + "/j", status: 401, status)]) { server in
            let tokenFile = server.directory.appending(path: "token")
            try "stale-token".write(to: tokenFile, atomically: true, encoding: .utf8)
            let access = KubeAccess(
                server: server.url, trust: .caFile(server.caFile),
                credentials: KubeCredentials(token: .file(tokenFile, source: "test")), namespace: "assay", origin: "test")
            let client = testClient(access)
            let error = await #expect(throws: KubeAPIError.self) { try await client.get(JobObject.self, .jobs, name: "j") }
            #expect(error?.isUnauthorized == true)
            #expect(client.requestCount == 1)
        }
    }

    @Test func anUnreadableTokenFileIsACredentialsError() async throws {
        let access = KubeAccess(
            server: URL(string: "https://127.0.0.1:9")!, trust: .system,
            credentials: KubeCredentials(token: .file(URL(filePath: "/nonexistent/token"), source: "test")),
            namespace: "assay", origin: "test")
        let error = await #expect(throws: KubeClientError.self) {
            try await testClient(access).get(JobObject.self, .jobs, name: "j")
        }
        #expect(error?.kind == .credentials)
        #expect(error?.description.contains("/nonexistent/token") == true)
    }
}
