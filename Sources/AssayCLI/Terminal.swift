import Foundation

/// Writing to the terminal: stderr for problems, and whether stdout is a TTY.
enum Terminal {
    /// A line on stdout, written at once: unlike `print`, not held in a
    /// buffer while progress goes to stderr.
    static func out(_ text: String = "", terminator: String = "\n") {
        FileHandle.standardOutput.write(Data((text + terminator).utf8))
    }

    static func error(_ message: String) {
        let text = message.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "assay: \($0)" }.joined(separator: "\n")
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("assay: warning: \(message)\n".utf8))
    }

    static var isInteractive: Bool { isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" }
}
