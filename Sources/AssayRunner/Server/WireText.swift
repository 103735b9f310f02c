import Foundation

/// Text as the server stores it: it refuses NUL bytes, so they become U+FFFD.
enum WireText {
    static func clean(_ text: String) -> String {
        text.utf8.contains(0) ? text.replacingOccurrences(of: "\0", with: "\u{FFFD}") : text
    }
}
