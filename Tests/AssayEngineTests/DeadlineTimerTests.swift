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
    /// wait for the later one. The later one is a minute away and the wait for the
    /// earlier one is bounded at 30 s, so a loaded machine cannot make this flaky.
    @Test func anEarlierDeadlineIsNotHeldBackByALaterOne() async throws {
        let fired = Fired()
        let timer = DeadlineTimer.shared
        let late = timer.add(after: .seconds(60)) { fired.add("late") }
        defer { timer.remove(late) }
        _ = timer.add(after: .milliseconds(100)) { fired.add("early") }
        for _ in 0..<300 where fired.value.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        #expect(fired.value == ["early"])
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
