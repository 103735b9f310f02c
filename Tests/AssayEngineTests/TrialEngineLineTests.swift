import AssayCore
import AssayEngine
import Foundation
import Testing

@Suite("Trial engine: live output lines")
struct TrialEngineLineTests {
    let engine = TrialEngine()

    @Test func linesOfBothStreamsArriveWhenAsked() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let events = EventLog()
        var spec = sandbox.shell("""
            echo 'epoch 1'
            echo 'warning: slow' >&2
            printf 'dos line\\r\\n'
            echo '@assay {"loss": 0.5}'
            printf '\\n'
            printf 'no break' >&2
            """)
        spec.reportsOutputLines = true
        let outcome = try await engine.run(spec, onEvent: events.record)
        #expect(outcome.status == .succeeded)
        #expect(events.lines(.stdout) == ["epoch 1", "dos line", "@assay {\"loss\": 0.5}", ""])
        #expect(events.lines(.stderr) == ["warning: slow", "no break"], "a last line without a break counts")
        #expect(events.metrics.count == 1, "metric lines are still parsed")
        #expect(sandbox.read("logs/stderr.log") == "warning: slow\nno break")
    }

    @Test func noLinesUnlessAsked() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let events = EventLog()
        _ = try await engine.run(sandbox.shell("echo out; echo err >&2"), onEvent: events.record)
        #expect(events.lines(.stdout).isEmpty)
        #expect(events.lines(.stderr).isEmpty)
    }

    /// A 10 KB line is cut at 4 KiB on a character boundary; the log keeps all of it.
    @Test func overlongLinesAreCutOnACharacterBoundary() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let events = EventLog()
        // 4095 ASCII bytes, then a two-byte "é" across the 4 KiB mark.
        var spec = sandbox.shell("""
            head -c 4095 /dev/zero | tr '\\0' x; printf '\\303\\251'; head -c 6000 /dev/zero | tr '\\0' y; echo
            echo next
            """)
        spec.reportsOutputLines = true
        _ = try await engine.run(spec, onEvent: events.record)
        let lines = events.lines(.stdout)
        #expect(lines.count == 2)
        #expect(lines.first == String(repeating: "x", count: 4095) + "… [assay: line cut at 4096 bytes]")
        #expect(lines.last == "next")
        let logged = sandbox.read("logs/stdout.log").utf8.count
        #expect(logged == 4095 + 2 + 6000 + 1 + 5, "the log keeps the whole line")
    }

    /// Lines keep coming after the log reached its cap, and the cap still holds.
    @Test func linesArePastTheLogCapToo() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let events = EventLog()
        var spec = sandbox.shell("seq 1 2000; seq 1 3000 >&2", logLimitBytes: 1000)
        spec.reportsOutputLines = true
        let outcome = try await engine.run(spec, onEvent: events.record)
        #expect(outcome.logTruncated)
        #expect(events.lines(.stdout) == (1...2000).map(String.init))
        #expect(events.lines(.stderr) == (1...3000).map(String.init))
        #expect(sandbox.read("logs/stdout.log").utf8.count < 1100)
    }

    @Test func invalidUTF8BecomesReplacementCharacters() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let events = EventLog()
        var spec = sandbox.shell("printf 'a\\377b\\n' >&2")
        spec.reportsOutputLines = true
        _ = try await engine.run(spec, onEvent: events.record)
        #expect(events.lines(.stderr) == ["a\u{FFFD}b"])
    }
}
