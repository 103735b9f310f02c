import ArgumentParser
import Foundation

/// `assay logout`: revokes the stored token on its server and forgets it.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Revoke the stored API token and remove it from this machine.")

    func run() async throws {
        guard let login = try? StoredLogin.load() else {
            _ = try StoredLogin.remove()
            Terminal.out("not logged in")
            return
        }
        if let id = login.tokenID, let url = URL(string: login.url) {
            do {
                _ = try await APIClient(base: url, token: login.token).data(.delete, "/api/v1/tokens/\(id)")
            } catch let error as APIClient.ServerError where error.status == 401 || error.status == 404 {
                // Already revoked (in the web UI, say): nothing left to do there.
            } catch {
                Terminal.warning("could not revoke the token on \(login.url) (\(CLIFailure(error).description)); revoke \"assay CLI on …\" in the web UI")
            }
        }
        _ = try StoredLogin.remove()
        Terminal.out("logged out of \(login.url)")
    }
}
