import Foundation

/// Asking the person at the terminal: a line, or a secret without echo.
enum Prompt {
    static func line(_ prompt: String) throws -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            throw InputError(description: "no terminal to ask \"\(prompt.trimmingCharacters(in: .whitespaces))\" on: give it as an option")
        }
        Terminal.write(prompt, to: .standardError)
        return readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces) ?? ""
    }

    /// A line typed with echo turned off (restored afterwards).
    static func secret(_ prompt: String) throws -> String {
        var saved = termios()
        guard isatty(STDIN_FILENO) == 1, tcgetattr(STDIN_FILENO, &saved) == 0 else {
            throw InputError(description: "no terminal to ask for the password on: pipe it in with --password-stdin")
        }
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        Terminal.write(prompt, to: .standardError)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            Terminal.write("\n", to: .standardError)
        }
        return readLine(strippingNewline: true) ?? ""
    }

    /// The first line of standard input.
    static func standardInputLine() throws -> String {
        guard let line = readLine(strippingNewline: true) else {
            throw InputError(description: "--password-stdin: standard input is empty")
        }
        return line
    }
}
