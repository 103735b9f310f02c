import AssayCore
import AssayEngine
import Foundation
import Testing

@Suite("Trial engine: metrics, results and logs")
struct TrialEngineOutputTests {
    let engine = TrialEngine()
    typealias Reading = MetricPoint.Reading

    @Test func metricLinesArriveLiveAndInOrder() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let events = EventLog()
        let goFile = "\(sandbox.path)/go"
        // The trial waits until the test has seen its first metric: only a live reader lets it finish.
        let script = """
            echo 'epoch 1'
            echo '@assay {"step": 1, "loss": 0.5, "acc": null}'
            while [ ! -e go ]; do sleep 0.05; done
            echo '  @assay {"step": 2, "loss": 0.25, "acc": 0.75}'
            """
        let outcome = try await engine.run(sandbox.shell(script, timeout: .seconds(60))) { event in
            events.record(event)
            if case .metric = event { _ = FileManager.default.createFile(atPath: goFile, contents: nil) }
        }
        #expect(outcome.status == .succeeded)
        let expected = [
            MetricPoint(step: 1, values: [Reading(name: "loss", value: 0.5), Reading(name: "acc", value: nil)]),
            MetricPoint(step: 2, values: [Reading(name: "loss", value: 0.25), Reading(name: "acc", value: 0.75)]),
        ]
        #expect(events.metrics == expected)
        #expect(outcome.metrics == expected)
        #expect(outcome.final == Metrics([("loss", .number(0.25)), ("acc", .number(0.75))]))
        #expect(outcome.warnings.isEmpty)
        #expect(sandbox.read("logs/stdout.log").hasPrefix("epoch 1\n@assay {"), "metric lines are logged too")
    }

    @Test func nullDoesNotEraseAnEarlierValue() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let outcome = try await engine.run(sandbox.shell("""
            echo '@assay {"acc": 0.5}'
            echo '@assay {"acc": null, "loss": 1}'
            """))
        #expect(outcome.final == Metrics([("acc", .number(0.5)), ("loss", .number(1))]))
    }

    @Test func malformedMetricLinesWarnButDoNotFail() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let events = EventLog()
        let outcome = try await engine.run(sandbox.shell("""
            echo 'starting'
            echo '@assay {"loss": }'
            echo '@assay {"opt": "adam"}'
            printf '@assay {"acc": 0.5}'
            """), onEvent: events.record)
        #expect(outcome.status == .succeeded)
        let expected = [
            "stdout line 2: malformed @assay line: invalid JSON: unexpected character at column 10",
            "stdout line 3: malformed @assay line: value of \"opt\" is a string; metric values must be numbers or null",
        ]
        #expect(outcome.warnings == expected)
        #expect(events.warnings == expected)
        #expect(outcome.metrics == [MetricPoint(step: nil, values: [Reading(name: "acc", value: 0.5)])],
                "a last line without a line break still counts")
    }

    @Test func csvResultFileIsMergedOverPrintedMetrics() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let outcome = try await engine.run(sandbox.shell("""
            echo '@assay {"loss": 0.5, "epochs": 3}'
            printf 'acc,loss,model\\r\\n0.1,0.9,first\\r\\n0.92,0.31,"best, final.pt"\\r\\n' > result.csv
            """, result: ResultFileSpec(path: "result.csv", format: .csv, line: 2)))
        #expect(outcome.status == .succeeded)
        #expect(outcome.resultError == nil)
        #expect(outcome.final == Metrics([
            ("loss", .number(0.31)), ("epochs", .number(3)), ("acc", .number(0.92)), ("model", .text("best, final.pt")),
        ]))
    }

    @Test func jsonResultFileIsRead() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try FileManager.default.createDirectory(atPath: "\(sandbox.path)/out", withIntermediateDirectories: true)
        let outcome = try await engine.run(sandbox.shell("""
            echo '{"accuracy": 0.875, "converged": true, "note": null}' > out/result.json
            """, result: ResultFileSpec(path: "out/result.json", format: .json)))
        #expect(outcome.final == Metrics([("accuracy", .number(0.875)), ("converged", .text("true"))]))
    }

    @Test func missingResultFileIsRecordedNotFailed() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let events = EventLog()
        let outcome = try await engine.run(sandbox.shell(
            "echo '@assay {\"loss\": 1}'", result: ResultFileSpec(path: "result.csv", format: .csv)),
            onEvent: events.record)
        #expect(outcome.status == .succeeded)
        #expect(outcome.resultError == "result file result.csv was not written")
        #expect(outcome.warnings == ["result file result.csv was not written"])
        #expect(events.warnings == outcome.warnings)
        #expect(outcome.final == Metrics([("loss", .number(1))]))
    }

    @Test func brokenResultFileIsRecordedWithTheParsersMessage() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let outcome = try await engine.run(sandbox.shell(
            "printf 'a,b\\n1,2\\n' > result.csv", result: ResultFileSpec(path: "result.csv", format: .csv, line: 5)))
        #expect(outcome.status == .succeeded)
        #expect(outcome.resultError == "result.csv has 1 data line, result.line is 5")
    }

    @Test func failedTrialStillReportsItsResultFile() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let outcome = try await engine.run(sandbox.shell(
            "echo '{\"loss\": 2}' > r.json; exit 1", result: ResultFileSpec(path: "r.json", format: .json)))
        #expect(outcome.status == .failed)
        #expect(outcome.final == Metrics([("loss", .number(2))]))
    }

    @Test func logIsCappedButOutputIsStillReadAndParsed() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let limit = 10 * 1024
        let outcome = try await engine.run(sandbox.shell("""
            yes 0123456789abcdef | head -n 58824
            echo '@assay {"late": 1}'
            yes e | head -c 5000 >&2
            """, logLimitBytes: limit))
        #expect(outcome.status == .succeeded)
        #expect(outcome.logTruncated)
        #expect(outcome.stdoutBytes == 58824 * 17 + 19)
        #expect(outcome.stderrBytes == 5000)
        let log = try Data(contentsOf: URL(filePath: "\(sandbox.path)/logs/stdout.log"))
        let marker = "[assay: log truncated at 10240 bytes]\n"
        #expect(log.count <= limit + 1 + marker.utf8.count)
        #expect(log.count >= limit)
        #expect(String(decoding: log, as: UTF8.self).hasSuffix("\n" + marker))
        #expect(String(decoding: log.prefix(17), as: UTF8.self) == "0123456789abcdef\n")
        #expect(outcome.metrics == [MetricPoint(step: nil, values: [Reading(name: "late", value: 1)])])
        #expect(sandbox.read("logs/stderr.log").utf8.count == 5000, "each stream has its own cap")
    }

    @Test func logWriteFailureIsAWarningNotAFailure() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        var spec = sandbox.shell("echo '@assay {\"loss\": 1}'")
        spec.stdoutLog = "/dev/full"
        let outcome = try await engine.run(spec)
        #expect(outcome.status == .succeeded)
        #expect(outcome.warnings == ["writing the stdout log failed: No space left on device"])
        #expect(outcome.metrics.count == 1, "metrics are read even when the log cannot be written")
    }

    @Test func overlongMetricLineIsReportedNotKept() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let outcome = try await engine.run(sandbox.shell("""
            printf '@assay {"a": "'; head -c 2000000 /dev/zero | tr '\\0' x; echo '"}'
            echo '@assay {"b": 2}'
            """, logLimitBytes: 1024))
        #expect(outcome.status == .succeeded)
        #expect(outcome.warnings == ["stdout line 1: @assay line longer than 1048576 bytes ignored"])
        #expect(outcome.metrics == [MetricPoint(step: nil, values: [Reading(name: "b", value: 2)])])
    }
}
