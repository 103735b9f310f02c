@testable import AssayEngine
import Foundation
import Synchronization
import Testing

/// The shared timer behind every trial's timeout and kill grace.
@Suite("Deadline timer")
struct DeadlineTimerTests {
    final class Fired: Sendable {
        let names = Mutex<[String]>([])
        func add(_ name: String) { names.withLock { $0.append(name) } }
        var value: [String] { names.withLock { $0 } }
    }

    /// An earlier deadline added after a later one re-arms the timer: it does not
    /// wait for the later one (margins are seconds wide, for a loaded machine).
    @Test func anEarlierDeadlineIsNotHeldBackByALaterOne() async throws {
        let fired = Fired()
        let timer = DeadlineTimer.shared
        _ = timer.add(after: .seconds(3)) { fired.add("late") }
        _ = timer.add(after: .milliseconds(100)) { fired.add("early") }
        try await Task.sleep(for: .milliseconds(1_500))
        #expect(fired.value == ["early"])
        for _ in 0..<100 where fired.value.count < 2 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(fired.value == ["early", "late"])
    }

    @Test func removedDeadlinesNeverFire() async throws {
        let fired = Fired()
        let timer = DeadlineTimer.shared
        let entry = timer.add(after: .milliseconds(100)) { fired.add("removed") }
        _ = timer.add(after: .milliseconds(200)) { fired.add("kept") }
        timer.remove(entry)
        try await Task.sleep(for: .milliseconds(1_500))
        #expect(fired.value == ["kept"])
    }

    @Test func aHugeDelayNeverComes() async throws {
        let fired = Fired()
        let entry = DeadlineTimer.shared.add(after: .seconds(Int64.max / 2)) { fired.add("never") }
        _ = DeadlineTimer.shared.add(after: .milliseconds(50)) { fired.add("soon") }
        try await Task.sleep(for: .milliseconds(1_000))
        #expect(fired.value == ["soon"])
        DeadlineTimer.shared.remove(entry)
    }
}
