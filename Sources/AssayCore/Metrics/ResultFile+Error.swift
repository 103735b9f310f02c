extension ResultFile {
    /// Why a result file could not be read; `description` is a sentence naming the file and the fault.
    public struct Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong with the file.
        public enum Problem: Sendable, Hashable {
            /// The file holds no header line (CSV) or nothing at all.
            case empty
            /// `result.line` is below 1.
            case lineNotPositive(Int)
            /// `result.line` is past the last data line.
            case lineOutOfRange(line: Int, dataLines: Int)
            /// The picked data line has a different number of cells than the header.
            case columnCount(line: Int, header: Int, found: Int)
            /// A quoted field is still open at the end of the file (line 0 is the header).
            case unterminatedQuote(line: Int)
            /// A closing quote is followed by something other than a separator (line 0 is the header).
            case textAfterQuote(line: Int)
            /// A header cell is empty (1-based column).
            case emptyColumnName(column: Int)
            /// Two header cells have the same name.
            case duplicateColumnName(String)
            /// The JSON text is not valid JSON.
            case invalidJSON(String)
            /// The JSON text is valid but not an object; `found` reads like "an array".
            case notAnObject(found: String)
            /// A JSON value is an object or array; `kind` reads like "an object".
            case nestedValue(key: String, kind: String)
        }

        /// The file as the messages name it.
        public var file: String
        public var problem: Problem

        public init(file: String, problem: Problem) {
            self.file = file
            self.problem = problem
        }

        public var description: String {
            switch problem {
            case .empty:
                "\(file) is empty"
            case .lineNotPositive(let line):
                "result.line must be 1 or more, is \(line)"
            case .lineOutOfRange(let line, let dataLines):
                "\(file) has \(Self.count(dataLines, "data line")), result.line is \(line)"
            case .columnCount(let line, let header, let found):
                "\(file): header has \(Self.count(header, "column")), line \(line) has \(found)"
            case .unterminatedQuote(let line):
                "\(file): \(Self.lineName(line)) has an unterminated quoted field"
            case .textAfterQuote(let line):
                "\(file): \(Self.lineName(line)) has text after the closing quote of a field"
            case .emptyColumnName(let column):
                "\(file): header column \(column) has no name"
            case .duplicateColumnName(let column):
                "\(file): header names column \"\(column)\" twice"
            case .invalidJSON(let reason):
                "\(file) is not valid JSON: \(reason)"
            case .notAnObject(let found):
                "\(file) must hold a JSON object, found \(found)"
            case .nestedValue(let key, let kind):
                "\(file): value of \"\(key)\" is \(kind); values must be numbers, strings, booleans or null"
            }
        }

        private static func count(_ count: Int, _ noun: String) -> String {
            switch count {
            case 0: "no \(noun)s"
            case 1: "1 \(noun)"
            default: "\(count) \(noun)s"
            }
        }

        private static func lineName(_ line: Int) -> String {
            line == 0 ? "header" : "line \(line)"
        }
    }
}
