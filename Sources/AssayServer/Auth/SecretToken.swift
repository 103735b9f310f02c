import Crypto
import Foundation

/// Random secrets handed to clients once (API tokens, session cookies) and the
/// SHA-256 form in which they are stored.
enum SecretToken {
    /// 32 random bytes, base64url without padding (also a valid cookie value).
    static func generate(prefix: String = "") -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + text
    }

    /// Lowercase hex SHA-256: the only form a secret is stored in.
    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
