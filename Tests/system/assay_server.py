"""A real `assay-server` process for system tests, and a small client for it.

The server runs with the `external` executor: it writes each experiment's
runner token to a file, so a test can act as a Runner over plain HTTP.
"""

import io
import json
import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import zipfile

ADMIN = ("admin", "admin-password-1")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def code_zip(files=None):
    """A small zip artifact, as the CLI would upload it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (files or {"train.py": "print('hi')\n"}).items():
            archive.writestr(name, text)
    return buffer.getvalue()


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body) if self.body else None


class Server:
    """Starts, stops (SIGTERM or SIGKILL) and restarts one assay-server over one data folder."""

    def __init__(self, binary, folder, store_url=None, extra_env=None):
        self.binary = pathlib.Path(binary).resolve()  # it runs with its data folder as working directory
        self.folder = pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tokens = self.folder / "runner-tokens"
        self.store_url = store_url or f"sqlite:{self.folder / 'assay.db'}"
        self.extra_env = extra_env or {}
        self.process = None
        self.log = self.folder / "server.log"

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSAY_")}
        env.update({
            "ASSAY_PORT": str(self.port),
            "ASSAY_STORE_URL": self.store_url,
            "ASSAY_EXECUTOR": "external",
            "ASSAY_RUNNER_TOKEN_DIR": str(self.tokens),
            "ASSAY_ADMIN_USER": ADMIN[0],
            "ASSAY_ADMIN_PASSWORD": ADMIN[1],
            "ASSAY_LOG_FORMAT": "json",
        })
        env.update(self.extra_env)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([str(self.binary)], cwd=self.folder, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"assay-server exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if self.request("GET", "/readyz").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("assay-server did not become ready in 30 s")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode if self.process else None
        self.process = None
        return code

    def request(self, method, path, body=None, token=None, cookie=None, content_type=None, headers=None, timeout=10):
        data = None
        all_headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        elif body is not None:
            data = body if isinstance(body, bytes) else body.encode()
            all_headers["Content-Type"] = content_type or "application/octet-stream"
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        if cookie:
            all_headers["Cookie"] = cookie
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Response(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())

    # -- accounts and experiments --------------------------------------------

    def login(self, username=ADMIN[0], password=ADMIN[1]):
        request = urllib.request.Request(
            self.url + "/api/v1/auth/login", method="POST",
            data=json.dumps({"username": username, "password": password}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers["Set-Cookie"].split(";")[0]

    def user_token(self, username, admin=False):
        """Creates `username` (as the admin) and returns an API token of theirs."""
        session = self.login()
        password = f"password-{username}"
        created = self.request("POST", "/api/v1/users", {"username": username, "password": password, "admin": admin}, cookie=session)
        assert created.status in (201, 409), created.body
        cookie = self.login(username, password)
        token = self.request("POST", "/api/v1/tokens", {"name": "tests"}, cookie=cookie)
        assert token.status == 201, token.body
        return token.json()["token"]

    def create_experiment(self, token, declaration, files=None):
        artifact = self.request("POST", "/api/v1/artifacts", code_zip(files), token=token, content_type="application/zip")
        assert artifact.status in (200, 201), artifact.body
        created = self.request("POST", "/api/v1/experiments", {"declaration": declaration, "artifact": artifact.json()["id"]}, token=token)
        assert created.status == 201, created.body
        return created.json()["id"]

    def summary(self, token, experiment):
        answer = self.request("GET", f"/api/v1/experiments/{experiment}", token=token)
        assert answer.status == 200, answer.body
        return answer.json()

    def poll_experiment(self, token, experiment, until, interval=0.2):
        """Its summary once `until(summary)` holds (benchmarks: no timeout, they are watched)."""
        while not until(summary := self.summary(token, experiment)):
            time.sleep(interval)
        return summary

    def upload_artifact_streaming(self, token, body):
        """POSTs an artifact as curl does: reads the answer as soon as the server gives it,
        even while the body is still going up (a server answering 413 or 507 early may
        close the connection before it has read it all). Returns (status, body bytes)."""
        import http.client
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        head = (f"POST /api/v1/artifacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/zip\r\nContent-Length: {len(body)}\r\n\r\n")
        import select
        try:
            sock.sendall(head.encode())
            for start in range(0, len(body), 65536):
                # An answer already waiting ends the upload: sending on into a socket the server
                # closed would reset the connection and lose that answer.
                if select.select([sock], [], [], 0)[0]:
                    break
                sock.sendall(body[start:start + 65536])
        except OSError:
            pass  # the server stopped reading: its answer is waiting
        response = http.client.HTTPResponse(sock)
        response.begin()
        answer = response.read()
        sock.close()
        return response.status, answer

    def runner_token(self, experiment):
        return (self.tokens / f"{experiment}.token").read_text()


def small_declaration(name="system-test", count=3):
    return {
        "name": name,
        "command": ["python3", "train.py"],
        "parameters": {"x": {"type": "int", "values": list(range(1, count + 1))}},
        "objective": {"metric": "loss", "goal": "minimize"},
    }


class WireServer:
    """nx-27017, a MongoDB wire-protocol server (PyPI), from the venv on a free port, its
    data in a SQLite file under `folder`, so it can be killed and started again on the
    same port with its data. SIGKILL stops it (it ignores SIGTERM)."""

    def __init__(self, folder):
        self.folder = pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process = None
        self.start()

    @property
    def url(self):
        return f"mongodb://127.0.0.1:{self.port}/assay?serverSelectionTimeoutMS=3000"

    def start(self):
        import sys
        binary = pathlib.Path(sys.executable).parent / "nx-27017"
        self.process = subprocess.Popen(
            [str(binary), "--db", str(self.folder / "mongo.db"), "-p", str(self.port), "--host", "127.0.0.1",
             "--log-file", str(self.folder / "mongo.log")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nx-27017 did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

