"""HTTPS front end: routing, authentication, authorization, faults, the request
log, list/get/create/update/patch/delete, chunked watches, pods/log, discovery,
and the admin-only control API under /_test/."""

from __future__ import annotations

import base64
import collections
import json
import os
import select
import socket
import ssl
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import trustme

from . import errors, resources, tables
from .cluster import Cluster
from .errors import ApiError
from .resources import ResourceType
from .selection import FieldSelector, LabelSelector
from .store import CLOSE, DROP, dumps

DROP_PARTIAL = "drop-partial"


class RequestInfo:
    def __init__(self, verb, rt: ResourceType | None = None, namespace=None, name=None, subresource=""):
        self.verb, self.rt, self.namespace, self.name, self.subresource = verb, rt, namespace, name, subresource

    @property
    def resource(self) -> str | None:
        if self.rt is None:
            return None
        return f"{self.rt.name}/{self.subresource}" if self.subresource else self.rt.name


def route(method: str, path: str, query: dict) -> RequestInfo:
    """RequestInfo for an API path; non-resource paths get rt None."""
    parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
    not_found = ApiError(404, "NotFound", "the server could not find the requested resource", {})
    if len(parts) >= 2 and parts[0] == "api" and parts[1] == "v1":
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return RequestInfo("get")
    if not rest:
        return RequestInfo("get")
    legacy_watch = False
    if rest[0] == "watch":
        legacy_watch, rest = True, rest[1:]
    namespace = None
    if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) != 2:
        namespace, rest = rest[1], rest[2:]
    elif rest[0] == "namespaces":
        raise not_found
    if not rest:
        raise not_found
    rt = resources.lookup(group, version, rest[0])
    if rt is None or len(rest) > 3:
        raise not_found
    name = rest[1] if len(rest) >= 2 else None
    sub = rest[2] if len(rest) == 3 else ""
    if sub and sub not in dict(rt.subresources):
        raise not_found
    if namespace is None and (name is not None or method not in ("GET",)):
        raise not_found
    watch = legacy_watch or query.get("watch") in ("true", "1")
    if method == "GET":
        verb = "watch" if watch else ("get" if name else "list")
    elif method == "POST":
        if name:
            raise errors.method_not_allowed()
        verb = "create"
    elif method == "PUT":
        if not name:
            raise errors.method_not_allowed()
        verb = "update"
    elif method == "PATCH":
        if not name:
            raise errors.method_not_allowed()
        verb = "patch"
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        raise errors.method_not_allowed()
    if (sub == "log" or rt.read_only) and verb not in ("get", "list", "watch"):
        raise errors.method_not_allowed()
    if sub and verb in ("create", "delete", "deletecollection"):
        raise errors.method_not_allowed()
    return RequestInfo(verb, rt, namespace, name, sub)


def _continue_token(rv: int, start: tuple) -> str:
    return base64.urlsafe_b64encode(json.dumps({"rv": rv, "start": list(start)}).encode()).decode().rstrip("=")


def _parse_continue(token: str):
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(data["rv"]), tuple(data["start"])
    except Exception:
        raise errors.bad_request("continue key is not valid: illegal base64 data")


