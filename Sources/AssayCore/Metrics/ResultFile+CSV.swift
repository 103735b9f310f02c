extension ResultFile {
    static func parseCSV(_ text: String, line: Int, name: String) throws(Error) -> Metrics {
        guard line >= 1 else { throw Error(file: name, problem: .lineNotPositive(line)) }
        let records = try readRecords(text, name: name)
        guard let header = records.first else { throw Error(file: name, problem: .empty) }
        let columns = header.map { $0.trimmedText }
        var seen: Set<String> = []
        for (index, column) in columns.enumerated() {
            guard !column.isEmpty else { throw Error(file: name, problem: .emptyColumnName(column: index + 1)) }
            guard seen.insert(column).inserted else { throw Error(file: name, problem: .duplicateColumnName(column)) }
        }
        let dataLines = records.count - 1
        guard line <= dataLines else {
            throw Error(file: name, problem: .lineOutOfRange(line: line, dataLines: dataLines))
        }
        let cells = records[line]
        guard cells.count == columns.count else {
            throw Error(file: name, problem: .columnCount(line: line, header: columns.count, found: cells.count))
        }
        var metrics = Metrics()
        for (column, cell) in zip(columns, cells) {
            if let value = cell.value {
                metrics[column] = value
            }
        }
        return metrics
    }

    /// One CSV field; a quoted field's text is taken literally, an unquoted one is trimmed.
    private struct Cell {
        var text = ""
        var quoted = false

        var trimmedText: String {
            guard !quoted else { return text }
            return Self.trimmed(text)
        }

        /// The cell's value, or `nil` for an empty cell. Quoting does not make a number text:
        /// writers that quote every cell (Python's `QUOTE_ALL`) are common.
        var value: ResultValue? {
            let trimmed = Self.trimmed(text)
            if trimmed.isEmpty { return nil }
            if Self.isDecimal(trimmed), let number = Double(trimmed), number.isFinite {
                return .number(number)
            }
            return .text(trimmedText)
        }

        private static func trimmed(_ text: String) -> String {
            let start = text.firstIndex(where: { !$0.isWhitespace }) ?? text.endIndex
            let end = text.lastIndex(where: { !$0.isWhitespace }).map(text.index(after:)) ?? start
            return String(text[start..<end])
        }

        /// `[+-]digits[.digits][e[+-]digits]`, also `.5` and `5.`: what a person or a CSV
        /// writer means as a number. `Double.init` alone would also take `nan`, `inf` and hex.
        private static func isDecimal(_ text: String) -> Bool {
            var scalars = Substring(text).unicodeScalars[...]
            func digits() -> Int {
                let count = scalars.prefix(while: { ("0"..."9").contains($0) }).count
                scalars = scalars.dropFirst(count)
                return count
            }
            if scalars.first == "+" || scalars.first == "-" { scalars = scalars.dropFirst() }
            var mantissaDigits = digits()
            if scalars.first == "." {
                scalars = scalars.dropFirst()
                mantissaDigits += digits()
            }
            guard mantissaDigits > 0 else { return false }
            if scalars.first == "e" || scalars.first == "E" {
                scalars = scalars.dropFirst()
                if scalars.first == "+" || scalars.first == "-" { scalars = scalars.dropFirst() }
                guard digits() > 0 else { return false }
            }
            return scalars.isEmpty
        }
    }

    /// Splits CSV text into records of cells (RFC 4180, plus CR or LF alone as line ends).
    /// Empty lines are dropped; errors count the header as line 0.
    private static func readRecords(_ text: String, name: String) throws(Error) -> [[Cell]] {
        var records: [[Cell]] = []
        var record: [Cell] = []
        var cell = Cell()
        var lineIsEmpty = true
        var scalars = text.unicodeScalars.makeIterator()
        var pending = scalars.next()

        func endRecord() {
            if !lineIsEmpty {
                record.append(cell)
                records.append(record)
            }
            record = []
            cell = Cell()
            lineIsEmpty = true
        }

        while let scalar = pending {
            pending = scalars.next()
            switch scalar {
            case "\"" where !cell.quoted && cell.text.allSatisfy(\.isWhitespace):
                cell = Cell(text: "", quoted: true)
                lineIsEmpty = false
                try readQuoted(into: &cell, from: &scalars, next: &pending, line: records.count, name: name)
            case ",":
                record.append(cell)
                cell = Cell()
                lineIsEmpty = false
            case "\r":
                if pending == "\n" { pending = scalars.next() }
                endRecord()
            case "\n":
                endRecord()
            default:
                cell.text.unicodeScalars.append(scalar)
                lineIsEmpty = false
            }
        }
        endRecord()
        return records
    }

    /// Reads a quoted field after its opening quote, up to the separator or line end that follows it.
    private static func readQuoted(
        into cell: inout Cell,
        from scalars: inout String.UnicodeScalarView.Iterator,
        next pending: inout Unicode.Scalar?,
        line: Int,
        name: String
    ) throws(Error) {
        while let scalar = pending {
            pending = scalars.next()
            if scalar != "\"" {
                cell.text.unicodeScalars.append(scalar)
            } else if pending == "\"" {
                cell.text.unicodeScalars.append("\"")
                pending = scalars.next()
            } else {
                while let after = pending, after == " " || after == "\t" {
                    pending = scalars.next()
                }
                guard pending == nil || pending == "," || pending == "\r" || pending == "\n" else {
                    throw Error(file: name, problem: .textAfterQuote(line: line))
                }
                return
            }
        }
        throw Error(file: name, problem: .unterminatedQuote(line: line))
    }
}
