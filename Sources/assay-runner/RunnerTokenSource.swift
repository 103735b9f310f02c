import AssayRunner
import Foundation

/// Where the runner token comes from: `ASSAY_RUNNER_TOKEN`, or the file
/// `ASSAY_RUNNER_TOKEN_FILE` names (`-`: the first line of standard input, how the local
/// executor hands it over so it never sits in any process's environment).
///
/// Whichever it was, both variables leave this process's environment before anything is
/// spawned, and the value of `ASSAY_RUNNER_TOKEN` is overwritten where the kernel shows the
/// initial environment (`/proc/<pid>/environ`), so no trial inherits or finds it there.
enum RunnerTokenSource {
    static let variable = "ASSAY_RUNNER_TOKEN"
    static let fileVariable = "ASSAY_RUNNER_TOKEN_FILE"

    /// Reads the token (the file named by `file`, else by the environment) and scrubs the
    /// environment, whether reading worked or not.
    static func read(file: String?) throws(RunnerSettings.Problem) -> RunnerToken {
        let inline = takeVariable(variable)
        let fileFromEnvironment = takeVariable(fileVariable)
        let source = file.flatMap { $0.isEmpty ? nil : $0 } ?? fileFromEnvironment
        let (text, name): (String, String)
        switch (inline, source) {
        case (.some, .some):
            throw .init(variable, "set only one of \(variable) and \(fileVariable)")
        case (let value?, nil):
            (text, name) = (value, variable)
        case (nil, let path?):
            (text, name) = (try contents(of: path), fileVariable)
        case (nil, nil):
            throw .init(variable, "not set (nor \(fileVariable))")
        }
        do {
            return try RunnerToken(text)
        } catch {
            throw .init(name, "the runner token \(error)")
        }
    }

    /// The token in `path` (`-`: standard input), up to the first line break.
    private static func contents(of path: String) throws(RunnerSettings.Problem) -> String {
        if path == "-" {
            guard let line = readLine(strippingNewline: true) else { throw .init(fileVariable, "standard input ended before a token line") }
            // Nothing else is meant to come on stdin; whatever reads it later finds its end.
            let null = open("/dev/null", O_RDONLY)
            if null >= 0 {
                dup2(null, STDIN_FILENO)
                close(null)
            }
            return line.trimmingCharacters(in: .whitespaces)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .init(fileVariable, "cannot read \(path)") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: 64 << 10)) ?? nil
        let text = String(decoding: data ?? Data(), as: UTF8.self)
        return String(text.split(whereSeparator: \.isNewline).first ?? "").trimmingCharacters(in: .whitespaces)
    }

    /// The variable's value (nil when unset or empty), after which it is gone from the
    /// environment; its bytes in the environment block are zeroed first, since `unsetenv`
    /// only drops the pointer and `/proc/<pid>/environ` shows the original block.
    private static func takeVariable(_ name: String) -> String? {
        guard let pointer = getenv(name) else { return nil }
        let value = String(cString: pointer)
        memset(pointer, 0, strlen(pointer))
        unsetenv(name)
        return value.isEmpty ? nil : value
    }
}
