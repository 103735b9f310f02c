import AssayCore
@testable import AssayRunner
@testable import AssayServer
import AssayStore
import Foundation
import Testing

/// The Runner against the real server application (SQLite store, router test client).
@Suite("Runner against the server")
struct RunnerLoopTests {
    @Test func aSmallSweepCompletesWithEveryTrialRunOnce() async throws {
        try await TestServer.run { server in
            let sandbox = try Sandbox()
            defer { sandbox.remove() }
            let (id, token) = try await server.createExperiment(RunnerFixture.declaration(), artifact: try RunnerFixture.artifact(in: sandbox))
            let exit = await RunnerFixture.runner(server.runnerServer(id, token: token), in: sandbox, id: "r1").run()
            #expect(exit == .finished)

            let experiment = try await server.experiment(id)
            #expect(experiment.status == .completed)
            #expect(experiment.counts == TrialCounts(succeeded: 6))
            let trials = try await server.trials(id)
            #expect(trials.map(\.index) == Array(0..<6))
            for trial in trials {
                #expect(trial.status == .succeeded)
                #expect(trial.attempts.map(\.runner) == ["r1"], "trial \(trial.index) ran once")
                #expect(trial.final == Metrics([("loss", .number(Double("0.0\(trial.index + 1)")!))]))
            }
            let series = try await server.store.metricSeries(experiment: id, trial: 2, owner: nil)
            #expect(series.flatMap(\.steps) == [1, 2])
            #expect(series.flatMap { $0.values["loss"] ?? [] } == [0.3, 0.03])
            let logs = try await server.store.logs(experiment: id, trial: 2, owner: nil, limit: 100)
            #expect(logs.contains(LogLine(attempt: 1, stream: .stdout, text: "starting trial 2 x=3")))
            #expect(logs.contains(LogLine(attempt: 1, stream: .stderr, text: "warming up")))
            #expect(!logs.contains { $0.text.contains("asr_secret") })
        }
    }

    @Test func twoRunnersShareTheWorkAndOneSendsTheMail() async throws {
        let smtp = ServerConfiguration.SMTP(url: URL(string: "smtp://mail.test:587")!, user: "assay", password: "mail-secret", from: "assay@test")
        try await TestServer.run(smtp: smtp) { server in
            let sandbox = try Sandbox()
            defer { sandbox.remove() }
            let declaration = RunnerFixture.declaration(command: ["./train.sh", "{x}", "0.3"], extra: ["notify": ["email": ["me@example.org"]]])
            let (id, token) = try await server.createExperiment(declaration, artifact: try RunnerFixture.artifact(in: sandbox))
            let notifiers = [RecordingNotifier(), RecordingNotifier()]
            async let first = RunnerFixture.runner(server.runnerServer(id, token: token), in: sandbox, id: "r1", slots: 1, notifier: notifiers[0]).run()
            async let second = RunnerFixture.runner(server.runnerServer(id, token: token), in: sandbox, id: "r2", slots: 1, notifier: notifiers[1]).run()
            #expect(await [first, second] == [.finished, .finished])

            let trials = try await server.trials(id)
            #expect(trials.count == 6)
            #expect(trials.allSatisfy { $0.status == .succeeded && $0.attempts.count == 1 }, "no trial ran twice")
            #expect(Set(trials.flatMap { $0.attempts.map(\.runner) }) == ["r1", "r2"])
            #expect(try await server.experiment(id).status == .completed)

            let claims = notifiers.flatMap(\.claims)
            #expect(claims.count == 1, "exactly one Runner sends the mail")
            #expect(claims.first?.smtp?.url == "smtp://mail.test:587")
            #expect(claims.first?.smtp?.password == "mail-secret")
            #expect(try await server.experiment(id).notification.state == .sent)
        }
    }

    @Test func aFailedAttemptIsRetriedThroughTheQueue() async throws {
        try await TestServer.run { server in
            let sandbox = try Sandbox()
            defer { sandbox.remove() }
            let declaration = RunnerFixture.declaration(values: [7], command: ["./train.sh", "{x}", "0", "1"], extra: ["trial": ["retries": 1]])
            let (id, token) = try await server.createExperiment(declaration, artifact: try RunnerFixture.artifact(in: sandbox))
            #expect(await RunnerFixture.runner(server.runnerServer(id, token: token), in: sandbox, id: "r1", slots: 1).run() == .finished)
            let trial = try #require(try await server.trials(id).first)
            #expect(trial.status == .succeeded)
            #expect(trial.attempts.map(\.status) == [.failed, .succeeded])
            #expect(trial.attempts.first?.reason == "exited with 1")
            #expect(try await server.experiment(id).status == .completed)
        }
    }

    @Test func aFailingSetupFailsTheExperimentWithItsOutput() async throws {
        let smtp = ServerConfiguration.SMTP(url: URL(string: "smtp://mail.test:25")!, user: nil, password: nil, from: "assay@test")
        try await TestServer.run(smtp: smtp) { server in
            let sandbox = try Sandbox()
            defer { sandbox.remove() }
            let declaration = RunnerFixture.declaration(extra: [
                "setup": ["sh", "-c", "test -x train.sh && echo installing && echo 'no GPU here' >&2 && exit 1"],
                "notify": ["email": ["me@example.org"]],
            ])
            let (id, token) = try await server.createExperiment(declaration, artifact: try RunnerFixture.artifact(in: sandbox))
            let notifier = RecordingNotifier(delivery: .failed("mail server down"))
            let exit = await RunnerFixture.runner(server.runnerServer(id, token: token), in: sandbox, id: "r1", notifier: notifier).run()
            let reason = "setup sh -c test -x train.sh && echo installing && echo 'no GPU here' >&2 && exit 1 exited with 1:\nno GPU here"
            #expect(exit == .setupFailed(reason))
            #expect(exit.code == 2)
            let experiment = try await server.experiment(id)
            #expect(experiment.status == .failed)
            #expect(experiment.reason == reason)
            #expect(try await server.trials(id).isEmpty, "no trial was leased")
            #expect(notifier.claims.count == 1, "the failure is mailed too")
            #expect(experiment.notification.state == .failed)
            #expect(experiment.notification.lastError == "mail server down")
        }
    }

