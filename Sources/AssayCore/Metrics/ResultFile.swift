/// The file a trial writes its final results to: a GLADOS-style CSV (a header and data
/// lines, one of which is picked) or a flat JSON object.
public enum ResultFile {
    /// How a result file is written.
    public enum Format: String, Codable, Sendable, Hashable, CaseIterable {
        case csv
        case json

        /// The format a path's extension names (`.csv`, `.json`, any case), or `nil`.
        public static func infer(fromPath path: String) -> Format? {
            let name = path.split(separator: "/").last ?? ""
            guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
            return Format(rawValue: name[name.index(after: dot)...].lowercased())
        }
    }

    /// Reads the named values of a result file.
    ///
    /// - CSV: the first line is the header; `line` picks the 1-based data line after it.
    ///   Quoted fields may hold commas, doubled quotes and line breaks; lines may end in
    ///   CRLF; empty lines are skipped. A cell that reads as a decimal number (quoted or
    ///   not) becomes `.number`, an empty cell is left out (a missing value), any other
    ///   cell is `.text`.
    /// - JSON: one object; numbers become `.number`, strings `.text`, booleans the text
    ///   `"true"`/`"false"`, `null` is left out, and a nested object or array is an error.
    ///   `line` is not used.
    ///
    /// - Parameter name: how errors refer to the file, usually its path.
    public static func parse(
        text: String,
        format: Format,
        line: Int = 1,
        name: String = "result file"
    ) throws(Error) -> Metrics {
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        switch format {
        case .csv: return try parseCSV(text, line: line, name: name)
        case .json: return try parseJSON(text, name: name)
        }
    }
}
