/// "Did you mean" hints for misspelled keys and names.
enum Suggestion {
    /// The closest candidate to `word`, if it is close enough to be a likely typo.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let lowered = word.lowercased()
        // An unambiguous prefix ("max" for "maximize") is a likely abbreviation.
        let extensions = candidates.filter { $0.lowercased().hasPrefix(lowered) }
        if lowered.count >= 2, extensions.count == 1 { return extensions[0] }
        // A typo is short, and within 3 edits of its word: nothing longer is compared (the
        // distance is quadratic, and names can be kilobytes long).
        guard lowered.count <= 64 else { return nil }
        var best: (candidate: String, distance: Int)?
        for candidate in candidates where abs(candidate.count - lowered.count) <= 3 {
            let distance = editDistance(lowered, candidate.lowercased())
            if distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let allowed = max(1, min(3, best.candidate.count / 3))
        return best.distance <= allowed ? best.candidate : nil
    }

    /// `unknown key "lrr" (did you mean "lr"?)`, or a list of what is allowed.
    static func unknown(_ what: String, _ word: String, allowed: [String]) -> String {
        if let match = closest(to: word, in: allowed) {
            return "unknown \(what) \"\(word)\" (did you mean \"\(match)\"?)"
        }
        return "unknown \(what) \"\(word)\" (expected one of: \(allowed.joined(separator: ", ")))"
    }

    /// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
