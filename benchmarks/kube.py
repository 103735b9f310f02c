"""The Kubernetes executor under a burst: 100 experiments submitted at once.

A release `assay-server` (SQLite, `ASSAY_EXECUTOR=kubernetes`) against the test
Kubernetes API server (Tests/kubeapi). Runner pods are kept Pending by a node
selector no node matches, so the numbers are the executor's and the API
server's, not the Runners'. Measured in the same run:

- time from the first submit until the API server holds all 100 Jobs, and the
  submit calls' own latency;
- API requests the server made per experiment, against the floor of 2
  (one Job, one Secret) — watches, lists and retries included;
- the server's CPU while idle with its watches open, against the same server
  binary idle with the local executor (no watches), over the same window.

Results go to benchmarks/out/kube.json.

Usage: python benchmarks/kube.py SERVER_BINARY [--experiments N] [--idle SECONDS]
"""

import argparse
import concurrent.futures
import os
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "system"))
sys.path.insert(0, str(ROOT / "Tests" / "kubeapi"))
from bench_support import write_result  # noqa: E402
from assay_server import Server  # noqa: E402
from kubeapi import KubeTestCluster  # noqa: E402

IMAGE = "assay/runner:bench"


def cpu_seconds(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def idle_cpu(server, seconds):
    before = cpu_seconds(server.process.pid)
    time.sleep(seconds)
    return (cpu_seconds(server.process.pid) - before) / seconds


def declaration(i):
    return {"name": f"burst-{i}", "command": ["/bin/true"], "workers": 2,
            "parameters": {"x": {"type": "int", "values": [1, 2, 3]}}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("--experiments", type=int, default=100)
    parser.add_argument("--idle", type=float, default=20.0)
    args = parser.parse_args()
    folder = pathlib.Path(tempfile.mkdtemp(prefix="assay-bench-kube-"))
    cluster = KubeTestCluster(folder / "cluster", namespace="assay", images={IMAGE: ["/bin/sleep", "3600"]},
                              node_labels={"pool": "default"}).start()
    server = Server(args.server, folder / "server")
    server.extra_env = {
        "ASSAY_EXECUTOR": "kubernetes", "ASSAY_RUNNER_IMAGE": IMAGE, "ASSAY_NAMESPACE": "assay",
        "ASSAY_RUNNER_SERVER_URL": server.url, "ASSAY_RUNNER_NODE_SELECTOR": "pool=gpu-none",
        "ASSAY_LOG_LEVEL": "warning",
        "KUBECONFIG": str(cluster.write_kubeconfig(folder / "kubeconfig", service_account="assay-server")),
    }
    baseline = Server(args.server, folder / "baseline", extra_env={"ASSAY_EXECUTOR": "local", "ASSAY_LOG_LEVEL": "warning"})
    try:
        server.start()
        token = server.user_token("bench")
        artifact = server.request("POST", "/api/v1/artifacts", b"PK\x05\x06" + b"\x00" * 18, token=token,
                                  content_type="application/zip").json()["id"]
        time.sleep(1)  # the watches are open
        cluster.clear_requests()

        def submit(i):
            began = time.perf_counter()
            response = server.request("POST", "/api/v1/experiments", {"declaration": declaration(i), "artifact": artifact},
                                      token=token, timeout=60)
            assert response.status == 201, response.body
            return time.perf_counter() - began

        began = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            latencies = sorted(pool.map(submit, range(args.experiments)))
        deadline = time.monotonic() + 120
        while len(cluster.list("jobs")) < args.experiments:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(cluster.list('jobs'))} Jobs after 120 s")
            time.sleep(0.02)
        all_created = time.perf_counter() - began
        time.sleep(2)  # let the reconcile passes triggered by the burst finish
        made = [r for r in cluster.requests() if r.get("user", "").startswith("system:serviceaccount")]
        per_experiment = len(made) / args.experiments
        by_kind = {}
        for r in made:
            key = f'{r["method"]} {r["path"].rsplit("/", 1)[-1] if r["method"] != "POST" else r["path"].rsplit("/", 1)[-1]}'
            by_kind[key] = by_kind.get(key, 0) + 1

        cluster.clear_requests()
        idle_kube = idle_cpu(server, args.idle)
        idle_requests = len([r for r in cluster.requests() if r.get("user", "").startswith("system:serviceaccount")])
        server.stop()
        baseline.start()
        idle_local = idle_cpu(baseline, args.idle)
        baseline.stop()

        result = {
            "experiments": args.experiments,
            "all_jobs_created_s": round(all_created, 3),
            "submit_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
            "submit_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
            "requests_per_experiment": round(per_experiment, 2),
            "requests_floor": 2,
            "requests_ratio_to_floor": round(per_experiment / 2, 2),
            "requests_by_kind": by_kind,
            "idle_seconds": args.idle,
            "idle_requests": idle_requests,
            "idle_cpu_kubernetes_pct": round(idle_kube * 100, 3),
            "idle_cpu_local_pct": round(idle_local * 100, 3),
            "idle_cpu_ratio": round(idle_kube / idle_local, 2) if idle_local > 0 else None,
        }
        print(f"kube burst: {args.experiments} experiments -> all Jobs in {all_created:.2f} s "
              f"(submit p50 {result['submit_p50_ms']} ms, p99 {result['submit_p99_ms']} ms)")
        print(f"  API requests per experiment {per_experiment:.2f} (floor 2: {per_experiment / 2:.2f}x) {by_kind}")
        print(f"  idle {args.idle:.0f} s: {idle_requests} requests; CPU kubernetes {idle_kube * 100:.3f}% "
              f"vs local executor {idle_local * 100:.3f}%" + (f" ({idle_kube / idle_local:.2f}x)" if idle_local > 0 else ""))
        write_result("kube", result)
    finally:
        server.stop()
        baseline.stop()
        cluster.stop()


if __name__ == "__main__":
    main()
