"""`python -m kubeapi serve --state-dir DIR [options]`: run the test API server.

It writes into DIR: ca.crt, admin-token, kubeconfig (admin), ready.json (url,
port, pid) once it answers, server.log, live-pgids.json, pods/ (volumes, logs).
SIGTERM/SIGINT stop it and kill every pod's process group.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import threading
import time

from .cluster import Cluster, Config
from .rbac import load_docs

DEFAULT_RBAC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "rbac.yaml")


def _parse(argv):
    p = argparse.ArgumentParser(prog="python -m kubeapi", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the API server until SIGTERM/SIGINT")
    s.add_argument("--state-dir", required=True)
    s.add_argument("--config", help="JSON file with Config fields (the harness writes one)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--namespace")
    s.add_argument("--rbac", help=f"YAML stream of ServiceAccounts/Roles/RoleBindings (default {DEFAULT_RBAC})")
    s.add_argument("--image", action="append", default=[], metavar="IMAGE=ARGV",
                   help='map an image to an entrypoint, e.g. "busybox=/bin/sh -c" (repeatable)')
    s.add_argument("--kube-version", action="append", default=[], help="validate against (repeatable)")
    s.add_argument("--node-gpus", type=int)
    s.add_argument("--bookmark-interval", type=float)
    s.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    return p.parse_args(argv)


def _write(path: str, text: str, mode: int = 0o644):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def serve(args) -> int:
    from .server import ApiServer, make_tls

    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    data = {}
    if args.config:
        with open(args.config) as f:
            data = json.load(f)
    data["state_dir"] = state_dir
    for key, value in (("host", args.host), ("port", args.port), ("namespace", args.namespace),
                       ("node_gpus", args.node_gpus), ("bookmark_interval", args.bookmark_interval)):
        if value is not None:
            data[key] = value
    if args.kube_version:
        data["kube_versions"] = args.kube_version
    if args.image:
        images = dict(data.get("images") or {})
        for spec in args.image:
            image, _, argv = spec.partition("=")
            images[image] = argv.split()
        data["images"] = images
    if "rbac_docs" not in data:
        data["rbac_docs"] = load_docs(args.rbac or DEFAULT_RBAC)
    if not data.get("admin_token"):
        data["admin_token"] = secrets.token_urlsafe(32)
    config = Config.from_dict(data)

    _write(os.path.join(state_dir, "admin-token"), config.admin_token, 0o600)
    ssl_context, ca_file = make_tls(state_dir, config.tls_names)
    cluster = Cluster(config)
    server = ApiServer(cluster, ssl_context)
    url = f"https://{config.host}:{cluster.port}"
    _write(os.path.join(state_dir, "kubeconfig"), json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "kubeapi-test",
        "clusters": [{"name": "kubeapi-test", "cluster": {"server": url, "certificate-authority": ca_file}}],
        "users": [{"name": "admin", "user": {"token": config.admin_token}}],
        "contexts": [{"name": "kubeapi-test", "context": {"cluster": "kubeapi-test", "user": "admin",
                                                          "namespace": config.namespace}}],
    }, indent=2), 0o600)

    done = threading.Event()

    def stop(*_):
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.parent_pid:
        def watch_parent():
            while not done.is_set():
                try:
                    os.kill(args.parent_pid, 0)
                except ProcessLookupError:
                    done.set()
                    return
                time.sleep(0.5)
        threading.Thread(target=watch_parent, daemon=True).start()

    cluster.start()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    _write(os.path.join(state_dir, "ready.json"), json.dumps({"url": url, "port": cluster.port, "pid": os.getpid(),
                                                               "ca_file": ca_file}))
    print(f"kubeapi: serving {url} (state {state_dir})", flush=True)
    while not done.wait(0.5):
        pass
    cluster.stop()
    server.socket.close()
    print("kubeapi: stopped", flush=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def main(argv=None) -> int:
    args = _parse(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
