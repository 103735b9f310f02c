import Foundation
import Testing

@testable import AssayCore

@Suite("Metric lines")
struct MetricLineTests {
    typealias Reading = MetricPoint.Reading

    @Test func readsStepAndValuesInLineOrder() {
        let parsed = MetricLine.parse(#"@assay {"step": 3, "loss": 0.21, "acc": 0.9}"#)
        #expect(parsed == .metric(MetricPoint(step: 3, values: [
            Reading(name: "loss", value: 0.21), Reading(name: "acc", value: 0.9),
        ])))
    }

    @Test func keepsKeyOrderThatIsNotAlphabetical() {
        let parsed = MetricLine.parse(#"@assay {"z": 1, "a": 2, "m": 3}"#)
        guard case .metric(let point) = parsed else {
            Issue.record("expected a metric, got \(parsed)")
            return
        }
        #expect(point.values.map(\.name) == ["z", "a", "m"])
        #expect(point.step == nil)
    }

    @Test func nullIsAMissingValue() {
        #expect(MetricLine.parse(#"@assay {"loss": null, "acc": 1}"#)
            == .metric(MetricPoint(step: nil, values: [Reading(name: "loss", value: nil), Reading(name: "acc", value: 1)])))
    }

    @Test func allowsLeadingWhitespaceAndNoSpaceAfterTheMarker() {
        #expect(MetricLine.parse("  \t@assay{\"x\": -1.5e2}")
            == .metric(MetricPoint(step: nil, values: [Reading(name: "x", value: -150)])))
    }

    @Test func repeatedKeyKeepsItsPositionAndTakesTheLastValue() {
        #expect(MetricLine.parse(#"@assay {"a": 1, "b": 2, "a": 3}"#)
            == .metric(MetricPoint(step: nil, values: [Reading(name: "a", value: 3), Reading(name: "b", value: 2)])))
    }

    @Test func decodesEscapedNames() {
        #expect(MetricLine.parse(#"@assay {"l\u00f6ss \ud83d\ude00\n": 1}"#)
            == .metric(MetricPoint(step: nil, values: [Reading(name: "löss 😀\n", value: 1)])))
    }

    @Test(arguments: [
        "epoch 3 loss 0.2",
        "",
        "assay {\"x\": 1}",
        "@assayed {\"x\": 1}",
        "# @assay {\"x\": 1}",
    ])
    func ordinaryLinesAreNotMetrics(line: String) {
        #expect(MetricLine.parse(line) == .notMetric)
    }

    @Test(arguments: [
        ("@assay", "no JSON object after @assay"),
        ("@assay   ", "no JSON object after @assay"),
        (#"@assay {"loss": 0.2"#, "invalid JSON: expected ',' or '}' at column 13"),
        (#"@assay {"loss": 0.2,}"#, "invalid JSON: expected a string key at column 14"),
        (#"@assay {loss: 1}"#, "invalid JSON: expected a string key at column 2"),
        (#"@assay {"a": 1} x"#, "invalid JSON: unexpected text after the JSON value at column 10"),
        (#"@assay {"a": 01}"#, "invalid JSON: expected ',' or '}' at column 8"),
        (#"@assay {"a": 1e999}"#, "invalid JSON: number 1e999 is out of range at column 7"),
        (#"@assay {"a": "\x"}"#, "invalid JSON: invalid escape at column 10"),
        (#"@assay {"a": "\ud800"}"#, "invalid JSON: unpaired surrogate at column 14"),
        ("@assay [1, 2]", "expected a JSON object, found an array"),
        ("@assay 3", "expected a JSON object, found a number"),
        (#"@assay {"opt": "adam"}"#, #"value of "opt" is a string; metric values must be numbers or null"#),
        (#"@assay {"ok": true}"#, #"value of "ok" is a boolean; metric values must be numbers or null"#),
        (#"@assay {"loss": [1, 2]}"#, #"value of "loss" is an array; metric values must be numbers or null"#),
        (#"@assay {"loss": {"a": 1}}"#, #"value of "loss" is an object; metric values must be numbers or null"#),
        (#"@assay {"step": -1, "a": 1}"#, #""step" must be a non-negative integer, found -1"#),
        (#"@assay {"step": 1.5, "a": 1}"#, #""step" must be a non-negative integer, found 1.5"#),
        (#"@assay {"step": "3", "a": 1}"#, #""step" must be a non-negative integer, found a string"#),
        (#"@assay {"step": null, "a": 1}"#, #""step" must be a non-negative integer, found null"#),
        (#"@assay {"step": 1e300, "a": 1}"#, #""step" must be a non-negative integer, found 1e+300"#),
        (#"@assay {"step": 4}"#, "no metric values"),
        (#"@assay {}"#, "no metric values"),
        (#"@assay {"": 1}"#, "a metric name is empty"),
    ])
    func malformedLinesSayWhy(line: String, reason: String) {
        #expect(MetricLine.parse(line) == .malformed(reason: reason))
    }

    @Test func integralStepWrittenAsFloatIsAccepted() {
        #expect(MetricLine.parse(#"@assay {"step": 2.0, "a": 1}"#)
            == .metric(MetricPoint(step: 2, values: [Reading(name: "a", value: 1)])))
    }

    @Test func deepNestingIsRefusedWithoutCrashing() {
        let deep = String(repeating: "[", count: 100_000)
        guard case .malformed(let reason) = MetricLine.parse("@assay {\"a\": \(deep)}") else {
            Issue.record("expected malformed")
            return
        }
        #expect(reason.hasPrefix("invalid JSON: nesting too deep"))
    }

    /// Whatever bytes follow the marker, parsing returns; valid JSON objects agree with Foundation.
    @Test func arbitraryInputNeverTrapsAndAgreesWithFoundation() throws {
        var generator = SplitMix64(seed: 0xA55A7)
        let alphabet = Array(#"{}[]":,. -+eE0123456789tfnrulasx\u"#)
        for _ in 0..<3_000 {
            let length = Int.random(in: 0..<24, using: &generator)
            let body = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            let parsed = MetricLine.parse("@assay {\(body)")
            let data = Data("{\(body)".utf8)
            let foundationAccepts = (try? JSONSerialization.jsonObject(with: data)) is [String: Any]
            if case .malformed(let reason) = parsed, reason.contains("out of range") {
                continue
            } else if case .malformed(let reason) = parsed, reason.hasPrefix("invalid JSON") {
                #expect(!foundationAccepts, "Foundation accepts {\(body)} but: \(reason)")
            } else {
                #expect(foundationAccepts, "Foundation rejects {\(body)} but parsed as \(parsed)")
            }
        }
    }
}

@Suite("Metrics")
struct MetricsCollectionTests {
    @Test func keepsFirstSeenOrderAndLastValue() {
        let metrics = Metrics([("b", .number(1)), ("a", .text("x")), ("b", .number(2))])
        #expect(metrics.names == ["b", "a"])
        #expect(metrics["b"] == .number(2))
        #expect(metrics["a"]?.number == nil)
        #expect(metrics["missing"] == nil)
        #expect(metrics.count == 2)
    }

    @Test func mergeOverwritesInPlaceAndAppendsNewNames() {
        var metrics = Metrics([("loss", .number(0.5)), ("acc", .number(0.8))])
        metrics.merge(Metrics([("acc", .number(0.9)), ("model", .text("best.pt"))]))
        #expect(metrics.entries == [
            Metrics.Entry(name: "loss", value: .number(0.5)),
            Metrics.Entry(name: "acc", value: .number(0.9)),
            Metrics.Entry(name: "model", value: .text("best.pt")),
        ])
    }

    @Test func assigningNilRemovesAndKeepsTheRestAddressable() {
        var metrics = Metrics([("a", .number(1)), ("b", .number(2)), ("c", .number(3))])
        metrics["a"] = nil
        metrics["c"] = .number(4)
        #expect(metrics.names == ["b", "c"])
        #expect(metrics["c"] == .number(4))
        #expect(metrics["b"] == .number(2))
    }

    @Test func equalityDependsOnOrder() {
        #expect(Metrics([("a", .number(1)), ("b", .number(2))]) != Metrics([("b", .number(2)), ("a", .number(1))]))
        #expect(Metrics([("a", .number(1))]) == Metrics([("a", .number(1))]))
    }

    @Test func resultValueCodesAsPlainJSON() throws {
        let values: [ResultValue] = [.number(0.25), .text("adam"), .text("3")]
        let data = try JSONEncoder().encode(values)
        #expect(String(decoding: data, as: UTF8.self) == #"[0.25,"adam","3"]"#)
        #expect(try JSONDecoder().decode([ResultValue].self, from: data) == values)
    }
}

@Suite("Trial status")
struct TrialStatusTests {
    @Test(arguments: TrialStatus.allCases)
    func onlyEndStatesAreFinal(status: TrialStatus) {
        #expect(status.isFinal == ![.pending, .running].contains(status))
    }

    @Test func codesAsItsWireName() throws {
        let data = try JSONEncoder().encode([TrialStatus.timedOut, .canceled])
        #expect(String(decoding: data, as: UTF8.self) == #"["timed_out","canceled"]"#)
        #expect(try JSONDecoder().decode([TrialStatus].self, from: data) == [.timedOut, .canceled])
    }
}
