"""Adaptive search against grid and random on the example training program
(examples/logreg: logistic regression by SGD, loss on held-out data), through a
real `assay-server` (release build, local executor, SQLite) and real Runners.

The space: lr (log range 0.01–0.7) × l2 (0–0.02) × epochs (the budget, up to 27).
- grid: lr 8 points × l2 3 points at 27 epochs — the baseline, measured in the same run;
- random: as many trials as the grid, at 27 epochs;
- tpe: as many trials as the grid, at 27 epochs (8 random startup trials);
- asha: epochs as its budget (rungs 3, 9, 27), 48 trials.
Each epoch sleeps 50 ms on top of its few milliseconds of work, standing in for a
costlier model (with the example's bare epochs, starting 48 Python processes costs
more than the epochs ASHA saves). The target is the grid's best loss + 1%. For each strategy, over several seeds: trials
and epochs spent until a trial first reached the target (in the order trials finished),
total epochs, wall time to the target and to the end. Ratios are against the grid.
Results go to benchmarks/out/search.json.

Usage: python benchmarks/search.py SERVER RUNNER [--seeds N]
"""

import argparse
import datetime
import pathlib
import shutil
import signal
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "system"))
from bench_support import write_result  # noqa: E402
from assay_server import Server  # noqa: E402

TRAIN = (ROOT / "examples" / "logreg" / "code" / "train.py").read_text()
LR = {"type": "float", "min": 0.01, "max": 0.7, "scale": "log"}
L2 = {"type": "float", "min": 0.0, "max": 0.02}
GRID_LR = {"type": "float", "min": 0.01, "max": 0.7, "scale": "log", "count": 8}
GRID_L2 = {"type": "float", "values": [0.0, 0.01, 0.02]}
GRID_TRIALS = 24
EPOCH_SECONDS = 0.05


def declaration(name, parameters, sweep):
    return {"name": name, "command": ["python3", "train.py", "{config}"], "config": {"file": "params.json"},
            "result": {"file": "result.csv", "line": 1}, "objective": {"metric": "loss", "goal": "minimize"},
            "workers": 2, "sweep": sweep,
            # Each epoch costs 50 ms more, standing in for a model whose epochs dominate a trial.
            "parameters": {**parameters, "seed": {"type": "const", "value": 7},
                           "epoch_seconds": {"type": "const", "value": EPOCH_SECONDS}}}


def strategies(seed):
    fixed = {"epochs": {"type": "int", "values": [27]}}
    return {
        "grid": declaration("bench-grid", {"lr": GRID_LR, "l2": GRID_L2, **fixed}, {"strategy": "grid"}),
        "random": declaration("bench-random", {"lr": LR, "l2": L2, **fixed},
                              {"strategy": "random", "samples": GRID_TRIALS, "seed": seed}),
        "tpe": declaration("bench-tpe", {"lr": LR, "l2": L2, **fixed},
                           {"strategy": "tpe", "max_trials": GRID_TRIALS, "seed": seed, "startup_trials": 8}),
        "asha": declaration("bench-asha", {"lr": LR, "l2": L2, "epochs": {"type": "int", "min": 1, "max": 27}},
                            {"strategy": "asha", "max_trials": 48, "seed": seed, "budget": "epochs",
                             "reduction_factor": 3, "min_budget": 3, "max_budget": 27}),
    }


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def run(server, token, body):
    began = time.time()
    experiment = server.create_experiment(token, body, files={"train.py": TRAIN})
    summary = server.poll_experiment(token, experiment, lambda s: s["status"] in ("completed", "failed", "canceled"))
    assert summary["status"] == "completed", summary
    ended = time.time()
    trials = server.request("GET", f"/api/v1/experiments/{experiment}/trials?limit=1000", token=token).json()["items"]
    finished = sorted(((parse_time(t["attempts"][-1]["finishedAt"]), t["index"]), t) for t in trials if t["status"] == "succeeded")
    return {"began": began, "wall_s": ended - began, "trials": [t for _, t in finished],
            "finished_at": [at for (at, _), _ in finished]}


