"""A small HTTPS server for the AssayCurl tests: answers every GET with 200 and the body
"secure hello\n" (or, when it asked for a client certificate, "hello <client CN>\n").
Prints "READY <port>" once it listens on 127.0.0.1; stops on SIGTERM or when stdin reaches
end of file.

Two ways to give it its certificate:
  https_server.py CERT KEY
      serves with that certificate and key (made by the caller, e.g. with openssl);
  https_server.py --trustme DIR [--require-client-cert]
      makes a trustme CA, writes it to DIR/ca.pem, a second unrelated CA to DIR/other-ca.pem,
      and a client certificate and key signed by the first CA to DIR/client.pem and
      DIR/client.key (plus DIR/client-other.pem/.key signed by the other CA), then serves
      with a certificate from the first CA. With --require-client-cert the handshake fails
      unless the client presents a certificate from DIR/ca.pem.
"""

import argparse
import http.server
import ssl
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        peer = self.connection.getpeercert()
        if peer:
            subject = dict(item[0] for item in peer["subject"])
            body = f"hello {subject.get('commonName', '?')}\n".encode()
        else:
            body = b"secure hello\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


def trustme_context(directory, require_client_cert):
    import trustme

    authority = trustme.CA()
    other = trustme.CA()
    authority.cert_pem.write_to_path(f"{directory}/ca.pem")
    other.cert_pem.write_to_path(f"{directory}/other-ca.pem")
    for name, issuer in (("client", authority), ("client-other", other)):
        client = issuer.issue_cert("assay-client@example.com", common_name="assay-client")
        client.cert_chain_pems[0].write_to_path(f"{directory}/{name}.pem")
        client.private_key_pem.write_to_path(f"{directory}/{name}.key")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    if require_client_cert:
        authority.configure_trust(context)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("certificate", nargs="?")
    parser.add_argument("key", nargs="?")
    parser.add_argument("--trustme", metavar="DIR")
    parser.add_argument("--require-client-cert", action="store_true")
    arguments = parser.parse_args()
    if arguments.trustme:
        context = trustme_context(arguments.trustme, arguments.require_client_cert)
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(arguments.certificate, arguments.key)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY {server.server_address[1]}", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
