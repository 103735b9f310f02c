import Foundation

/// The exact text of one member of a top-level JSON object, as sent.
///
/// Decoding a declaration into a dictionary and encoding it again loses the
/// order of its keys — and the order of `parameters` is the plan's order.
/// Taking the member's bytes keeps the declaration verbatim. The caller has
/// already checked that `data` is a valid JSON object.
enum JSONMemberText {
    static func of(_ key: String, in data: Data) -> String? {
        let bytes = [UInt8](data)
        var position = 0
        func skipSpace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }
        /// Moves past a string starting at `position` (a quote); returns its raw content.
        func skipString() -> ArraySlice<UInt8>? {
            guard position < bytes.count, bytes[position] == 0x22 else { return nil }
            let start = position + 1
            position += 1
            while position < bytes.count {
                switch bytes[position] {
                case 0x5C: position += 2  // a backslash escapes the next byte
                case 0x22:
                    position += 1
                    return bytes[start..<(position - 1)]
                default: position += 1
                }
            }
            return nil
        }
        /// Moves past one value of any kind.
        func skipValue() -> Bool {
            skipSpace()
            guard position < bytes.count else { return false }
            switch bytes[position] {
            case 0x22: return skipString() != nil
            case 0x7B, 0x5B:  // { or [: balanced, strings skipped whole
                var depth = 0
                while position < bytes.count {
                    switch bytes[position] {
                    case 0x22: guard skipString() != nil else { return false }; continue
                    case 0x7B, 0x5B: depth += 1
                    case 0x7D, 0x5D:
                        depth -= 1
                        if depth == 0 { position += 1; return true }
                    default: break
                    }
                    position += 1
                }
                return false
            default:  // number, true, false, null
                while position < bytes.count, ![0x2C, 0x7D, 0x5D, 0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
                return true
            }
        }

        skipSpace()
        guard position < bytes.count, bytes[position] == 0x7B else { return nil }
        position += 1
        while true {
            skipSpace()
            guard let rawName = skipString() else { return nil }
            // Member names are compared after JSON unescaping.
            let name = (try? JSONDecoder().decode(String.self, from: Data([0x22] + rawName + [0x22])))
            skipSpace()
            guard position < bytes.count, bytes[position] == 0x3A else { return nil }
            position += 1
            skipSpace()
            let start = position
            guard skipValue() else { return nil }
            if name == key { return String(decoding: bytes[start..<position], as: UTF8.self) }
            skipSpace()
            guard position < bytes.count, bytes[position] == 0x2C else { return nil }
            position += 1
        }
    }
}
