"""KubeTestCluster: starts the test API server as a subprocess and talks to it."""

from __future__ import annotations

import atexit
import base64
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import yaml

from .rbac import load_docs
from .resources import RESOURCES

PACKAGE_PARENT = Path(__file__).resolve().parent.parent
DEFAULT_RBAC = PACKAGE_PARENT / "fixtures" / "rbac.yaml"


class KubeAPIError(Exception):
    """A non-2xx answer; .status is the HTTP code, .body the decoded Status (or text)."""

    def __init__(self, status: int, body):
        self.status = status
        self.body = body
        message = body.get("message") if isinstance(body, dict) else body
        super().__init__(f"HTTP {status}: {message}")

    @property
    def reason(self):
        return self.body.get("reason") if isinstance(self.body, dict) else None


class Faults:
    """cluster.faults: inject errors and delays, cut or end watches, compact the event log."""

    def __init__(self, cluster: KubeTestCluster):
        self._c = cluster

    def __call__(self, **spec) -> dict:
        """A raw fault spec, e.g. faults(kind="error", status=503, count=2)."""
        return self._c.api("POST", "/_test/faults", spec)

    def error(self, status: int = 500, count: int | None = None, seconds: float | None = None,
              verbs=None, paths=None, resources=None, message: str | None = None) -> dict:
        """The next `count` matching API requests (or those in the next `seconds`) answer `status`
        with a Status body (429 adds Retry-After: 1). verbs/paths(prefixes; "^..." = regex)/resources
        narrow it. Requests with the admin token are never affected."""
        return self(kind="error", status=status, count=count, seconds=seconds, verbs=verbs, paths=paths,
                    resources=resources, message=message)

    def delay(self, seconds: float, count: int | None = None, seconds_total: float | None = None,
              verbs=None, paths=None, resources=None) -> dict:
        """Matching requests wait `seconds` before being handled."""
        return self(kind="delay", seconds=seconds, count=count, seconds_total=seconds_total, verbs=verbs,
                    paths=paths, resources=resources)

    def clear(self):
        self._c.api("DELETE", "/_test/faults")

    def list(self) -> list:
        return self._c.api("GET", "/_test/faults")

    def drop_watches(self, partial: bool = False) -> int:
        """Cuts every open watch connection now, without the terminating chunk (partial=True
        first sends half a chunk, as a connection breaking mid-event). Returns how many."""
        return self._c.api("POST", "/_test/watches/drop", {"partial": partial})["watches"]

    def truncate_watches(self) -> int:
        """Ends every open watch cleanly (terminating chunk), as a server-side timeout."""
        return self._c.api("POST", "/_test/watches/truncate")["watches"]

    def compact(self) -> str:
        """Drops the event log up to now: a watch from an older resourceVersion gets a 410 ERROR event."""
        return self._c.api("POST", "/_test/compact")["resourceVersion"]

    def unpullable(self, image: str):
        """The image can no longer be pulled (ErrImagePull / ImagePullBackOff for new containers)."""
        self._c.set_image(image, None)


