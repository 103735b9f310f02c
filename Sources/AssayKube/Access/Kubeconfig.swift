/// The parts of a kubeconfig file (`kind: Config`) that ``KubeAccess`` reads, as Yams decodes
/// them. Every field is optional so that a missing one is reported by name, not as a decoding
/// error; fields Assay refuses (`insecure-skip-tls-verify`, `exec`, …) are decoded only to be
/// refused with a clear message instead of being ignored.
struct Kubeconfig: Decodable {
    struct Named<Value: Decodable>: Decodable {
        var name: String?
        var value: Value?

        private enum CodingKeys: String, CodingKey {
            case name, cluster, context, user
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            // The entry's body sits under `cluster`, `context` or `user`, depending on the list.
            for key in [CodingKeys.cluster, .context, .user] where container.contains(key) {
                value = try container.decodeIfPresent(Value.self, forKey: key)
                break
            }
        }
    }

    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
        var tlsServerName: String?
        var proxyURL: String?

        private enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
            case proxyURL = "proxy-url"
        }
    }

    struct Context: Decodable {
        var cluster: String?
        var user: String?
        var namespace: String?
    }

    struct User: Decodable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var username: String?
        var exec: Present?
        var authProvider: Present?

        private enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }
    }

    /// A field whose presence matters, whatever it holds.
    struct Present: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    var clusters: [Named<Cluster>]?
    var contexts: [Named<Context>]?
    var users: [Named<User>]?
    var currentContext: String?

    private enum CodingKeys: String, CodingKey {
        case clusters, contexts, users
        case currentContext = "current-context"
    }
}
