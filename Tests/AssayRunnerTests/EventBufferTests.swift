import AssayCore
import AssayEngine
@testable import AssayRunner
import Foundation
import Testing

@Suite("Event buffer")
struct EventBufferTests {
    typealias Reading = MetricPoint.Reading
    let first = AttemptKey(trial: 3, attempt: 1)
    let second = AttemptKey(trial: 4, attempt: 2)

    @Test func metricPointsBecomeOneColumnarEventPerAttempt() {
        let buffer = EventBuffer(limitBytes: 1 << 20, linesPerBatch: 10)
        buffer.record(.metric(MetricPoint(step: 1, values: [Reading(name: "loss", value: 0.5)])), of: first)
        buffer.record(.metric(MetricPoint(step: 1, values: [Reading(name: "loss", value: 0.7)])), of: second)
        buffer.record(.metric(MetricPoint(step: 2, values: [Reading(name: "acc", value: 0.9), Reading(name: "loss", value: .nan)])), of: first)
        buffer.record(.metric(MetricPoint(step: nil, values: [Reading(name: "acc", value: nil)])), of: first)
        let (events, dropped) = buffer.take()
        #expect(dropped == 0)
        #expect(events == [
            .metrics(trial: 3, attempt: 1, steps: [1, 2, nil], values: ["loss": [0.5, nil, nil], "acc": [nil, 0.9, nil]]),
            .metrics(trial: 4, attempt: 2, steps: [1], values: ["loss": [0.7]]),
        ])
        #expect(buffer.isEmpty)
        #expect(buffer.take().events.isEmpty)
    }

    @Test func linesKeepTheirTailAndSayHowManyWereSkipped() {
        let buffer = EventBuffer(limitBytes: 1 << 20, linesPerBatch: 3)
        for number in 1...5 { buffer.record(.output(stream: .stdout, line: "out \(number)"), of: first) }
        buffer.record(.output(stream: .stderr, line: "err\0or"), of: first)
        buffer.record(.warning("stdout line 2: malformed @assay line"), of: first)
        #expect(buffer.take().events == [
            .log(trial: 3, attempt: 1, stream: .stdout, lines: ["[assay] 2 earlier lines not sent", "out 3", "out 4", "out 5"]),
            .log(trial: 3, attempt: 1, stream: .stderr, lines: ["err\u{FFFD}or", "[assay] warning: stdout line 2: malformed @assay line"]),
        ])
    }

    @Test func anEndTravelsAfterItsAttemptsEvents() {
        let buffer = EventBuffer(limitBytes: 1 << 20, linesPerBatch: 10)
        let end = TrialEnd(trial: 3, attempt: 1, status: .succeeded, exitCode: 0, seconds: 1.5, metrics: Metrics([("loss", .number(0.5))]))
        buffer.record(.output(stream: .stdout, line: "hello"), of: first)
        buffer.end(end)
        buffer.record(.output(stream: .stdout, line: "other"), of: second)
        #expect(buffer.take().events == [
            .log(trial: 3, attempt: 1, stream: .stdout, lines: ["hello"]),
            .finished(end),
            .log(trial: 4, attempt: 2, stream: .stdout, lines: ["other"]),
        ])
    }

    /// Past the byte limit points are dropped and lines give way; ends always stay.
    @Test func memoryIsBoundedButEndsAreNeverDropped() {
        let buffer = EventBuffer(limitBytes: 400, linesPerBatch: 1000)
        for step in 0..<100 { buffer.record(.metric(MetricPoint(step: step, values: [Reading(name: "loss", value: 1)])), of: first) }
        for number in 0..<100 { buffer.record(.output(stream: .stdout, line: "line \(number)"), of: second) }
        #expect(buffer.bytes <= 400)
        for trial in 0..<50 { buffer.end(TrialEnd(trial: 100 + trial, attempt: 1, status: .succeeded, seconds: 1)) }
        let (events, dropped) = buffer.take()
        #expect(dropped > 0)
        #expect(events.filter { if case .finished = $0 { true } else { false } }.count == 50)
        guard case .log(_, _, _, let lines)? = events.first(where: { if case .log = $0 { true } else { false } }) else {
            Issue.record("no log event")
            return
        }
        #expect(lines.last == "line 99", "the newest lines stay")
        #expect(lines.first?.hasPrefix("[assay] ") == true)
    }

    @Test func aDiscardedAttemptIsForgotten() {
        let buffer = EventBuffer(limitBytes: 1 << 20, linesPerBatch: 10)
        buffer.record(.output(stream: .stdout, line: "lost"), of: first)
        buffer.record(.output(stream: .stdout, line: "kept"), of: second)
        buffer.discard(first)
        #expect(buffer.take().events == [.log(trial: 4, attempt: 2, stream: .stdout, lines: ["kept"])])
        #expect(buffer.bytes == 0)
    }

    /// The JSON the server's runner route decodes, field for field.
    @Test func eventsEncodeAsTheServerReadsThem() throws {
        let batch = EventBatch(runner: "r1", seq: 7, events: [
            .metrics(trial: 1, attempt: 2, steps: [3, nil], values: ["loss": [0.25, nil]]),
            .log(trial: 1, attempt: 2, stream: .stderr, lines: ["a"]),
            .finished(TrialEnd(trial: 1, attempt: 2, status: .timedOut, seconds: 2, reason: "timed out after 1s")),
            .finished(TrialEnd(trial: 2, attempt: 1, status: .succeeded, exitCode: 0, seconds: 1, metrics: Metrics([("acc", .number(0.5))]))),
        ], active: [AttemptKey(trial: 3, attempt: 1)])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(batch), as: UTF8.self)
        #expect(json == """
            {"active":[{"attempt":1,"trial":3}],"events":[{"attempt":2,"metrics":{"loss":[0.25,null]},"steps":[3,null],"trial":1,"type":"metrics"},\
            {"attempt":2,"lines":["a"],"stream":"stderr","trial":1,"type":"log"},\
            {"attempt":2,"reason":"timed out after 1s","seconds":2,"status":"timed_out","trial":1,"type":"finished"},\
            {"attempt":1,"exitCode":0,"metrics":{"acc":0.5},"seconds":1,"status":"succeeded","trial":2,"type":"finished"}],\
            "runner":"r1","seq":7}
            """)
    }
}