def to_target(result, target):
    """Trials, epochs and seconds spent (in finishing order) until the first trial at or below target."""
    epochs = 0
    for count, (trial, at) in enumerate(zip(result["trials"], result["finished_at"]), start=1):
        epochs += int(trial["parameters"]["epochs"])
        if trial["metrics"]["loss"] <= target:
            return {"trials": count, "epochs": epochs, "seconds": max(0.0, at - result["began"])}
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("runner")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    folder = pathlib.Path(tempfile.mkdtemp(prefix="assay-search-"))
    server = Server(pathlib.Path(args.server).resolve(), folder / "server", extra_env={
        "ASSAY_EXECUTOR": "local", "ASSAY_RUNNER_BIN": str(pathlib.Path(args.runner).resolve())}).start()
    rows = {name: [] for name in ("grid", "random", "tpe", "asha")}
    try:
        token = server.user_token("bench")
        grid = run(server, token, strategies(0)["grid"])
        best = min(t["metrics"]["loss"] for t in grid["trials"])
        target = best * 1.01
        print(f"search target: loss <= {target:.6f} (grid best {best:.6f} + 1%)", flush=True)
        for seed in range(1, args.seeds + 1):
            runs = {"grid": grid if seed == 1 else None}
            for name, body in strategies(seed).items():
                if name == "grid":
                    continue
                runs[name] = run(server, token, body)
            for name, result in runs.items():
                if result is None:
                    continue
                reached = to_target(result, target)
                rows[name].append({
                    "seed": seed if name != "grid" else None, "trials": len(result["trials"]),
                    "epochs": sum(int(t["parameters"]["epochs"]) for t in result["trials"]),
                    "best": min(t["metrics"]["loss"] for t in result["trials"]), "wall_s": result["wall_s"],
                    "to_target": reached})
    finally:
        server.stop(signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)

    def mean(name, key, sub=None):
        values = [(r[key] if sub is None else (r[key] or {}).get(sub)) for r in rows[name]]
        values = [v for v in values if v is not None]
        return statistics.mean(values) if values else None

    summary = {"target": target, "grid_best": best, "seeds": args.seeds, "strategies": {}}
    base = {key: mean("grid", *key) for key in [("epochs",), ("wall_s",), ("to_target", "epochs"), ("to_target", "seconds")]}
    print(f"{'strategy':9} {'reached':>7} {'epochs→target':>14} {'ratio':>6} {'s→target':>9} {'ratio':>6} "
          f"{'epochs':>7} {'ratio':>6} {'wall s':>7} {'ratio':>6} {'best loss':>10}")
    for name in rows:
        reached = sum(1 for r in rows[name] if r["to_target"])
        figures = {key: mean(name, *key) for key in base}
        ratio = {key: (figures[key] / base[key] if figures[key] is not None and base[key] else None) for key in base}
        summary["strategies"][name] = {
            "runs": rows[name], "reached": reached, "of": len(rows[name]),
            "mean_epochs_to_target": figures[("to_target", "epochs")], "mean_seconds_to_target": figures[("to_target", "seconds")],
            "mean_epochs": figures[("epochs",)], "mean_wall_s": figures[("wall_s",)],
            "ratio_epochs_to_target_vs_grid": ratio[("to_target", "epochs")],
            "ratio_seconds_to_target_vs_grid": ratio[("to_target", "seconds")],
            "ratio_epochs_vs_grid": ratio[("epochs",)], "ratio_wall_vs_grid": ratio[("wall_s",)],
            "mean_best": mean(name, "best")}

        def show(value, width, digits=1):
            return f"{'—':>{width}}" if value is None else f"{value:{width}.{digits}f}"
        print(f"{name:9} {reached:>3}/{len(rows[name]):<3} {show(figures[('to_target', 'epochs')], 14, 0)} "
              f"{show(ratio[('to_target', 'epochs')], 5, 2)}x {show(figures[('to_target', 'seconds')], 9)} "
              f"{show(ratio[('to_target', 'seconds')], 5, 2)}x {show(figures[('epochs',)], 7, 0)} {show(ratio[('epochs',)], 5, 2)}x "
              f"{show(figures[('wall_s',)], 7)} {show(ratio[('wall_s',)], 5, 2)}x {show(mean(name, 'best'), 10, 6)}", flush=True)
    write_result("search", summary)


if __name__ == "__main__":
    main()
