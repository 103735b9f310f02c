import AssayCore
import Foundation
import Logging

/// One JSON object per line on stderr (`ASSAY_LOG_FORMAT=json`), for log
/// collectors: `{"ts", "level", "label", "message", ...metadata}`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        fields["ts"] = .string(Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)))
        fields["level"] = .string(event.level.rawValue)
        fields["label"] = .string(label)
        fields["message"] = .string(event.message.description)
        var line = ""
        Self.encode(.dictionary(fields), to: &line)
        write(line + "\n")
    }

    /// JSON written directly, keys sorted (JSONSerialization boxed every value and
    /// sorted `AnyHashable` keys: a tenth of a small request's time on the server).
    static func encode(_ value: Logger.Metadata.Value, to out: inout String) {
        switch value {
        case .string(let text): out += JSONText.quote(text)
        case .stringConvertible(let convertible): out += JSONText.quote(convertible.description)
        case .array(let values):
            out += "["
            for (offset, element) in values.enumerated() {
                if offset > 0 { out += "," }
                encode(element, to: &out)
            }
            out += "]"
        case .dictionary(let values):
            out += "{"
            for (offset, entry) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                if offset > 0 { out += "," }
                out += JSONText.quote(entry.key)
                out += ":"
                encode(entry.value, to: &out)
            }
            out += "}"
        }
    }
}