def _strip_list_item(obj: dict) -> dict:
    # Items of a typed list carry no kind/apiVersion, as the real API server sends them.
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kubeapi-test"
    sys_version = ""
    server: ApiServer

    def log_message(self, format, *args):  # noqa: A002 - quiet; the request log is the record
        pass

    # every verb goes through one dispatcher
    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # ---- plumbing -----------------------------------------------------------------
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def version_string(self):
        return self.server_version

    def _headers(self, code: int, content_type: str, extra: dict | None = None, length: int | None = None,
                 flush: bool = True):
        self.send_response(code)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", content_type)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self._status = code
        if flush:
            self.end_headers()

    def _send(self, code: int, body: bytes, content_type: str = "application/json", extra: dict | None = None):
        # headers and body in one write: one TLS record, no Nagle/delayed-ACK stall
        self._headers(code, content_type, extra, len(body), flush=False)
        self._headers_buffer.append(b"\r\n")
        data = b"".join(self._headers_buffer)
        self._headers_buffer = []
        self.wfile.write(data + body if self.command != "HEAD" else data)

    def _send_json(self, code: int, obj, extra: dict | None = None):
        self._send(code, (dumps(obj)).encode(), "application/json", extra)

    def _chunk(self, data: bytes):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            self.connection.settimeout(0.0)
            try:
                return self.connection.recv(1) == b""
            finally:
                self.connection.settimeout(None)
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except OSError:
            return True

    # ---- dispatch -----------------------------------------------------------------
    def _dispatch(self):
        cluster: Cluster = self.server.cluster
        started = time.time()
        self._status = None
        self._ident = None
        self._entry = None
        self._started = started
        info = None
        url = urlsplit(self.path)
        path = url.path
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            body = self._read_body()
            if path.startswith("/_test/") or path == "/_test":
                self._control(path, query, body)
                return
            if path in ("/healthz", "/livez", "/readyz"):
                self._send(200, b"ok", "text/plain; charset=utf-8")
                return
            self._ident = cluster.authn.authenticate(self.headers.get("Authorization"))
            if self._ident is None:
                raise errors.unauthorized()
            info = route(self.command, path, query)
            if not self._ident.admin:
                delay, fault = cluster.faults.take(info.verb, path, info.resource)
                if delay:
                    time.sleep(delay)
                if fault is not None and fault.kind == "error":
                    raise errors.from_status_code(fault.status, fault.message)
            if info.rt is None:
                self._non_resource(path)
                return
            if not cluster.authz.allowed(self._ident, info.verb, info.rt.group, info.rt.name, info.subresource,
                                         info.namespace, info.name or FieldSelector.parse(
                                             query.get("fieldSelector"), info.rt.name).name()):
                raise errors.forbidden(self._ident.user, info.verb, info.rt.name, info.subresource, info.rt.group,
                                       info.namespace, info.name)
            self._resource(info, query, body)
        except ApiError as e:
            if self._status is None:
                self._send_json(e.code, e.status(), e.headers)
            else:   # a stream already started: all that is left is to end it
                self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, TimeoutError):
            self.close_connection = True
        except Exception as e:
            cluster.log("request error:\n" + traceback.format_exc())
            if self._status is None:
                err = errors.internal_error(str(e))
                self._send_json(500, err.status())
            else:
                self.close_connection = True
        finally:
            if not path.startswith("/_test"):
                self._log_entry(path, url.query, info, started)
                self._entry["duration"] = time.time() - started

    def _log_entry(self, path: str, query: str, info: RequestInfo | None, started: float):
        """Appends this request to the request log once (a watch is logged when its stream starts)."""
        if getattr(self, "_entry", None) is not None and self._entry["t"] == started:
            return
        self._entry = {
            "method": self.command, "path": path, "query": query,
            "user": self._ident.user if self._ident else None, "status": self._status,
            "verb": info.verb if info and info.rt else None,
            "resource": info.resource if info else None,
            "namespace": info.namespace if info else None,
            "t": started, "duration": None,
        }
        self.server.log_request_entry(self._entry)

    def _non_resource(self, path: str):
        cluster: Cluster = self.server.cluster
        p = path.rstrip("/") or "/"
        if p == "/version":
            self._send_json(200, resources.version_info(max(cluster.config.kube_versions, key=_vkey)))
        elif p == "/api":
            self._send_json(200, resources.api_versions(f"{self.server.server_address[0]}:{cluster.port}"))
        elif p == "/apis":
            self._send_json(200, resources.api_group_list())
        elif p.startswith("/apis/") and p.count("/") == 2:
            doc = resources.api_group(p.split("/")[2])
            if doc is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
            self._send_json(200, doc)
        elif p == "/api/v1" or (p.startswith("/apis/") and p.count("/") == 3):
            parts = p.strip("/").split("/")
            group, version = ("", "v1") if parts[0] == "api" else (parts[1], parts[2])
            doc = resources.api_resource_list(group, version)
            if doc is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
            self._send_json(200, doc)
        else:
            self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")

    # ---- resources ----------------------------------------------------------------
    def _resource(self, info: RequestInfo, query: dict, body: bytes):
        cluster: Cluster = self.server.cluster
        rt, ns, name = info.rt, info.namespace, info.name
        dry_run = query.get("dryRun") == "All"
        if info.verb == "get":
            if info.subresource == "log":
                self._pod_log(ns, name, query)
                return
            obj = cluster.get_object(rt.name, ns, name)
            self._send_object(obj, rt)
        elif info.verb == "list":
            self._list(rt, ns, query)
        elif info.verb == "watch":
            self._watch(rt, ns, name, query)
        elif info.verb == "create":
            obj = cluster.create_object(rt.name, ns, self._json(body), dry_run=dry_run)
            self._send_json(201, obj)
        elif info.verb == "update":
            obj = cluster.update_object(rt, ns, name, self._json(body), info.subresource, dry_run)
            self._send_json(200, obj)
        elif info.verb == "patch":
            obj = cluster.patch_object(rt, ns, name, self._json(body), self.headers.get("Content-Type", ""),
                                       info.subresource, dry_run)
            self._send_json(200, obj)
        elif info.verb in ("delete", "deletecollection"):
            opts = self._json(body) if body.strip() else {}
            if not isinstance(opts, dict):
                raise errors.bad_request("DeleteOptions must be an object")
            policy = query.get("propagationPolicy") or opts.get("propagationPolicy")
            orphan = query.get("orphanDependents", opts.get("orphanDependents"))
            if policy is None and orphan is not None:
                policy = "Orphan" if str(orphan).lower() == "true" else "Background"
            grace = query.get("gracePeriodSeconds", opts.get("gracePeriodSeconds"))
            grace = int(grace) if grace not in (None, "") else None
            dry_run = dry_run or opts.get("dryRun") == ["All"]
            if info.verb == "delete":
                result, _ = cluster.delete_object(rt.name, ns, name, policy, grace,
                                                  opts.get("preconditions"), dry_run)
                self._send_json(200, result)
            else:
                labels = LabelSelector.parse(query.get("labelSelector"))
                fields = FieldSelector.parse(query.get("fieldSelector"), rt.name)
                items = []
                for obj in cluster.store.list(rt.name, ns, labels, fields):
                    try:
                        items.append(_strip_list_item(cluster.delete_object(
                            rt.name, ns, obj["metadata"]["name"], policy, grace, None, dry_run)[0]))
                    except ApiError as e:
                        if e.code != 404:
                            raise
                self._send_json(200, {"kind": rt.list_kind, "apiVersion": rt.api_version,
                                      "metadata": {"resourceVersion": str(cluster.store.rv)}, "items": items})

    @staticmethod
    def _json(body: bytes):
        try:
            return json.loads(body or b"null")
        except ValueError as e:
            raise errors.bad_request(f"error decoding request body as JSON: {e}")

    def _wants_table(self) -> bool:
        accept = self.headers.get("Accept", "")
        return "as=Table" in accept and "g=meta.k8s.io" in accept

    def _send_object(self, obj: dict, rt: ResourceType):
        if self._wants_table():
            self._send_json(200, tables.table(rt, [obj], self.server.cluster.store.rv,
                                              include_object=self._table_objects()))
        else:
            self._send_json(200, obj)

    def _table_objects(self) -> str:
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        return query.get("includeObject", "Metadata")

    def _list(self, rt: ResourceType, ns: str | None, query: dict):
        cluster: Cluster = self.server.cluster
        labels = LabelSelector.parse(query.get("labelSelector"))
        fields = FieldSelector.parse(query.get("fieldSelector"), rt.name)
        store = cluster.store
        with store.lock:
            items = store.list(rt.name, ns, labels, fields)
            rv = store.rv
            horizon = store.horizon
        token = query.get("continue")
        if token:
            list_rv, start = _parse_continue(token)
            if list_rv < horizon:
                raise errors.expired(
                    "The provided continue parameter is too old to display a consistent list result. You can "
                    "start a new list without the continue parameter.")
            items = [o for o in items if (o["metadata"]["namespace"], o["metadata"]["name"]) > start]
            rv = list_rv
        meta = {"resourceVersion": str(rv)}
        limit = int(query.get("limit") or 0)
        if limit > 0 and len(items) > limit:
            last = items[limit - 1]["metadata"]
            meta["continue"] = _continue_token(rv, (last["namespace"], last["name"]))
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        if self._wants_table():
            self._send_json(200, tables.table(rt, items, rv, meta, self._table_objects()))
            return
        self._send_json(200, {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta,
                              "items": [_strip_list_item(o) for o in items]})

    def _watch(self, rt: ResourceType, ns: str | None, name: str | None, query: dict):
        cluster: Cluster = self.server.cluster
        store = cluster.store
        fields = FieldSelector.parse(query.get("fieldSelector"), rt.name)
        if name:
            fields.requirements.append(("metadata.name", "=", name))
        labels = LabelSelector.parse(query.get("labelSelector"))
        send_initial = query.get("sendInitialEvents") == "true"
        bookmarks = query.get("allowWatchBookmarks") == "true"
        if send_initial and (not bookmarks or query.get("resourceVersionMatch") != "NotOlderThan"):
            raise errors.invalid("ListOptions", "meta.k8s.io", "", [{
                "reason": "FieldValueForbidden", "field": "sendInitialEvents",
                "message": "Forbidden: sendInitialEvents is allowed with watch=true, allowWatchBookmarks=true and "
                           "resourceVersionMatch=NotOlderThan"}])
        timeout = query.get("timeoutSeconds")
        deadline = time.monotonic() + float(timeout) if timeout not in (None, "") else None
        table = self._wants_table()
        w, initial, error, snapshot_rv = store.open_watch(rt.name, ns, labels, fields, query.get("resourceVersion"),
                                                          send_initial, self._ident.user)
        self._headers(200, "application/json", {})
        url = urlsplit(self.path)
        self._log_entry(url.path, url.query, RequestInfo("watch", rt, ns, name), self._started)
        conn = self.connection
        try:
            if error is not None:
                self._chunk((dumps({"type": "ERROR", "object": error}) + "\n").encode())
                self._end_chunks()
                return
            for line in initial:
                self._chunk(tables.convert_line(rt, line, store.rv) if table else line)
            if send_initial:
                self._chunk(store.bookmark_line(w, rt.kind, rt.api_version, snapshot_rv))
            interval = cluster.config.bookmark_interval
            next_bookmark = time.monotonic() + interval
            while True:
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    self._end_chunks()
                    return
                wait = min(1.0, (deadline - now) if deadline else 1.0,
                           max(next_bookmark - now, 0.0) if bookmarks else 1.0)
                item = w.get(max(wait, 0.0))
                if item is None:
                    now = time.monotonic()
                    if bookmarks and now >= next_bookmark:
                        line = store.bookmark_line(w, rt.kind, rt.api_version)
                        if line is not None:
                            self._chunk(line)
                            next_bookmark = now + interval
                    elif self._client_gone():
                        self.close_connection = True
                        return
                    continue
                if item == CLOSE:
                    self._end_chunks()
                    return
                if item in (DROP, DROP_PARTIAL):
                    if item == DROP_PARTIAL:
                        self.wfile.write(b"40\r\n{\"type\":\"MODIFIED\",\"object\":{\"kind\"")
                    self.close_connection = True
                    try:
                        conn.shutdown(socket.SHUT_RDWR)   # no TLS close_notify, no last chunk
                    except OSError:
                        pass
                    return
                self._chunk(tables.convert_line(rt, item, store.rv) if table else item)
        finally:
            if w is not None:
                store.close_watch(w)

    def _pod_log(self, ns: str, name: str, query: dict):
        cluster: Cluster = self.server.cluster
        pod = cluster.get_object("pods", ns, name)
        containers = [c["name"] for c in (pod["spec"].get("initContainers") or []) + pod["spec"]["containers"]]
        container = query.get("container")
        if not container:
            main = [c["name"] for c in pod["spec"]["containers"]]
            if len(main) != 1:
                raise errors.bad_request(f"a container name must be specified for pod {name}, choose one of: "
                                         f"[{' '.join(main)}]")
            container = main[0]
        if container not in containers:
            raise errors.bad_request(f"container {container} is not valid for pod {name}")
        previous = query.get("previous") == "true"
        with cluster.store.lock:
            path, crun = cluster.kubelet.log_path(pod["metadata"]["uid"], container, previous)
            started = crun is not None and crun.proc is not None
        if path is None or not (started or previous):
            if previous:
                raise errors.bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
            waiting = crun.waiting[0] if crun is not None and crun.waiting else "ContainerCreating"
            if waiting in ("ErrImagePull", "ImagePullBackOff"):
                waiting = "trying and failing to pull image"
            raise errors.bad_request(f'container "{container}" in pod "{name}" is waiting to start: {waiting}')
        with open(path, "rb") as f:
            data = f.read()
        tail = query.get("tailLines")
        if tail not in (None, ""):
            n = int(tail)
            lines = data.splitlines(keepends=True)
            data = b"".join(lines[-n:]) if n > 0 else b""
        limit = query.get("limitBytes")
        if limit not in (None, ""):
            data = data[:int(limit)]
        if query.get("follow") != "true":
            self._send(200, data, "text/plain")
            return
        self._headers(200, "text/plain", {})
        if data:
            self._chunk(data)
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            while True:
                more = f.read()
                if more:
                    self._chunk(more)
                    continue
                if not crun.running or self._client_gone():
                    more = f.read()
                    if more:
                        self._chunk(more)
                    self._end_chunks()
                    return
                time.sleep(0.1)

    # ---- the control API (admin token only) -----------------------------------------
    def _control(self, path: str, query: dict, body: bytes):
        cluster: Cluster = self.server.cluster
        self._ident = cluster.authn.authenticate(self.headers.get("Authorization"))
        if self._ident is None:
            raise errors.unauthorized()
        if not self._ident.admin:
            raise ApiError(403, "Forbidden", "the control API needs the admin token")
        data = self._json(body) if body.strip() else {}
        method, p = self.command, path.rstrip("/")
        if p == "/_test/state" and method == "GET":
            self._send_json(200, cluster.state())
        elif p == "/_test/requests" and method == "GET":
            since = float(query.get("since") or 0)
            self._send_json(200, [r for r in self.server.requests() if r["t"] >= since])
        elif p == "/_test/requests" and method == "DELETE":
            with self.server._log_lock:
                self.server.request_log.clear()
            self._send_json(200, {})
        elif p == "/_test/faults" and method == "POST":
            try:
                fault = cluster.faults.add(data)
            except (ValueError, TypeError) as e:
                raise errors.bad_request(str(e))
            self._send_json(201, fault.describe())
        elif p == "/_test/faults" and method == "GET":
            self._send_json(200, cluster.faults.describe())
        elif p == "/_test/faults" and method == "DELETE":
            cluster.faults.clear()
            self._send_json(200, {})
        elif p == "/_test/watches/drop" and method == "POST":
            n = cluster.store.signal_watchers(DROP_PARTIAL if data.get("partial") else DROP)
            self._send_json(200, {"watches": n})
        elif p == "/_test/watches/truncate" and method == "POST":
            n = cluster.store.signal_watchers(CLOSE)
            self._send_json(200, {"watches": n})
        elif p == "/_test/compact" and method == "POST":
            cluster.store.compact()
            self._send_json(200, {"resourceVersion": str(cluster.store.rv)})
        elif p == "/_test/images" and method == "GET":
            self._send_json(200, cluster.images)
        elif p == "/_test/images" and method == "POST":
            with cluster.store.lock:
                if data.get("argv") is None:
                    cluster.images.pop(data["image"], None)
                else:
                    cluster.images[data["image"]] = list(data["argv"])
                cluster.store.poke()
            self._send_json(200, cluster.images)
        elif p == "/_test/tokens" and method == "GET":
            ns, sa = query.get("namespace", cluster.config.namespace), query["serviceAccount"]
            self._send_json(200, {"token": cluster.authn.token(ns, sa)})
        elif p == "/_test/tokens/rotate" and method == "POST":
            ns, sa = data.get("namespace", cluster.config.namespace), data["serviceAccount"]
            grace = float(data.get("graceSeconds", cluster.config.token_grace_seconds))
            self._send_json(200, {"token": cluster.authn.rotate(ns, sa, grace)})
        elif p == "/_test/tokens/revoke" and method == "POST":
            cluster.authn.revoke(data.get("namespace", cluster.config.namespace), data["serviceAccount"])
            self._send_json(200, {})
        elif p == "/_test/shutdown" and method == "POST":
            self._send_json(200, {})
            threading.Thread(target=self.server.stop_all, daemon=True).start()
        else:
            raise ApiError(404, "NotFound", f"no control endpoint {method} {p}")


