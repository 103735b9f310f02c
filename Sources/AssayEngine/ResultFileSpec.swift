import AssayCore

/// Where a trial writes its final results and how to read them.
public struct ResultFileSpec: Sendable, Hashable {
    /// Relative to the trial's working directory (an absolute path is used as is).
    public var path: String
    public var format: ResultFile.Format
    /// For CSV: the 1-based data line after the header.
    public var line: Int

    public init(path: String, format: ResultFile.Format, line: Int = 1) {
        self.path = path
        self.format = format
        self.line = line
    }
}