    @Test func aMaliciousArtifactIsRefusedWithTheUnpackersReason() async throws {
        try await TestServer.run { server in
            let sandbox = try Sandbox()
            defer { sandbox.remove() }
            let zip = try RunnerFixture.artifact(in: sandbox, extra: [.file("../../../evil.sh", "rm -rf ~")])
            let (id, token) = try await server.createExperiment(RunnerFixture.declaration(), artifact: zip)
            let exit = await RunnerFixture.runner(server.runnerServer(id, token: token), in: sandbox, id: "r1").run()
            let reason = "artifact entry \"../../../evil.sh\" climbs out of the work folder with \"..\""
            #expect(exit == .setupFailed(reason))
            let experiment = try await server.experiment(id)
            #expect(experiment.status == .failed)
            #expect(experiment.reason == reason)
            #expect(!sandbox.listing().contains { $0.hasSuffix("evil.sh") })
            #expect(!FileManager.default.fileExists(atPath: sandbox.url("work/r1/code").path))
            #expect(!FileManager.default.fileExists(atPath: sandbox.root.deletingLastPathComponent().appending(path: "evil.sh").path))
        }
    }

    @Test func cancellingTheExperimentKillsTheRunningTrial() async throws {
        try await TestServer.run { server in
            let sandbox = try Sandbox()
            defer { sandbox.remove() }
            let pidFile = sandbox.url("trial.pid").path
            let declaration = RunnerFixture.declaration(values: [1], command: ["sh", "-c", "echo $$ > \(pidFile); exec sleep 60"])
            let (id, token) = try await server.createExperiment(declaration, artifact: try RunnerFixture.artifact(in: sandbox))
            let runner = RunnerFixture.runner(server.runnerServer(id, token: token), in: sandbox, id: "r1")
            let run = Task { await runner.run() }
            var pid: pid_t?
            for _ in 0..<400 where pid == nil {
                pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                if pid == nil { try await Task.sleep(for: .milliseconds(25)) }
            }
            let trial = try #require(pid)
            #expect(kill(trial, 0) == 0, "the trial runs")
            try await server.cancel(id)
            let started = ContinuousClock.now
            #expect(await run.value == .finished)
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(kill(trial, 0) == -1 && errno == ESRCH, "the trial's process is gone")
            #expect(try await server.experiment(id).status == .canceled)
        }
    }

    @Test func lostPostsLoseAndDuplicateNothing() async throws {
        try await TestServer.run { server in
            let sandbox = try Sandbox()
            defer { sandbox.remove() }
            let (id, token) = try await server.createExperiment(RunnerFixture.declaration(), artifact: try RunnerFixture.artifact(in: sandbox))
            let flaky = FlakyServer(server.runnerServer(id, token: token), failures: 6)
            #expect(await RunnerFixture.runner(flaky, in: sandbox, id: "r1").run() == .finished)

            let trials = try await server.trials(id)
            #expect(trials.count == 6)
            #expect(trials.allSatisfy { $0.status == .succeeded && $0.attempts.count == 1 })
            #expect(try await server.experiment(id).counts == TrialCounts(succeeded: 6))

            let posts = flaky.posts
            #expect(posts.filter { $0.answer == nil }.count == 6)
            // A failed post is retried with the same number and events; numbers only grow.
            for (failed, retry) in zip(posts, posts.dropFirst()) where failed.answer == nil {
                #expect(retry.seq == failed.seq)
                #expect(retry.events == failed.events)
            }
            let numbers = posts.map(\.seq).reduce(into: [Int]()) { if $0.last != $1 { $0.append($1) } }
            #expect(numbers == Array(1...numbers.count))
            #expect(posts.contains { $0.answer?.duplicate == true }, "a batch whose answer was lost is not applied twice")
            let finished = posts.filter { $0.answer != nil }.flatMap(\.events).compactMap { if case .finished(let end) = $0 { end.trial } else { nil } }
            #expect(finished.sorted() == Array(0..<6), "every end was delivered, once per batch")
        }
    }

    @Test func aRefusedTokenStopsTheRunnerAtOnce() async throws {
        try await TestServer.run { server in
            let sandbox = try Sandbox()
            defer { sandbox.remove() }
            let (id, _) = try await server.createExperiment(RunnerFixture.declaration(), artifact: try RunnerFixture.artifact(in: sandbox))
            let exit = await RunnerFixture.runner(server.runnerServer(id, token: "asr_wrong"), in: sandbox, id: "r1").run()
            guard case .failed(let reason) = exit else {
                Issue.record("got \(exit)")
                return
            }
            #expect(reason.hasPrefix("cannot fetch the spec: server answered 401"))
            #expect(exit.code == 1)
        }
    }
}