class KubeTestCluster:
    def __init__(self, workdir, namespace: str = "assay", images: dict | None = None,
                 rbac_file=DEFAULT_RBAC, rbac_docs: list | None = None,
                 kube_versions=("1.30.0", "1.37.0"), node_labels: dict | None = None, node_gpus: int = 0,
                 node_taints=(), env: dict | None = None, startup_timeout: float = 30.0,
                 python: str = sys.executable, **options):
        """options: any other server Config field, e.g. bookmark_interval=0.5,
        max_grace_seconds=5, image_pull_backoff_seconds=1, restart_backoff_seconds=1,
        pod_failure_backoff_seconds=0, event_log_size=10000, token_grace_seconds=10,
        check_service_accounts=True, port=0."""
        self.workdir = Path(workdir).resolve()
        self.state_dir = self.workdir
        self.namespace = namespace
        self.rbac_docs = rbac_docs if rbac_docs is not None else load_docs(rbac_file)
        self.config = {
            "namespace": namespace,
            "images": {k: list(v) for k, v in (images or {}).items()},
            "rbac_docs": self.rbac_docs,
            "kube_versions": list(kube_versions),
            "node_labels": node_labels,
            "node_gpus": node_gpus,
            "node_taints": list(node_taints),
            **options,
        }
        self.env = env or {}
        self.startup_timeout = startup_timeout
        self.python = python
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.port = 0
        self.ca_file = ""
        self.admin_token = ""
        self.faults = Faults(self)
        self._ssl: ssl.SSLContext | None = None
        self._stopped = False

    # ---- lifecycle -------------------------------------------------------------------
    def start(self) -> KubeTestCluster:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for stale in ("ready.json", "live-pgids.json"):
            (self.workdir / stale).unlink(missing_ok=True)
        config_file = self.workdir / "config.json"
        config_file.write_text(json.dumps(self.config))
        env = dict(os.environ)
        env.update(self.env)
        env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_PARENT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH")
                                                                     else []))
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        self._out = open(self.workdir / "server.out", "wb")
        self._err_path = self.workdir / "server.log"
        self._err = open(self._err_path, "wb")
        self.proc = subprocess.Popen(
            [self.python, "-m", "kubeapi", "serve", "--state-dir", str(self.workdir), "--config", str(config_file),
             "--parent-pid", str(os.getpid())],
            cwd=str(self.workdir), env=env, stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err,
            start_new_session=True)
        atexit.register(self.stop)
        deadline = time.monotonic() + self.startup_timeout
        ready = self.workdir / "ready.json"
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kubeapi server exited with {self.proc.returncode}:\n{self.server_log()}")
            if ready.exists():
                info = json.loads(ready.read_text())
                self.url, self.port, self.ca_file = info["url"], info["port"], info["ca_file"]
                self.admin_token = (self.workdir / "admin-token").read_text().strip()
                break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"kubeapi server did not start within {self.startup_timeout}s:\n"
                                   f"{self.server_log()}")
            time.sleep(0.02)
        self._ssl = ssl.create_default_context(cafile=self.ca_file)
        while True:
            try:
                status, _ = self.request("GET", "/version")
                if status == 200:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"kubeapi server does not answer:\n{self.server_log()}")
            time.sleep(0.02)

    def server_log(self) -> str:
        try:
            return self._err_path.read_text(errors="replace")
        except (OSError, AttributeError):
            return ""

    def stop(self):
        """Stops the server and kills every pod process group. Idempotent."""
        if self._stopped or self.proc is None:
            return
        self._stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # a server that died hard leaves its live process groups listed
        try:
            pgids = json.loads((self.workdir / "live-pgids.json").read_text())
        except (OSError, ValueError):
            pgids = []
        for pgid in pgids:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for f in (getattr(self, "_out", None), getattr(self, "_err", None)):
            if f:
                f.close()
        try:
            atexit.unregister(self.stop)
        except Exception:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- HTTP ----------------------------------------------------------------------
    def request(self, method: str, path: str, body=None, token: str | None = None, headers: dict | None = None,
                query: dict | None = None, timeout: float = 30.0) -> tuple[int, object]:
        """One HTTPS request (admin token unless token is given; token="" sends none).
        Returns (status, decoded JSON or text)."""
        if query:
            path += ("&" if "?" in path else "?") + urlencode({k: v for k, v in query.items() if v is not None})
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self._ssl, timeout=timeout)
        try:
            hdrs = {"Accept": "application/json"}
            tok = self.admin_token if token is None else token
            if tok:
                hdrs["Authorization"] = f"Bearer {tok}"
            data = None
            if body is not None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                hdrs["Content-Type"] = "application/json"
            hdrs.update(headers or {})
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            raw = resp.read()
            if "json" in (resp.getheader("Content-Type") or ""):
                return resp.status, json.loads(raw or b"null")
            return resp.status, raw.decode(errors="replace")
        finally:
            conn.close()

    def api(self, method: str, path: str, body=None, **kw):
        status, out = self.request(method, path, body, **kw)
        if status >= 300:
            raise KubeAPIError(status, out)
        return out

    def path(self, resource: str, name: str | None = None, namespace: str | None = None,
             subresource: str = "") -> str:
        rt = RESOURCES[resource]
        p = rt.collection_path(namespace or self.namespace)
        if name:
            p += "/" + quote(name)
        if subresource:
            p += "/" + subresource
        return p

    # ---- objects (admin token) ------------------------------------------------------
    def list(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None) -> list[dict]:
        out = self.api("GET", self.path(resource, namespace=namespace),
                       query={"labelSelector": label_selector, "fieldSelector": field_selector})
        return out["items"]

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict | None:
        """The object, or None when it does not exist."""
        status, out = self.request("GET", self.path(resource, name, namespace))
        if status == 404:
            return None
        if status >= 300:
            raise KubeAPIError(status, out)
        return out

    def create(self, resource: str, obj: dict, namespace: str | None = None) -> dict:
        return self.api("POST", self.path(resource, namespace=namespace), obj)

    def delete(self, resource: str, name: str, namespace: str | None = None, propagation: str | None = None,
               grace_seconds: int | None = None):
        body = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation:
            body["propagationPolicy"] = propagation
        if grace_seconds is not None:
            body["gracePeriodSeconds"] = grace_seconds
        return self.api("DELETE", self.path(resource, name, namespace), body)

    def logs(self, pod: str, container: str | None = None, namespace: str | None = None,
             tail_lines: int | None = None) -> str:
        return self.api("GET", self.path("pods", pod, namespace, "log"),
                        query={"container": container, "tailLines": tail_lines})

    def wait_for(self, predicate, timeout: float = 10.0, interval: float = 0.05, message: str = ""):
        """Polls predicate() until it returns something truthy; returns that, or raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(message or f"condition not met within {timeout}s")
            time.sleep(interval)

    # ---- credentials ------------------------------------------------------------------
    def token(self, service_account: str = "assay-server", namespace: str | None = None) -> str:
        return self.api("GET", "/_test/tokens", query={"namespace": namespace or self.namespace,
                                                        "serviceAccount": service_account})["token"]

    def rotate_token(self, service_account: str = "assay-server", path_of_sa_dir=None,
                     namespace: str | None = None, grace_seconds: float | None = None) -> str:
        """Issues a new token (the old one stays valid grace_seconds, default 10 s) and, given
        an in-cluster directory, rewrites its token file atomically. Returns the new token."""
        body = {"namespace": namespace or self.namespace, "serviceAccount": service_account}
        if grace_seconds is not None:
            body["graceSeconds"] = grace_seconds
        tok = self.api("POST", "/_test/tokens/rotate", body)["token"]
        if path_of_sa_dir is not None:
            _atomic_write(Path(path_of_sa_dir) / "token", tok)
        return tok

    def write_kubeconfig(self, path, service_account: str | None = "assay-server", ca: str = "file",
                         namespace: str | None = None) -> Path:
        """A kubeconfig for the ServiceAccount (service_account=None: the admin token);
        ca="file" references ca_file, ca="data" embeds it."""
        tok = self.admin_token if service_account is None else self.token(service_account)
        cluster = {"server": self.url}
        if ca == "data":
            cluster["certificate-authority-data"] = base64.b64encode(Path(self.ca_file).read_bytes()).decode()
        elif ca == "file":
            cluster["certificate-authority"] = self.ca_file
        else:
            raise ValueError('ca must be "file" or "data"')
        user = service_account or "admin"
        doc = {
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": "kubeapi-test", "cluster": cluster}],
            "users": [{"name": user, "user": {"token": tok}}],
            "contexts": [{"name": "kubeapi-test", "context": {"cluster": "kubeapi-test", "user": user,
                                                              "namespace": namespace or self.namespace}}],
            "current-context": "kubeapi-test",
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        path.chmod(0o600)
        return path

    def write_service_account_dir(self, path, service_account: str = "assay-server") -> Path:
        """The in-cluster layout: token, ca.crt, namespace."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        _atomic_write(path / "token", self.token(service_account))
        _atomic_write(path / "ca.crt", Path(self.ca_file).read_text())
        _atomic_write(path / "namespace", self.namespace)
        return path

    # ---- test control ----------------------------------------------------------------
    def requests(self, since: float | None = None) -> list[dict]:
        """The request log: {method, path, query, user, status, verb, resource, namespace, t, duration}."""
        return self.api("GET", "/_test/requests", query={"since": since})

    def clear_requests(self):
        self.api("DELETE", "/_test/requests")

    def state(self) -> dict:
        return self.api("GET", "/_test/state")

    def processes(self) -> list[dict]:
        return self.state()["processes"]

    def set_image(self, image: str, argv: list | None):
        """Maps an image to an entrypoint argv at runtime (None: the image cannot be pulled)."""
        self.api("POST", "/_test/images", {"image": image, "argv": argv})


def _atomic_write(path: Path, text: str):
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
