"""Real `assay-runner` processes, a real SMTP server and a throwaway CA for the Runner
system tests (test_runner.py). Nothing here is a fake: the Runner talks HTTP to a real
`assay-server`, and mail goes through aiosmtpd over STARTTLS with AUTH.
"""

import email
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time
from email import policy

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SMTP_CAPTURE = ROOT / "Tests" / "AssayCurlTests" / "smtp_capture.py"


def missing(hint):
    """A tool the test needs is not here: a failure under CI=true, a skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{hint} (CI=true: nothing is skipped)")
    pytest.skip(hint)


def wait_for(predicate, timeout=60, what="condition", interval=0.05):
    """Polls `predicate` until it returns something truthy; fails naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class RunnerProcess:
    """One `assay-runner` for one experiment of a `Server` (assay_server.py).

    The token goes on stdin (`ASSAY_RUNNER_TOKEN_FILE=-`, as the local executor passes it)
    unless `token_via="env"`. `user` runs it under another uid with setpriv (tests run as
    root in CI; a Runner in a pod is not root). Logs go to `<folder>/<name>.log`.
    """

    def __init__(self, binary, server, experiment, folder, name, *, slots=1, token_via="stdin",
                 extra_env=None, user=None, log_level="info"):
        self.name = name
        self.folder = pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log = self.folder / f"{name}.log"
        self.token = server.runner_token(experiment)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSAY_")}
        env.update({
            "ASSAY_SERVER_URL": server.url,
            "ASSAY_EXPERIMENT_ID": experiment,
            "ASSAY_RUNNER_ID": name,
            "ASSAY_RUNNER_SLOTS": str(slots),
            "ASSAY_RUNNER_WORK_DIR": str(self.folder / f"{name}-work"),
            "ASSAY_LOG_LEVEL": log_level,
        })
        if token_via == "stdin":
            env["ASSAY_RUNNER_TOKEN_FILE"] = "-"
        else:
            env["ASSAY_RUNNER_TOKEN"] = self.token
        env.update(extra_env or {})
        command = [str(binary)]
        if user is not None:
            command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdin=subprocess.PIPE, stdout=log, stderr=log, cwd=self.folder)
        if token_via == "stdin":
            self.process.stdin.write((self.token + "\n").encode())
        self.process.stdin.close()

    @property
    def pid(self):
        return self.process.pid

    def wait(self, timeout=60):
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"runner {self.name} still running after {timeout} s:\n{self.log_text()[-3000:]}")

    def kill(self, sig):
        self.process.send_signal(sig)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def make_certificates(folder):
    """A CA and a server certificate it signed for 127.0.0.1 and localhost (openssl)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        missing("the openssl command is not on PATH: install openssl")
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "server.ext").write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-noenc"]
    steps = [
        ["req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Assay Runner Test CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["req", "-new", *key, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "server.crt", "-days", "2", "-extfile", "server.ext"],
    ]
    for step in steps:
        result = subprocess.run([openssl, *step], cwd=folder, capture_output=True, text=True)
        assert result.returncode == 0, f"openssl {' '.join(step)}: {result.stderr}"
    return folder / "ca.crt", folder / "server.crt", folder / "server.key"


class SMTPCapture:
    """aiosmtpd (Tests/AssayCurlTests/smtp_capture.py) storing every mail it accepts."""

    def __init__(self, folder, certificates=None, user=None, password=None):
        try:
            import aiosmtpd  # noqa: F401  (the script runs under this same interpreter)
        except ImportError:
            missing(f"{sys.executable} cannot import aiosmtpd: run `make venv`")
        self.directory = pathlib.Path(folder)
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(SMTP_CAPTURE), "--directory", str(self.directory)]
        if certificates:
            _, certificate, key = certificates
            command += ["--tls-cert", str(certificate), "--tls-key", str(key)]
        if user:
            command += ["--user", user, "--password", password]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        assert line.startswith("READY "), f"smtp_capture.py did not start: {line!r}"
        self.port = int(line.split()[1])
        self.url = f"smtp://127.0.0.1:{self.port}"

    def stop(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def messages(self):
        """[(envelope, email.message.EmailMessage)] of every accepted mail."""
        found = []
        for eml in sorted(self.directory.glob("*.eml")):
            envelope = json.loads(eml.with_suffix(".json").read_text())
            found.append((envelope, email.message_from_bytes(eml.read_bytes(), policy=policy.default)))
        return found
