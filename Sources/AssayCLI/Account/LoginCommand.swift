import ArgumentParser
import AssayCurl
import Foundation

/// `assay login URL`: logs in once with a password, keeps an API token.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in to a server and keep an API token for the other commands.",
        discussion: """
            Asks for the username and the password (not echoed), creates an API token named \
            "assay CLI on <this host>" and stores the URL and the token in \
            $XDG_CONFIG_HOME/assay/config.json (default ~/.config/assay/config.json), readable by you \
            alone. ASSAY_URL and ASSAY_TOKEN, when set, take precedence over it.
            """)

    @Argument(help: "The server, e.g. https://assay.example.org.")
    var url: String

    @Option(help: "The username (asked for when not given).")
    var username: String?

    @Flag(help: "Read the password from the first line of standard input (for scripts).")
    var passwordStdin = false

    func run() async throws {
        let address = try ServerConnection.address(url, from: "the URL")
        let name = try username ?? Prompt.line("username: ")
        let password = try passwordStdin ? Prompt.standardInputLine() : Prompt.secret("password for \(name): ")
        guard !name.isEmpty, !password.isEmpty else { throw InputError(description: "the username and the password must not be empty") }

        let anonymous = APIClient(base: address, token: nil)
        let login = try JSONSerialization.data(withJSONObject: ["username": name, "password": password])
        let session: String
        do {
            let answer = try await anonymous.send(anonymous.request(.post, "/api/v1/auth/login", body: login, contentType: "application/json"))
            guard let cookie = answer.headers.values(for: "Set-Cookie").first(where: { $0.hasPrefix("assay_session=") })?
                .split(separator: ";").first.map(String.init)
            else { throw CLIFailure(.failed, "\(url) did not answer the login with a session: is it an Assay server?") }
            session = cookie
        } catch let error as APIClient.ServerError where error.status == 401 {
            throw CLIFailure(.notLoggedIn, "wrong username or password for \(url)")
        } catch let error as APIClient.ServerError where error.status == 429 {
            throw CLIFailure(.notLoggedIn, "too many failed logins: \(error.message)")
        }

        let host = ProcessInfo.processInfo.hostName
        var create = anonymous.request(.post, "/api/v1/tokens", body: try JSONSerialization.data(withJSONObject: ["name": "assay CLI on \(host)"]), contentType: "application/json")
        create.headers["Cookie"] = session
        let token = try APIClient.object(try await anonymous.send(create).body)
        var logout = anonymous.request(.post, "/api/v1/auth/logout")
        logout.headers["Cookie"] = session
        _ = try? await anonymous.send(logout)
        guard let secret = token["token"] as? String else { throw CLIFailure(.failed, "\(url) did not return an API token") }

        let previous = try? StoredLogin.load()
        try StoredLogin(url: address.absoluteString, token: secret, tokenID: token["id"] as? String, username: name).save()
        // A login again to the same server replaces the token it had.
        if let previous, let old = previous.tokenID, ServerConnection.sameServer(previous.url, address.absoluteString) {
            _ = try? await APIClient(base: address, token: secret).data(.delete, "/api/v1/tokens/\(old)")
        }
        Terminal.out("logged in to \(address.absoluteString) as \(name); token stored in \(StoredLogin.file.path)")
    }
}
