import Foundation

/// Writing to the terminal: stderr for problems, and whether stdout is a TTY.
enum Terminal {
    /// A line on stdout, written at once: unlike `print`, not held in a
    /// buffer while progress goes to stderr.
    static func out(_ text: String = "", terminator: String = "\n") {
        write(text + terminator, to: .standardOutput)
    }

    static func error(_ message: String) {
        let text = message.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "assay: \($0)" }.joined(separator: "\n")
        write(text + "\n", to: .standardError)
    }

    /// What the command is doing, on stderr so stdout stays for results.
    static func info(_ message: String) {
        write(message + "\n", to: .standardError)
    }

    static func warning(_ message: String) {
        write("assay: warning: \(message)\n", to: .standardError)
    }

    /// Writes, ignoring a closed reader (`assay run … | head`): the run goes on
    /// and its files are still written. `FileHandle.write(_: Data)` would trap.
    static func write(_ text: String, to handle: FileHandle) {
        try? handle.write(contentsOf: Data(text.utf8))
    }

    static var isInteractive: Bool { isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" }
}
