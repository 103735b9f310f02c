import AssayCurl
import Foundation
import Testing

/// Trust given as PEM bytes and client certificates, against https_server.py with a trustme
/// CA (`--trustme`): the files it writes are read back here.
@Suite("TLS trust from data and client identities")
struct TLSIdentityTests {
    /// The files https_server.py writes with `--trustme`.
    struct Files {
        let directory: URL
        var authority: URL { directory.appending(path: "ca.pem") }
        var otherAuthority: URL { directory.appending(path: "other-ca.pem") }
        var clientCertificate: URL { directory.appending(path: "client.pem") }
        var clientKey: URL { directory.appending(path: "client.key") }
        var foreignClientCertificate: URL { directory.appending(path: "client-other.pem") }
        var foreignClientKey: URL { directory.appending(path: "client-other.key") }
    }

    private func withServer(requireClientCertificate: Bool, _ body: (URL, Files) async throws -> Void) async throws {
        let python = try TestEnvironment.python(importing: ["ssl", "trustme"])
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = ["--trustme", directory.path] + (requireClientCertificate ? ["--require-client-cert"] : [])
        try await ScriptServer.with(python: python, script: "https_server.py", arguments: arguments, in: directory) { server in
            let url = try #require(URL(string: "https://127.0.0.1:\(server.port)/"))
            try await body(url, Files(directory: directory))
        }
    }

    @Test func caDataOfTheRightAuthorityIsTrusted() async throws {
        try await withServer(requireClientCertificate: false) { url, files in
            let client = CurlHTTPClient(caData: try Data(contentsOf: files.authority))
            let response = try await client.send(HTTPRequest(url: url))
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "secure hello\n")
        }
    }

    @Test func caDataOfAnotherAuthorityFailsVerification() async throws {
        try await withServer(requireClientCertificate: false) { url, files in
            let client = CurlHTTPClient(caData: try Data(contentsOf: files.otherAuthority))
            let error = await #expect(throws: CurlError.self) { try await client.send(HTTPRequest(url: url)) }
            #expect(error?.caseName == "tls", "\(String(describing: error))")
        }
    }

    @Test func caFileAndCADataTogetherAreRejected() async throws {
        let client = CurlHTTPClient(caFile: URL(filePath: "/etc/hostname"), caData: Data("x".utf8))
        let request = HTTPRequest(url: try #require(URL(string: "https://127.0.0.1:9/")))
        let error = await #expect(throws: CurlError.self) { try await client.send(request) }
        #expect(error?.caseName == "invalidRequest", "\(String(describing: error))")
    }

    @Test func clientCertificateFromDataIsPresented() async throws {
        try await withServer(requireClientCertificate: true) { url, files in
            let identity = TLSClientIdentity(
                certificate: .pem(try Data(contentsOf: files.clientCertificate)),
                privateKey: .pem(try Data(contentsOf: files.clientKey))
            )
            let client = CurlHTTPClient(caData: try Data(contentsOf: files.authority), clientIdentity: identity)
            let response = try await client.send(HTTPRequest(url: url))
            #expect(String(decoding: response.body, as: UTF8.self) == "hello assay-client\n")
        }
    }

    @Test func clientCertificateFromFilesIsPresented() async throws {
        try await withServer(requireClientCertificate: true) { url, files in
            let identity = TLSClientIdentity(certificate: .file(files.clientCertificate), privateKey: .file(files.clientKey))
            let client = CurlHTTPClient(caFile: files.authority, clientIdentity: identity)
            let response = try await client.send(HTTPRequest(url: url))
            #expect(String(decoding: response.body, as: UTF8.self) == "hello assay-client\n")
        }
    }

    @Test func withoutAClientCertificateTheServerRefuses() async throws {
        try await withServer(requireClientCertificate: true) { url, files in
            let client = CurlHTTPClient(caFile: files.authority)
            // Usually the TLS alert (`tls`); when the server closes first, a broken connection.
            let error = await #expect(throws: CurlError.self) { try await client.send(HTTPRequest(url: url)) }
            #expect(["tls", "transport"].contains(error?.caseName), "\(String(describing: error))")
        }
    }

    @Test func aClientCertificateFromAnotherAuthorityIsRefused() async throws {
        try await withServer(requireClientCertificate: true) { url, files in
            let identity = TLSClientIdentity(
                certificate: .file(files.foreignClientCertificate), privateKey: .file(files.foreignClientKey))
            let client = CurlHTTPClient(caFile: files.authority, clientIdentity: identity)
            // The server may close the connection before its alert is read: then libcurl
            // reports a broken connection rather than the TLS alert.
            let error = await #expect(throws: CurlError.self) { try await client.send(HTTPRequest(url: url)) }
            #expect(["tls", "transport"].contains(error?.caseName), "\(String(describing: error))")
        }
    }

    @Test func unreadableClientKeyFileIsAnInvalidRequest() async throws {
        let identity = TLSClientIdentity(
            certificate: .file(URL(filePath: "/etc/hostname")), privateKey: .file(URL(filePath: "/nonexistent/client.key")))
        let client = CurlHTTPClient(clientIdentity: identity)
        let request = HTTPRequest(url: try #require(URL(string: "https://127.0.0.1:9/")))
        let error = await #expect(throws: CurlError.self) { try await client.send(request) }
        #expect(error?.caseName == "invalidRequest", "\(String(describing: error))")
        #expect(error.map { "\($0)" }?.contains("/nonexistent/client.key") == true)
    }

    @Test func identityDescriptionNeverShowsTheKey() {
        let identity = TLSClientIdentity(certificate: .pem(Data("CERT".utf8)), privateKey: .pem(Data("SECRET-KEY".utf8)))
        #expect(!"\(identity)".contains("SECRET-KEY"))
        #expect(!String(reflecting: identity).contains("SECRET-KEY"))
    }
}
