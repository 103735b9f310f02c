import HummingbirdBcrypt
import NIOPosix

/// bcrypt on NIO's blocking thread pool: a hash costs ~0.25 s at cost 12 and
/// must not hold an event loop or a cooperative thread.
struct PasswordHasher: Sendable {
    let cost: UInt8

    func hash(_ password: String) async throws -> String {
        let cost = min(31, max(4, cost))  // bcrypt traps outside 4...31
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
