import AssayCore
import Foundation

extension TrialEngine {
    /// Result files larger than this are not read: a results file is a line or an object.
    static let maximumResultFileBytes = 16 << 20

    /// Why the result file gave no values; the message names the file.
    struct ResultFileProblem: Error {
        var message: String
    }

    /// The last non-null value of every metric, in first-printed order.
    static func finalValues(of points: [MetricPoint]) -> Metrics {
        var final = Metrics()
        for point in points {
            for reading in point.values {
                if let value = reading.value { final[reading.name] = .number(value) }
            }
        }
        return final
    }

    /// Reads and parses the trial's result file.
    ///
    /// A missing or unreadable result file does not fail the trial: its exit code is the
    /// verdict, and what it printed on stdout stays usable. The problem is reported in
    /// ``TrialOutcome/resultError`` and as a warning instead.
    static func readResultFile(_ spec: ResultFileSpec, in workingDirectory: String) -> Result<Metrics, ResultFileProblem> {
        let path = spec.path.hasPrefix("/") ? spec.path : "\(workingDirectory)/\(spec.path)"
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            return .failure(ResultFileProblem(message: "result file \(spec.path) was not written"))
        }
        if let size = attributes[.size] as? Int, size > maximumResultFileBytes {
            return .failure(ResultFileProblem(message: "result file \(spec.path) is larger than \(maximumResultFileBytes) bytes"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(ResultFileProblem(message: "result file \(spec.path) cannot be read"))
        }
        do {
            return .success(try ResultFile.parse(
                text: String(decoding: data, as: UTF8.self), format: spec.format, line: spec.line, name: spec.path))
        } catch {
            return .failure(ResultFileProblem(message: error.description))
        }
    }
}