def _vkey(v: str):
    return tuple(int(x) for x in v.lstrip("v").split(".")[:3])


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, cluster: Cluster, ssl_context: ssl.SSLContext):
        self.cluster = cluster
        self.ssl_context = ssl_context
        self.request_log = collections.deque(maxlen=200_000)
        self._log_lock = threading.Lock()
        super().__init__((cluster.config.host, cluster.config.port), Handler)
        cluster.port = self.server_address[1]

    def log_request_entry(self, entry: dict):
        with self._log_lock:
            self.request_log.append(entry)

    def requests(self) -> list[dict]:
        with self._log_lock:
            return [dict(r) for r in self.request_log]

    def finish_request(self, request, client_address):
        # TLS handshake in the connection's own thread, never in the accept loop.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request.settimeout(10)
        try:
            conn = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            conn.settimeout(None)
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass

    def stop_all(self):
        self.cluster.stop()
        self.shutdown()


def make_tls(state_dir: str, names) -> tuple[ssl.SSLContext, str]:
    """A private CA (ca.crt in state_dir) and a server certificate for names."""
    ca = trustme.CA(organization_name="kubeapi-test", organization_unit_name="kubeapi-test CA")
    cert = ca.issue_cert(*names)
    ca_file = os.path.join(state_dir, "ca.crt")
    ca.cert_pem.write_to_path(ca_file)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx, ca_file
