"""Submit to first trial: how long from `POST /api/v1/experiments` until a
trial is running, with the local executor (a Runner process on this machine,
the baseline) and with the Kubernetes executor (a Job, its pod started by the
test Kubernetes API server's kubelet, which runs the real `assay-runner` as a
process: no image pull, no container runtime). Same release binaries, same
run, sequential single-trial experiments. Results go to benchmarks/out/first_trial.json.

Usage: python benchmarks/first_trial.py SERVER RUNNER [--runs N]
"""

import argparse
import pathlib
import signal
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "system"))
sys.path.insert(0, str(ROOT / "Tests" / "kubeapi"))
sys.path.insert(0, str(ROOT / "Tests" / "deploy"))
from bench_support import write_result  # noqa: E402
from assay_server import Server  # noqa: E402
from kubeapi import KubeTestCluster  # noqa: E402
from assay_chart import rendered_rbac  # noqa: E402

IMAGE = "assay/runner:bench"
TRAIN = "import time\ntime.sleep(2)\nprint('@assay {\"loss\": 1}')\n"


def first_trial_seconds(server, token, runs):
    times = []
    for number in range(runs):
        declaration = {"name": f"first-{number}", "command": ["python3", "train.py"],
                       "parameters": {"x": {"type": "int", "values": [1]}}, "resources": {"cpu": "250m", "memory": "256Mi"}}
        began = time.perf_counter()
        experiment = server.create_experiment(token, declaration, files={"train.py": TRAIN})
        server.poll_experiment(token, experiment, lambda s: s["counts"]["running"] + s["counts"]["succeeded"] > 0,
                               interval=0.005)
        times.append(time.perf_counter() - began)
        server.poll_experiment(token, experiment, lambda s: s["status"] == "completed", interval=0.05)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("runner")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = pathlib.Path(tempfile.mkdtemp(prefix="assay-first-trial-"))
    runner = pathlib.Path(args.runner).resolve()
    local = Server(pathlib.Path(args.server).resolve(), folder / "local",
                   extra_env={"ASSAY_EXECUTOR": "local", "ASSAY_RUNNER_BIN": str(runner), "ASSAY_LOG_LEVEL": "warning"})
    bin_dir = folder / "image-bin"
    bin_dir.mkdir()
    (bin_dir / "assay-runner").symlink_to(runner)
    cluster = KubeTestCluster(folder / "cluster", namespace="assay", images={IMAGE: [str(bin_dir / "assay-runner")]},
                              rbac_docs=rendered_rbac()).start()
    kube = Server(pathlib.Path(args.server).resolve(), folder / "kube")
    kube.extra_env = {
        "ASSAY_EXECUTOR": "kubernetes", "ASSAY_RUNNER_IMAGE": IMAGE, "ASSAY_NAMESPACE": "assay",
        "ASSAY_RUNNER_SERVER_URL": kube.url, "ASSAY_LOG_LEVEL": "warning",
        "KUBECONFIG": str(cluster.write_kubeconfig(folder / "kubeconfig", service_account="assay-server")),
    }
    try:
        local.start()
        local_times = first_trial_seconds(local, local.user_token("bench"), args.runs)
        local.stop(signal.SIGKILL)
        kube.start()
        kube_times = first_trial_seconds(kube, kube.user_token("bench"), args.runs)
    finally:
        local.stop(signal.SIGKILL)
        kube.stop(signal.SIGKILL)
        cluster.stop()
    result = {"runs": args.runs, "local_s": local_times, "kubernetes_s": kube_times,
              "local_median_ms": statistics.median(local_times) * 1000, "kubernetes_median_ms": statistics.median(kube_times) * 1000}
    result["ratio_kubernetes_vs_local"] = result["kubernetes_median_ms"] / result["local_median_ms"]
    print(f"first trial: local executor median {result['local_median_ms']:.0f} ms, Kubernetes executor median "
          f"{result['kubernetes_median_ms']:.0f} ms ({result['ratio_kubernetes_vs_local']:.2f}x), {args.runs} runs each", flush=True)
    write_result("first_trial", result)


if __name__ == "__main__":
    main()
