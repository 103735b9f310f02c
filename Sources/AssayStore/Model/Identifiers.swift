import Foundation

/// Ids are 26 lowercase base-32 characters: 48 bits of milliseconds since
/// 1970 then 80 random bits (ULID-style). Sorting ids sorts by creation time,
/// which gives stable, insert-proof pagination ("after this id").
public enum Identifier {
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")

    public static func make(at date: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(at: date, using: &generator)
    }

    static func make(at date: Date, using generator: inout some RandomNumberGenerator) -> String {
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var characters: [Character] = []
        characters.reserveCapacity(26)
        for shift in stride(from: 45, through: 0, by: -5) {  // 10 characters of time
            characters.append(alphabet[Int((milliseconds >> UInt64(shift)) & 31)])
        }
        for _ in 0..<16 {  // 80 random bits
            characters.append(alphabet[Int(generator.next() & 31)])
        }
        return String(characters)
    }

    /// Whether `text` has the shape of an id (so hostile path segments are refused early).
    public static func isWellFormed(_ text: String) -> Bool {
        text.count == 26 && text.allSatisfy { alphabet.contains($0) }
    }
}

public typealias UserID = String
public typealias ExperimentID = String
public typealias ArtifactID = String
public typealias TokenID = String
/// Chosen by a Runner for itself (pod name + random suffix); opaque to the store.
public typealias RunnerID = String
