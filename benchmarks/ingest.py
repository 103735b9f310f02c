"""Event ingest over loopback HTTP: simulated Runners post metric points to a
real `assay-server` (release build) on SQLite and on MongoDB (nx-27017).

For 1, 8 and 32 concurrent Runners it measures, in the same run:
- batched: the Assay way, one POST per Runner per flush with columnar points
  for all its trials;
- per-field: one POST per metric value, the way GLADOS Runners report.
It prints values/s, request latency p50/p99 and the server's RSS, and the
batched/per-field ratio. Results go to benchmarks/out/ingest.json.

Usage: python benchmarks/ingest.py SERVER_BINARY [--seconds N] [--stores sqlite,mongo]
"""

import argparse
import http.client
import json
import pathlib
import shutil
import signal
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "system"))
from bench_support import rss_mib, write_result  # noqa: E402
from assay_server import Server, WireServer  # noqa: E402

TRIALS_PER_RUNNER = 4
STEPS_PER_BATCH = 25
METRICS = ["loss", "accuracy", "lr", "grad_norm"]


def declaration(trials):
    return {"name": "ingest-bench", "command": ["true"],
            "parameters": {"x": {"type": "int", "values": list(range(trials))}}}


class Connection:
    """One keep-alive HTTP/1.1 connection per simulated Runner."""

    def __init__(self, port, token):
        self.port, self.headers = port, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path, body):
        data = json.dumps(body, separators=(",", ":"))
        self.conn.request("POST", path, data, self.headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {payload[:200]!r}")
        return json.loads(payload)


def run_config(server, user_token, runners, mode, seconds):
    experiment = server.create_experiment(user_token, declaration(runners * TRIALS_PER_RUNNER))
    runner_token = server.runner_token(experiment)
    base = f"/api/v1/runner/experiments/{experiment}"
    latencies, values, errors = [], [0], []
    lock = threading.Lock()
    start_gate = threading.Barrier(runners + 1)
    stop_at = [0.0]

    def runner(number):
        conn = Connection(server.port, runner_token)
        name = f"bench-{number}"
        leases = conn.post(f"{base}/lease", {"runner": name, "max": TRIALS_PER_RUNNER})["leases"]
        trials = [lease["index"] for lease in leases]
        seq, step, mine, times = 0, 0, 0, []
        start_gate.wait()
        try:
            while time.monotonic() < stop_at[0]:
                if mode == "batched":
                    steps = list(range(step, step + STEPS_PER_BATCH))
                    step += STEPS_PER_BATCH
                    events = [{"type": "metrics", "trial": t, "attempt": 1, "steps": steps,
                               "metrics": {m: [0.5 + 0.001 * s for s in steps] for m in METRICS}} for t in trials]
                    count = len(trials) * len(steps) * len(METRICS)
                else:
                    trial = trials[seq % len(trials)]
                    metric = METRICS[(seq // len(trials)) % len(METRICS)]
                    events = [{"type": "metrics", "trial": trial, "attempt": 1, "steps": [step], "metrics": {metric: [0.5]}}]
                    step += 1
                    count = 1
                seq += 1
                began = time.perf_counter()
                conn.post(f"{base}/events", {"runner": name, "seq": seq, "events": events})
                times.append(time.perf_counter() - began)
                mine += count
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(str(error))
        with lock:
            latencies.extend(times)
            values[0] += mine

    threads = [threading.Thread(target=runner, args=(n,)) for n in range(runners)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + 1e9
    start_gate.wait()
    began = time.monotonic()
    stop_at[0] = began + seconds
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    if errors:
        raise RuntimeError(f"{len(errors)} runner errors, first: {errors[0]}")
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {"runners": runners, "mode": mode, "values_per_s": values[0] / elapsed, "requests": len(latencies),
            "p50_ms": pick(0.50), "p99_ms": pick(0.99), "rss_mib": rss_mib(server.process.pid)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--stores", default="sqlite,mongo")
    parser.add_argument("--runners", default="1,8,32")
    args = parser.parse_args()
    results = []
    for store in args.stores.split(","):
        folder = pathlib.Path(tempfile.mkdtemp(prefix=f"assay-ingest-{store}-"))
        wire = WireServer(folder) if store == "mongo" else None
        url = f"mongodb://127.0.0.1:{wire.port}/assay?serverSelectionTimeoutMS=3000" if wire else None
        server = Server(pathlib.Path(args.server).resolve(), folder / "server", store_url=url).start()
        try:
            token = server.user_token("bench")
            for runners in map(int, args.runners.split(",")):
                pair = {}
                for mode in ("batched", "per-field"):
                    row = run_config(server, token, runners, mode, args.seconds)
                    row["store"] = store
                    results.append(row)
                    pair[mode] = row
                ratio = pair["batched"]["values_per_s"] / pair["per-field"]["values_per_s"]
                pair["batched"]["ratio_to_per_field"] = ratio
                for mode, row in pair.items():
                    print(f"ingest {store:6} {runners:2} runners {mode:9} {row['values_per_s']:10.0f} values/s  "
                          f"p50 {row['p50_ms']:7.2f} ms  p99 {row['p99_ms']:7.2f} ms  RSS {row['rss_mib']:6.1f} MiB"
                          + (f"  batched/per-field {ratio:6.1f}x" if mode == "batched" else ""), flush=True)
        finally:
            server.stop(signal.SIGKILL)
            if wire:
                wire.stop()
            shutil.rmtree(folder, ignore_errors=True)
    write_result("ingest", results)


if __name__ == "__main__":
    main()
