"""The server at size: 10,000 experiments and 1,000,000 finished trials in the
embedded default's SQLite store, through a real `assay-server` (release build).

Measured in the same run, first on the empty server (the baseline), then full:
- the server's RSS (idle, after the fill);
- the latency (p50, p99) of the experiments list page (`GET /api/v1/experiments`,
  25 a page, the UI's first request) and of a page of a 10,000-trial experiment's
  trials sorted by a metric (`GET .../trials?metric=loss&limit=100`);
- the database's size on disk, and how fast the fill went (trials/s through the
  Runner API: leases of 1,000 and batches of 1,000 finished trials).
Ratios are full against empty. MongoDB is not measured here: nx-27017, the
wire server this machine has, is an emulator whose bulk update speed would be
the figure (docs/storage.md). Results go to benchmarks/out/scale.json.

Usage: python benchmarks/scale.py SERVER [--experiments N] [--trials N]
"""

import argparse
import http.client
import json
import pathlib
import shutil
import signal
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "system"))
from bench_support import rss_mib, write_result  # noqa: E402
from assay_server import Server, code_zip  # noqa: E402

TRIALS_PER_RUN = 10_000


class Client:
    def __init__(self, port, token):
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method, path, body=None):
        self.conn.request(method, path, None if body is None else json.dumps(body, separators=(",", ":")), self.headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:200]!r}")
        return json.loads(payload) if payload else None


def latency(client, path, count=200):
    times = []
    for _ in range(count):
        began = time.perf_counter()
        client.call("GET", path)
        times.append(time.perf_counter() - began)
    times.sort()
    return {"p50_ms": times[len(times) // 2] * 1000, "p99_ms": times[min(len(times) - 1, int(0.99 * len(times)))] * 1000}


def declaration(name, trials):
    return {"name": name, "command": ["true"], "parameters": {"x": {"type": "int", "min": 0, "max": trials - 1, "step": 1}},
            "objective": {"metric": "loss", "goal": "minimize"}}


def create(client, artifact, name, trials):
    return client.call("POST", "/api/v1/experiments", {"declaration": declaration(name, trials), "artifact": artifact})["id"]


def run_all(server, experiment):
    """Leases every trial of `experiment` and reports each finished, 1,000 at a time."""
    runner = Client(server.port, server.runner_token(experiment))
    base = f"/api/v1/runner/experiments/{experiment}"
    seq = 0
    while True:
        leases = runner.call("POST", f"{base}/lease", {"runner": "scale", "max": 1000})["leases"]
        if not leases:
            return
        seq += 1
        events = [{"type": "finished", "trial": l["index"], "attempt": l["attempt"], "status": "succeeded", "exitCode": 0,
                   "seconds": 0.01, "metrics": {"loss": (l["index"] * 7919 % 10007) / 10007}} for l in leases]
        runner.call("POST", f"{base}/events", {"runner": "scale", "seq": seq, "events": events})


def measure(server, client, small, large):
    return {
        "rss_mib": rss_mib(server.process.pid),
        "list_page": latency(client, "/api/v1/experiments?limit=25"),
        "trial_page": latency(client, f"/api/v1/experiments/{large or small}/trials?metric=loss&order=asc&limit=100"),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("--experiments", type=int, default=10_000)
    parser.add_argument("--trials", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = pathlib.Path(tempfile.mkdtemp(prefix="assay-scale-"))
    server = Server(pathlib.Path(args.server).resolve(), folder / "server", extra_env={"ASSAY_MAX_TRIALS": str(TRIALS_PER_RUN)}).start()
    try:
        token = server.user_token("bench")
        client = Client(server.port, token)
        artifact = server.request("POST", "/api/v1/artifacts", code_zip(), token=token, content_type="application/zip").json()["id"]
        time.sleep(1)
        idle = rss_mib(server.process.pid)
        # The baseline: one experiment of 100 finished trials.
        small = create(client, artifact, "small", 100)
        run_all(server, small)
        empty = measure(server, client, small, None)
        print(f"scale empty: RSS {idle:.1f} MiB idle, {empty['rss_mib']:.1f} MiB; list page p50 {empty['list_page']['p50_ms']:.2f} ms "
              f"p99 {empty['list_page']['p99_ms']:.2f} ms; 100-trial page p50 {empty['trial_page']['p50_ms']:.2f} ms", flush=True)

        began = time.monotonic()
        runs = max(1, args.trials // TRIALS_PER_RUN)
        large = None
        for number in range(args.experiments - 1):
            eid = create(client, artifact, f"exp-{number}", TRIALS_PER_RUN if number < runs else 10)
            if number < runs:
                run_all(server, eid)
                large = large or eid
            if number % 1000 == 999:
                print(f"scale fill: {number + 1} experiments, {min(number + 1, runs) * TRIALS_PER_RUN} trials, "
                      f"{time.monotonic() - began:.0f} s", flush=True)
        fill_s = time.monotonic() - began
        trials = runs * TRIALS_PER_RUN + 100
        time.sleep(1)
        full = measure(server, client, small, large)
        database = sum(p.stat().st_size for p in (folder / "server").glob("assay.db*"))
        ratio = lambda key: full[key]["p50_ms"] / empty[key]["p50_ms"]  # noqa: E731
        result = {"experiments": args.experiments, "trials": trials, "fill_s": fill_s, "trials_per_s": runs * TRIALS_PER_RUN / fill_s,
                  "database_mib": database / 2**20, "idle_rss_mib": idle, "empty": empty, "full": full,
                  "ratio_rss_full_vs_idle": full["rss_mib"] / idle,
                  "ratio_list_p50_full_vs_empty": ratio("list_page"), "ratio_trial_page_p50_full_vs_empty": ratio("trial_page")}
        print(f"scale full: {args.experiments} experiments, {trials} trials stored in {fill_s:.0f} s "
              f"({result['trials_per_s']:.0f} trials/s), database {result['database_mib']:.0f} MiB", flush=True)
        print(f"scale full: RSS {full['rss_mib']:.1f} MiB ({result['ratio_rss_full_vs_idle']:.2f}x idle); list page p50 "
              f"{full['list_page']['p50_ms']:.2f} ms p99 {full['list_page']['p99_ms']:.2f} ms ({result['ratio_list_p50_full_vs_empty']:.2f}x empty); "
              f"trials page of a 10,000-trial experiment by loss p50 {full['trial_page']['p50_ms']:.2f} ms "
              f"({result['ratio_trial_page_p50_full_vs_empty']:.2f}x a 100-trial one)", flush=True)
    finally:
        server.stop(signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
    write_result("scale", result)


if __name__ == "__main__":
    main()
