@testable import AssayServer
import AssayStore
import AssayTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct RunnerRouteTests {
    @Test(arguments: StoreKind.allCases)
    func aRunnerLeasesTrialsAndReportsThem(kind: StoreKind) async throws {
        let store = try await kind.open()
        let executor = RecordingExecutor()
        try await withServer(store, executor: executor) { client in
            let token = try await client.userToken("alice")
            let artifact = try await client.artifactID(token: token)
            let created = try await client.send(
                .post, "/api/v1/experiments", json: ["declaration": declaration(), "artifact": artifact], token: token)
            let id = try #require(created.json["id"] as? String)
            #expect(!String(buffer: created.body).contains("asr_"))
            let runnerToken = try #require(executor.runnerToken(of: id))
            #expect(runnerToken.hasPrefix("asr_"))
            let base = "/api/v1/runner/experiments/\(id)"

            let spec = try await client.send(.get, "\(base)/spec", token: runnerToken)
            #expect(spec.status == .ok)
            #expect(spec.json["trials"] as? Int == 6)
            #expect(spec.json["maxAttempts"] as? Int == 2)
            #expect((spec.json["artifact"] as? [String: Any])?["id"] as? String == artifact)
            let download = try await client.send(.get, "\(base)/artifact", token: runnerToken)
            #expect(Array(download.body.readableBytesView) == artifactBytes(100))

            let lease = try await client.send(.post, "\(base)/lease", json: ["runner": "r1", "max": 2], token: runnerToken)
            #expect(lease.status == .ok)
            #expect((lease.json["leases"] as? [[String: Any]])?.compactMap { $0["index"] as? Int } == [0, 1])
            #expect(lease.json["status"] as? String == "running")

            let batch: [String: Any] = ["runner": "r1", "seq": 1, "events": [
                ["type": "metrics", "trial": 0, "attempt": 1, "steps": [1, 2], "metrics": ["loss": [0.5, NSNull()]]],
                ["type": "log", "trial": 0, "attempt": 1, "stream": "stdout", "lines": ["hello"]],
                ["type": "finished", "trial": 0, "attempt": 1, "status": "succeeded", "exitCode": 0, "seconds": 1.25, "metrics": ["loss": 0.25]],
            ]]
            let applied = try await client.send(.post, "\(base)/events", json: batch, token: runnerToken)
            #expect(applied.status == .ok)
            #expect(applied.json["duplicate"] as? Bool == false)
            let again = try await client.send(.post, "\(base)/events", json: batch, token: runnerToken)
            #expect(again.json["duplicate"] as? Bool == true)

            let trials = try await client.send(.get, "/api/v1/experiments/\(id)/trials?status=succeeded", token: token)
            let trial = try #require((trials.json["items"] as? [[String: Any]])?.first)
            #expect(trial["index"] as? Int == 0)
            #expect((trial["metrics"] as? [String: Any])?["loss"] as? Double == 0.25)
            let logs = try await client.send(.get, "/api/v1/experiments/\(id)/trials/0/logs", token: token)
            #expect((logs.json["lines"] as? [[String: Any]])?.compactMap { $0["text"] as? String } == ["hello"])

            let bad = try await client.send(.post, "\(base)/events", json: ["runner": "r1", "seq": 2, "events": [
                ["type": "metrics", "trial": 1, "attempt": 1, "steps": [1, 2], "metrics": ["loss": [0.5]]],
            ]], token: runnerToken)
            #expect(bad.status == .badRequest)
            let tooMany = try await client.send(.post, "\(base)/lease", json: ["runner": "r1", "max": 0], token: runnerToken)
            #expect(tooMany.status == .unprocessableContent)
        }
    }

    /// 401 without a token, 403 for another experiment's runner token or a user's token.
    @Test(arguments: StoreKind.allCases)
    func aRunnerTokenOpensOnlyItsOwnExperiment(kind: StoreKind) async throws {
        let store = try await kind.open()
        let executor = RecordingExecutor()
        let clock = TestClock()
        try await withServer(store, clock: clock, executor: executor) { client in
            let token = try await client.userToken("alice")
            let artifact = try await client.artifactID(token: token)
            let first = try await client.createExperiment(token: token, artifact: artifact)
            let second = try await client.createExperiment(token: token, artifact: artifact)
            let firstToken = try #require(executor.runnerToken(of: first))
            for (method, path, json) in [
                (HTTPRequest.Method.get, "spec", nil), (.get, "artifact", nil),
                (.post, "lease", ["runner": "r1", "max": 1] as [String: Any]),
                (.post, "events", ["runner": "r1", "seq": 1, "events": [[String: Any]]()] as [String: Any]),
                (.post, "claim-notification", ["runner": "r1"]),
                (.post, "notification-result", ["runner": "r1", "sent": true]),
                (.post, "setup-failed", ["runner": "r1", "reason": "pip failed"]),
            ] {
                let uri = "/api/v1/runner/experiments/\(second)/\(path)"
                #expect(try await client.send(method, uri, json: json).status == .unauthorized, "\(uri)")
                #expect(try await client.send(method, uri, json: json, token: "asr_unknown").status == .unauthorized, "\(uri)")
                #expect(try await client.send(method, uri, json: json, token: firstToken).status == .forbidden, "\(uri)")
                #expect(try await client.send(method, uri, json: json, token: token).status == .forbidden, "\(uri)")
                let own = try await client.send(method, "/api/v1/runner/experiments/\(first)/\(path)", json: json, token: firstToken)
                #expect(own.status == (path == "notification-result" ? .noContent : .ok), "\(path)")
            }
            clock.advance(ServerEnvironment().runnerTokenLifetime + 1)
            #expect(try await client.send(.get, "/api/v1/runner/experiments/\(first)/spec", token: firstToken).status == .unauthorized)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aFailedSetupFailsTheExperimentAndOneRunnerClaimsTheMail(kind: StoreKind) async throws {
        let store = try await kind.open()
        let executor = RecordingExecutor()
        var configuration = testConfiguration()
        configuration.smtp = .init(url: URL(string: "smtp://mail.test:587")!, user: "assay", password: "mail-secret", from: "assay@test")
        try await withServer(store, configuration: configuration, executor: executor) { client in
            let token = try await client.userToken("alice")
            var mailed = declaration()
            mailed["notify"] = ["email": ["alice@example.org"]]
            let id = try await client.createExperiment(token: token, artifact: try await client.artifactID(token: token), declaration: mailed)
            let runnerToken = try #require(executor.runnerToken(of: id))
            let base = "/api/v1/runner/experiments/\(id)"

            let early = try await client.send(.post, "\(base)/claim-notification", json: ["runner": "r1"], token: runnerToken)
            #expect(early.json["granted"] as? Bool == false)
            #expect(early.json["smtp"] == nil)

            let empty = try await client.send(.post, "\(base)/setup-failed", json: ["runner": "r1", "reason": " "], token: runnerToken)
            #expect(empty.status == .unprocessableContent)
            let failed = try await client.send(
                .post, "\(base)/setup-failed", json: ["runner": "r1", "reason": "setup exited with 1"], token: runnerToken)
            #expect(failed.json["status"] as? String == "failed")
            let detail = try await client.send(.get, "/api/v1/experiments/\(id)", token: token)
            #expect(detail.json["status"] as? String == "failed")
            #expect(detail.json["reason"] as? String == "setup exited with 1")

            let claim = try await client.send(.post, "\(base)/claim-notification", json: ["runner": "r1"], token: runnerToken)
            #expect(claim.json["granted"] as? Bool == true)
            #expect((claim.json["smtp"] as? [String: Any])?["password"] as? String == "mail-secret")
            let mail = try #require(claim.json["mail"] as? [String: Any])
            #expect(mail["to"] as? [String] == ["alice@example.org"])
            #expect((mail["experiment"] as? [String: Any])?["status"] as? String == "failed")
            #expect((mail["experiment"] as? [String: Any])?["reason"] as? String == "setup exited with 1")
            #expect(mail["url"] == nil || mail["url"] is NSNull, "no public URL configured")
            #expect((mail["resultsCsv"] as? String)?.hasPrefix("trial,repeat,status") == true)
            let second = try await client.send(.post, "\(base)/claim-notification", json: ["runner": "r2"], token: runnerToken)
            #expect(second.json["granted"] as? Bool == false)
            #expect(!String(buffer: second.body).contains("mail-secret"))

            // A failed mail may be claimed again; a sent one never.
            let failedMail = try await client.send(
                .post, "\(base)/notification-result", json: ["runner": "r1", "sent": false, "error": "550"], token: runnerToken)
            #expect(failedMail.status == .noContent)
            let retry = try await client.send(.post, "\(base)/claim-notification", json: ["runner": "r2"], token: runnerToken)
            #expect(retry.json["granted"] as? Bool == true)
            let sent = try await client.send(.post, "\(base)/notification-result", json: ["runner": "r2", "sent": true], token: runnerToken)
            #expect(sent.status == .noContent)
            let late = try await client.send(.post, "\(base)/claim-notification", json: ["runner": "r3"], token: runnerToken)
            #expect(late.json["granted"] as? Bool == false)
            let record = try await store.experiment(id: id, owner: nil)
            #expect(record?.notification.state == .sent)
        }
    }
}

@Suite struct NotificationClaimTests {
    @Test func nothingIsClaimedWithoutRecipientsOrWithoutSMTP() async throws {
        let store = try await StoreKind.sqlite.open()
        for smtp in [false, true] {
            let executor = RecordingExecutor()
            var configuration = testConfiguration()
            if smtp { configuration.smtp = .init(url: URL(string: "smtp://mail.test:25")!, startTLS: .off) }
            try await withServer(store, configuration: configuration, executor: executor) { client in
                let token = try await client.userToken("u\(smtp)")
                var mailed = declaration()
                mailed["notify"] = ["email": ["u@example.org"]]
                let withRecipients = try await client.createExperiment(
                    token: token, artifact: try await client.artifactID(token: token), declaration: smtp ? declaration() : mailed)
                let runnerToken = try #require(executor.runnerToken(of: withRecipients))
                let base = "/api/v1/runner/experiments/\(withRecipients)"
                _ = try await client.send(.post, "\(base)/setup-failed", json: ["runner": "r1", "reason": "broken"], token: runnerToken)
                let claim = try await client.send(.post, "\(base)/claim-notification", json: ["runner": "r1"], token: runnerToken)
                #expect(claim.json["granted"] as? Bool == false)
                #expect((claim.json["reason"] as? String)?.contains(smtp ? "no recipients" : "no SMTP") == true)
                let record = try #require(try await store.experiment(id: withRecipients, owner: nil))
                #expect(record.notification.state == .pending)
            }
        }
    }

    @Test func theMailLinksToTheExperimentPageAndRanksTheBestTrials() async throws {
        let store = try await StoreKind.sqlite.open()
        let executor = RecordingExecutor()
        var configuration = testConfiguration()
        configuration.smtp = .init(url: URL(string: "smtp://mail.test:25")!, startTLS: .off)
        configuration.publicURL = URL(string: "https://assay.example.org")
        try await withServer(store, configuration: configuration, executor: executor) { client in
            let token = try await client.userToken("bob")
            var mailed = declaration(lrCount: 2)
            mailed["notify"] = ["email": ["bob@example.org", "team@example.org"]]
            mailed["objective"] = ["metric": "loss", "goal": "minimize"]
            let id = try await client.createExperiment(token: token, artifact: try await client.artifactID(token: token), declaration: mailed)
            let runnerToken = try #require(executor.runnerToken(of: id))
            let base = "/api/v1/runner/experiments/\(id)"
            let leased = try await client.send(.post, "\(base)/lease", json: ["runner": "r1", "max": 10], token: runnerToken)
            let leases = try #require(leased.json["leases"] as? [[String: Any]])
            let events: [[String: Any]] = leases.compactMap { $0["index"] as? Int }.map { index in
                ["type": "finished", "trial": index, "attempt": 1, "status": "succeeded", "exitCode": 0, "seconds": 1.0,
                 "metrics": ["loss": Double(10 - index)]]
            }
            let applied = try await client.send(.post, "\(base)/events", json: ["runner": "r1", "seq": 1, "events": events], token: runnerToken)
            #expect(applied.json["status"] as? String == "completed")
            let claim = try await client.send(.post, "\(base)/claim-notification", json: ["runner": "r1"], token: runnerToken)
            let mail = try #require(claim.json["mail"] as? [String: Any])
            #expect(mail["url"] as? String == "https://assay.example.org/#/experiments/\(id)")
            #expect(mail["to"] as? [String] == ["bob@example.org", "team@example.org"])
            let best = try #require(mail["best"] as? [[String: Any]])
            #expect(best.count == 4)
            #expect(best.first?["trial"] as? Int == 3, "lowest loss first")
            #expect((mail["experiment"] as? [String: Any])?["counts"].flatMap { ($0 as? [String: Any])?["succeeded"] as? Int } == 4)
            #expect((mail["objective"] as? [String: Any])?["goal"] as? String == "minimize")
        }
    }
}

/// A batch's `active` list: what the Runner still runs, answered in `revokedAttempts` when
/// its lease was lost, though no event names it.
extension RunnerRouteTests {
    @Test(arguments: StoreKind.allCases)
    func aTrialReLeasedToAnotherRunnerIsRevokedWhenOnlyListedActive(kind: StoreKind) async throws {
        let store = try await kind.open()
        let executor = RecordingExecutor()
        let clock = TestClock()
        try await withServer(store, clock: clock, executor: executor) { client in
            let token = try await client.userToken("alice")
            let id = try await client.createExperiment(token: token, artifact: try await client.artifactID(token: token))
            let runnerToken = try #require(executor.runnerToken(of: id))
            let base = "/api/v1/runner/experiments/\(id)"
            func post(_ runner: String, _ seq: Int, active: [[String: Any]]?) async throws -> TestResponse {
                var batch: [String: Any] = ["runner": runner, "seq": seq, "events": [[String: Any]]()]
                if let active { batch["active"] = active }
                return try await client.send(.post, "\(base)/events", json: batch, token: runnerToken)
            }
            func revoked(_ response: TestResponse) -> [String] {
                (response.json["revokedAttempts"] as? [[String: Any]] ?? []).map { "\($0["trial"] ?? "?").\($0["attempt"] ?? "?")" }
            }

            let first = try await client.send(.post, "\(base)/lease", json: ["runner": "r1", "max": 1], token: runnerToken)
            #expect((first.json["leases"] as? [[String: Any]])?.first?["attempt"] as? Int == 1)
            let held = try await post("r1", 1, active: [["trial": 0, "attempt": 1]])
            #expect(held.status == .ok)
            #expect(revoked(held) == [] && held.json["revoked"] as? [Int] == [])

            // r1 loses the server for longer than its lease; r2 gets trial 0 as attempt 2.
            clock.advance(testConfiguration().leaseSeconds + 1)
            let second = try await client.send(.post, "\(base)/lease", json: ["runner": "r2", "max": 1], token: runnerToken)
            let grant = try #require((second.json["leases"] as? [[String: Any]])?.first)
            #expect(grant["index"] as? Int == 0 && grant["attempt"] as? Int == 2)

            // Back, r1 sends a keep-alive naming no event: the trial is revoked all the same.
            let back = try await post("r1", 2, active: [["trial": 0, "attempt": 1]])
            #expect(back.status == .ok)
            #expect(back.json["duplicate"] as? Bool == false)
            #expect(revoked(back) == ["0.1"])
            #expect(back.json["revoked"] as? [Int] == [0])
            // The same batch again (its answer lost) answers the same.
            #expect(revoked(try await post("r1", 2, active: [["trial": 0, "attempt": 1]])) == ["0.1"])
            // r2 holds it; a Runner that sends no `active` still gets an answer.
            #expect(revoked(try await post("r2", 1, active: [["trial": 0, "attempt": 2]])) == [])
            let old = try await post("r1", 3, active: nil)
            #expect(old.status == .ok && revoked(old) == [])
            let trial = try #require(try await store.trial(experiment: id, index: 0, owner: nil))
            #expect(trial.runner == "r2" && trial.status == .running && trial.attempts.map(\.runner) == ["r1", "r2"])

            // Decoded strictly: unknown fields are errors, at the top and in `active`.
            let unknown = try await post("r1", 4, active: [["trial": 0, "attempt": 1, "runner": "r1"]])
            #expect(unknown.status == .badRequest)
            #expect(unknown.error.message == #"unknown field "active[0].runner""#)
            let missing = try await post("r1", 5, active: [["trial": 0]])
            #expect(missing.status == .badRequest && missing.error.message.contains("attempt"))
            let topLevel = try await client.send(
                .post, "\(base)/events", json: ["runner": "r1", "seq": 6, "events": [[String: Any]](), "running": []], token: runnerToken)
            #expect(topLevel.status == .badRequest && topLevel.error.message == #"unknown field "running""#)
            let tooMany = try await post("r1", 7, active: (0...RunnerController.maxActive).map { ["trial": $0, "attempt": 1] })
            #expect(tooMany.status == .unprocessableContent)
        }
    }
}
