"""A scriptable HTTPS stand-in for the Kubernetes API server, for the AssayKube client tests.

    kube_fake.py DIR [--client-ca]

Makes a trustme CA and writes DIR/ca.pem, an unrelated CA to DIR/other-ca.pem, and a client
certificate "assay-client" signed by the first CA to DIR/client.pem and DIR/client.key; serves
HTTPS on 127.0.0.1 with a certificate from the first CA and prints "READY <port>". With
--client-ca it asks for (but does not require) a client certificate from that CA. Stops on
SIGTERM or when stdin reaches end of file.

Answers come from DIR/script.json, re-read whenever it changes: a list of rules, the first
that matches a request answers it.

    {"method": "GET", "path": "/api/v1/namespaces/x/pods"      exact path (or "path_prefix")
     "query": {"watch": "true", "continue": null},             subset of the query; null: absent
     "header": {"Authorization": "Bearer a"},                  subset of the request headers
     "times": 1,                                               answers this often (default: always)
     "status": 200, "headers": {"Retry-After": "2"},
     "body": "text",                                           or, streamed with chunked encoding:
     "chunks": [{"data": "text", "delay": 0.1}],               each sent after its delay (seconds)
     "hold": 30,                                               keep the stream open this long at the end
     "abort": true}                                            close without ending the chunked body

A request no rule answers gets 404 with a Status naming it. Every request is appended to
DIR/requests.jsonl as {"method", "path", "query", "headers" (lower-case names), "body",
"client_cn"} before it is answered.
"""

import argparse
import http.server
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

import trustme


class Script:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.stamp = None
        self.rules = []
        self.used = []

    def answer(self, method, path, query, headers):
        with self.lock:
            self._reload()
            for index, rule in enumerate(self.rules):
                if not self._matches(rule, method, path, query, headers):
                    continue
                times = rule.get("times")
                if times is not None and self.used[index] >= times:
                    continue
                self.used[index] += 1
                return rule
        return None

    def _reload(self):
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            self.rules, self.used, self.stamp = [], [], None
            return
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if stamp != self.stamp:
            with open(self.path) as file:
                self.rules = json.load(file)
            self.used = [0] * len(self.rules)
            self.stamp = stamp

    @staticmethod
    def _matches(rule, method, path, query, headers):
        if rule.get("method", method) != method:
            return False
        if "path" in rule and rule["path"] != path:
            return False
        if "path_prefix" in rule and not path.startswith(rule["path_prefix"]):
            return False
        for name, value in rule.get("query", {}).items():
            if query.get(name) != value:
                return False
        for name, value in rule.get("header", {}).items():
            if headers.get(name.lower()) != value:
                return False
        return True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def do_PUT(self):
        self.handle_any()

    def do_PATCH(self):
        self.handle_any()

    def do_DELETE(self):
        self.handle_any()

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        query = {name: values[0] for name, values in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        headers = {name.lower(): value for name, value in self.headers.items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        peer = self.connection.getpeercert()
        client_cn = dict(item[0] for item in peer["subject"]).get("commonName") if peer else None
        self.server.record(
            {"method": self.command, "path": url.path, "query": query, "headers": headers, "body": body, "client_cn": client_cn}
        )
        rule = self.server.script.answer(self.command, url.path, query, headers)
        if rule is None:
            status = {
                "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                "message": f"no scripted response for {self.command} {self.path}",
            }
            rule = {"status": 404, "body": json.dumps(status)}
        self.respond(rule)

    def respond(self, rule):
        self.send_response(rule.get("status", 200))
        headers = {"Content-Type": "application/json", **rule.get("headers", {})}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.close_connection = True
        if "chunks" not in rule:
            body = rule.get("body", "")
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        try:
            for chunk in rule["chunks"]:
                time.sleep(chunk.get("delay", 0))
                data = chunk["data"].encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            deadline = time.monotonic() + rule.get("hold", 0)
            while time.monotonic() < deadline and not self.server.stopping.is_set():
                time.sleep(0.05)
            if rule.get("abort"):
                self.connection.close()
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def log_message(self, format, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, directory, context):
        super().__init__(("127.0.0.1", 0), Handler)
        self.context = context
        self.script = Script(os.path.join(directory, "script.json"))
        self.requests_path = os.path.join(directory, "requests.jsonl")
        self.record_lock = threading.Lock()
        self.stopping = threading.Event()

    def get_request(self):
        # The TLS handshake happens in the request's own thread (in handle), so a client that
        # fails it cannot stall the accept loop.
        sock, address = self.socket.accept()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request, client_address):
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)

    def record(self, entry):
        with self.record_lock:
            with open(self.requests_path, "a") as file:
                file.write(json.dumps(entry) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--client-ca", action="store_true")
    arguments = parser.parse_args()
    directory = arguments.directory

    authority = trustme.CA()
    authority.cert_pem.write_to_path(os.path.join(directory, "ca.pem"))
    trustme.CA().cert_pem.write_to_path(os.path.join(directory, "other-ca.pem"))
    client = authority.issue_cert("assay-client@example.com", common_name="assay-client")
    client.cert_chain_pems[0].write_to_path(os.path.join(directory, "client.pem"))
    client.private_key_pem.write_to_path(os.path.join(directory, "client.key"))

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    if arguments.client_ca:
        authority.configure_trust(context)
        context.verify_mode = ssl.CERT_OPTIONAL

    server = Server(directory, context)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY {server.server_address[1]}", flush=True)
    sys.stdin.read()
    server.stopping.set()
    server.shutdown()


if __name__ == "__main__":
    main()
