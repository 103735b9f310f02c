"""Per-trial overhead through server + Runner, against a bare loop.

1,000 trials of a no-op command (`true`) run by 1 and by 4 `assay-runner`
processes (one slot each) against a release `assay-server` on SQLite, and the
same command spawned 1,000 times by a shell loop, in the same run. Prints the
overhead per trial and the ratio, and the time from submit to the first trial
running. Results go to benchmarks/out/overhead.json.

Usage: python benchmarks/overhead.py SERVER_BINARY RUNNER_BINARY [--trials N]
"""

import argparse
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "system"))
from bench_support import cpu_seconds, write_result  # noqa: E402
from assay_server import Server  # noqa: E402


def bare_loop(trials):
    began = time.perf_counter()
    subprocess.run(["sh", "-c", f"i=0; while [ $i -lt {trials} ]; do /bin/true; i=$((i+1)); done"], check=True)
    return time.perf_counter() - began


def through_runners(server, token, runner_bin, trials, runners, folder):
    declaration = {"name": f"overhead-{runners}", "command": ["/bin/true"], "workers": runners,
                   "parameters": {"i": {"type": "int", "min": 0, "max": trials - 1, "step": 1}}}
    began = time.perf_counter()
    experiment = server.create_experiment(token, declaration)
    submitted = time.perf_counter()
    runner_token = server.runner_token(experiment)
    processes = []
    for number in range(runners):
        env = {**os.environ, "ASSAY_SERVER_URL": server.url, "ASSAY_EXPERIMENT_ID": experiment,
               "ASSAY_RUNNER_TOKEN_FILE": "-", "ASSAY_RUNNER_SLOTS": "1", "ASSAY_RUNNER_ID": f"bench-{number}",
               "ASSAY_RUNNER_WORK_DIR": str(folder / f"runner-{runners}-{number}"), "ASSAY_LOG_LEVEL": "warning"}
        process = subprocess.Popen([str(runner_bin)], env=env, stdin=subprocess.PIPE,
                                   stdout=subprocess.DEVNULL, stderr=open(folder / f"runner-{runners}-{number}.log", "wb"))
        process.stdin.write((runner_token + "\n").encode())
        process.stdin.close()
        processes.append(process)
    first_running = None
    while True:
        summary = server.request("GET", f"/api/v1/experiments/{experiment}", token=token).json()
        counts = summary["counts"]
        if first_running is None and (counts.get("running", 0) or counts.get("succeeded", 0)):
            first_running = time.perf_counter() - submitted
        if summary["status"] in ("completed", "failed", "canceled"):
            break
        time.sleep(0.005 if first_running is None else 0.05)
    for process in processes:
        process.wait(60)
    elapsed = time.perf_counter() - began
    assert summary["status"] == "completed" and counts["succeeded"] == trials, summary
    return elapsed, first_running


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("runner")
    parser.add_argument("--trials", type=int, default=1000)
    args = parser.parse_args()
    folder = pathlib.Path(tempfile.mkdtemp(prefix="assay-overhead-"))
    server = Server(pathlib.Path(args.server).resolve(), folder / "server").start()
    results = []
    try:
        token = server.user_token("bench")
        bare = bare_loop(args.trials)
        per_bare = bare / args.trials
        print(f"overhead bare loop        {per_bare * 1000:7.3f} ms per trial ({args.trials} × /bin/true from sh)", flush=True)
        for runners in (1, 4):
            server_cpu = cpu_seconds(server.process.pid)
            elapsed, first = through_runners(server, token, pathlib.Path(args.runner).resolve(), args.trials, runners, folder)
            server_cpu = cpu_seconds(server.process.pid) - server_cpu  # includes the 20 Hz progress polling
            per_trial = elapsed * runners / args.trials
            row = {"runners": runners, "trials": args.trials, "wall_s": elapsed, "per_trial_ms": per_trial * 1000,
                   "bare_per_trial_ms": per_bare * 1000, "overhead_per_trial_ms": (per_trial - per_bare) * 1000,
                   "ratio_to_bare": per_trial / per_bare, "submit_to_first_running_ms": first * 1000,
                   "server_cpu_per_trial_ms": server_cpu / args.trials * 1000}
            results.append(row)
            print(f"overhead {runners} runner{'s' if runners > 1 else ' '}         {row['per_trial_ms']:7.3f} ms per trial-slot  "
                  f"overhead {row['overhead_per_trial_ms']:6.3f} ms  ratio {row['ratio_to_bare']:5.2f}x  "
                  f"wall {elapsed:6.2f} s  submit→first running {row['submit_to_first_running_ms']:6.1f} ms  "
                  f"server CPU {row['server_cpu_per_trial_ms']:5.2f} ms per trial", flush=True)
    finally:
        server.stop(signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
    write_result("overhead", results)


if __name__ == "__main__":
    main()
