import AssayCore
import AssayEngine
import Foundation
import Testing

/// Timeouts, kills and cancellation. Serialized, with generous margins: the machine may be
/// a loaded 2-core box, and these tests measure time.
@Suite("Trial engine: stopping", .serialized)
struct TrialEngineStopTests {
    let engine = TrialEngine()

    @Test func timeoutStopsTheWholeProcessGroup() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await engine.run(sandbox.shell(
            "sleep 300 & echo $! > grandchild.pid; sleep 300", timeout: .milliseconds(500), killGrace: .seconds(60)))
        #expect(outcome.status == .timedOut)
        #expect(outcome.signal == SIGTERM)
        // A minute's grace against a 30 s bound: only waiting for the grace could exceed it.
        #expect(clock.now - start < .seconds(30), "SIGTERM ended it; no need to wait for the grace")
        let grandchild = try #require(sandbox.pid(in: "grandchild.pid"))
        #expect(try await processIsGone(grandchild))
    }

    @Test func trialIgnoringSIGTERMIsKilledAfterTheGrace() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let outcome = try await engine.run(sandbox.shell(
            "trap '' TERM; sleep 300 & echo $! > grandchild.pid; sleep 300",
            timeout: .milliseconds(500), killGrace: .seconds(1)))
        #expect(outcome.status == .timedOut)
        #expect(outcome.signal == SIGKILL)
        #expect(outcome.duration >= .milliseconds(1400), "killed only after timeout + grace")
        #expect(outcome.duration < .seconds(20))
        let grandchild = try #require(sandbox.pid(in: "grandchild.pid"))
        #expect(try await processIsGone(grandchild))
    }

    @Test func backgroundProcessHoldingStdoutDoesNotKeepTheTrialAlive() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let outcome = try await engine.run(sandbox.shell(
            "sleep 300 & echo $! > grandchild.pid; echo done", timeout: nil))
        #expect(outcome.status == .succeeded)
        #expect(outcome.duration < .seconds(20))
        #expect(sandbox.read("logs/stdout.log") == "done\n")
        let grandchild = try #require(sandbox.pid(in: "grandchild.pid"))
        #expect(try await processIsGone(grandchild), "left-overs of the group are killed when the leader exits")
    }

    @Test func trialEndingBeforeItsTimeoutIsNotTimedOut() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let outcome = try await engine.run(sandbox.shell("sleep 0.2; exit 4", timeout: .seconds(30)))
        #expect(outcome.status == .failed)
        #expect(outcome.exitCode == 4)
        #expect(outcome.duration < .seconds(20))
    }

    @Test func cancellingTheTaskStopsTheGroupAndReportsCanceled() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let spec = sandbox.shell("sleep 300 & echo $! > grandchild.pid; sleep 300", timeout: nil, killGrace: .seconds(5))
        let run = Task { try await engine.run(spec) }
        #expect(try await sandbox.waitFor("grandchild.pid"))
        run.cancel()
        let outcome = try await run.value
        #expect(outcome.status == .canceled)
        #expect(outcome.signal == SIGTERM)
        let grandchild = try #require(sandbox.pid(in: "grandchild.pid"))
        #expect(try await processIsGone(grandchild))
    }

    @Test func taskCancelledBeforeTheStartRunsNothing() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let spec = sandbox.shell("touch ran")
        let run = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await engine.run(spec)
        }
        await #expect(throws: CancellationError.self) { try await run.value }
        #expect(!FileManager.default.fileExists(atPath: "\(sandbox.path)/ran"))
    }
}
