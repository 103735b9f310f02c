@testable import AssayServer
import AssayStore
import AssayTestSupport
import Foundation
import ServiceLifecycle
import Testing

@Suite struct LeaseReaperTests {
    @Test(arguments: StoreKind.allCases)
    func overdueLeasesGoBackToTheQueueAndTheReaperStopsAtShutdown(kind: StoreKind) async throws {
        let store = try await kind.open()
        let user = try await store.createUser(username: "alice", passwordHash: "x", isAdmin: false, now: Date())
        let experiment = try await store.createExperiment(
            NewExperiment(owner: user.id, name: "reaped", declaration: "{}", trialCount: 2, maxAttempts: 2, leaseDuration: .seconds(10)),
            now: Date())
        let start = Date()
        _ = try await store.lease(experiment: experiment.id, runner: "gone", max: 2, now: start)
        let live = LiveEvents()
        let reaper = LeaseReaper(
            store: store, interval: .milliseconds(20), now: { start.addingTimeInterval(60) }, logger: quietLogger, live: live)
        let group = ServiceGroup(configuration: .init(services: [reaper], logger: quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var pending = false
            for _ in 0..<100 where !pending {
                try await Task.sleep(for: .milliseconds(20))
                let trials = try await store.trials(experiment: experiment.id, owner: nil, query: TrialQuery())
                pending = trials.count == 2 && trials.allSatisfy { $0.status == .pending }
            }
            #expect(pending)
            // Live pages hear the new counts of the experiment the reaper changed.
            var announced = false
            for _ in 0..<100 where !announced {
                let (replay, _) = await live.subscribe(experiment.id, after: nil, live: false)
                announced = replay.contains { $0.type == "experiment" && $0.data.contains("\"pending\":2") }
                if !announced { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(announced)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
