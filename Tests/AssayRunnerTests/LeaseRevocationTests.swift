import AssayCore
@testable import AssayRunner
@testable import AssayServer
import AssayStore
import Foundation
import Testing

/// Every batch lists the attempts the Runner still runs, and the Runner stops exactly the
/// ones the server takes back.
@Suite("Lease revocation")
struct LeaseRevocationTests {
    /// The gap `active` closes: a trial that reports nothing, whose lease ran out (as when
    /// the Runner cannot reach the server for longer than a lease) and went to another
    /// Runner, is stopped at the Runner's next keep-alive instead of running twice at once.
    @Test func aSilentTrialWhoseLeaseWentToAnotherRunnerIsStopped() async throws {
        try await TestServer.run { server in
            let sandbox = try Sandbox()
            defer { sandbox.remove() }
            let pidFile = sandbox.url("trial.pid").path
            let declaration = RunnerFixture.declaration(
                values: [1], command: ["sh", "-c", "echo $$ > \(pidFile); exec sleep 60"], extra: ["trial": ["retries": 1]])
            let (id, token) = try await server.createExperiment(declaration, artifact: try RunnerFixture.artifact(in: sandbox))
            let recording = FlakyServer(server.runnerServer(id, token: token), failures: 0)
            let run = Task { await RunnerFixture.runner(recording, in: sandbox, id: "r1").run() }
            var pid: pid_t?
            for _ in 0..<400 where pid == nil || recording.posts.isEmpty {
                pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                try await Task.sleep(for: .milliseconds(25))
            }
            let trial = try #require(pid)
            #expect(kill(trial, 0) == 0, "the trial runs")
            let running = AttemptKey(trial: 0, attempt: 1)
            #expect(recording.posts.first?.active == [running], "a keep-alive lists the running attempt")

            // Past its deadline by the server's clock, the lease is handed to r2.
            let leaseSeconds = try await server.experiment(id).leaseSeconds
            let grants = try await server.store.lease(experiment: id, runner: "r2", max: 1, now: Date().addingTimeInterval(leaseSeconds + 1))
            #expect(grants.map(\.attempt) == [2])

            // r1 stops its copy at its next keep-alive (it stays, idle, until the experiment is final).
            for _ in 0..<400 where kill(trial, 0) == 0 { try await Task.sleep(for: .milliseconds(25)) }
            #expect(kill(trial, 0) == -1 && errno == ESRCH, "r1's copy of the trial is gone")

            let revoking = try #require(recording.posts.first { $0.answer?.revokedAttempts?.isEmpty == false })
            #expect(revoking.events.isEmpty, "no event named the trial")
            #expect(revoking.active == [running])
            #expect(revoking.answer?.revokedAttempts == [running])
            #expect(revoking.answer?.status == .running)
            // r1 reported no end for the attempt it stopped: r2's attempt runs on undisturbed.
            let stored = try #require(try await server.trials(id).first)
            #expect(stored.status == .running && stored.runner == "r2")
            #expect(stored.attempts.map(\.runner) == ["r1", "r2"])
            #expect(stored.attempts.map(\.status) == [.failed, .running])
            #expect(stored.attempts.first?.reason == "lease expired")
            #expect(recording.posts.allSatisfy { $0.events.isEmpty }, "the trial printed nothing")

            // Once the experiment is final, the idle r1 ends.
            let owner = try await server.experiment(id).owner
            _ = try await server.store.cancelExperiment(id: id, owner: owner, now: Date())
            #expect(await run.value == .finished)
        }
    }

    /// From a server that names only trials, the attempts of those trials that the batch
    /// reported on or listed as running are the ones lost.
    @Test func anAnswerWithoutAttemptsMeansTheBatchsAttemptsOfTheRevokedTrials() {
        let batch = EventBatch(runner: "r1", seq: 3, events: [
            .log(trial: 1, attempt: 1, stream: .stdout, lines: ["late"]),
            .log(trial: 2, attempt: 1, stream: .stdout, lines: ["kept"]),
        ], active: [AttemptKey(trial: 4, attempt: 2), AttemptKey(trial: 5, attempt: 1)])
        let old = BatchAnswer(duplicate: false, status: .running, revoked: [1, 4])
        #expect(old.lostAttempts(of: batch) == [AttemptKey(trial: 1, attempt: 1), AttemptKey(trial: 4, attempt: 2)])
        let exact = BatchAnswer(duplicate: false, status: .running, revoked: [4], revokedAttempts: [AttemptKey(trial: 4, attempt: 2)])
        #expect(exact.lostAttempts(of: batch) == [AttemptKey(trial: 4, attempt: 2)])
    }

    /// The answer as the server sends it decodes, with or without `revokedAttempts`.
    @Test func answersDecodeFromNewAndOldServers() throws {
        let new = try JSONDecoder().decode(BatchAnswer.self, from: Data("""
            {"duplicate": false, "status": "running", "revoked": [0], "revokedAttempts": [{"trial": 0, "attempt": 1}]}
            """.utf8))
        #expect(new.revokedAttempts == [AttemptKey(trial: 0, attempt: 1)])
        let old = try JSONDecoder().decode(BatchAnswer.self, from: Data(#"{"duplicate": true, "status": "running", "revoked": []}"#.utf8))
        #expect(old.revokedAttempts == nil && old.duplicate)
    }
}
