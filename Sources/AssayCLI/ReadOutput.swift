import ArgumentParser
import Foundation

/// `--output text|json`, taken by every command that reads from the server.
struct ReadOutput: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "text for people, json for scripts.")
    var output: Format = .text

    var json: Bool { output == .json }

    /// Prints a JSON value (an object or an array) on stdout, keys sorted.
    static func printJSON(_ value: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        Terminal.out(String(decoding: data, as: UTF8.self))
    }

    /// Prints one JSON value on a line of its own (JSON Lines).
    static func printJSONLine(_ value: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        Terminal.out(String(decoding: data, as: UTF8.self))
    }
}
