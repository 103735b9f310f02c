"""Adaptive search and early stopping end to end: a real server (local executor,
real Runners) sweeping the example training program.

- ASHA spends fewer epochs than the grid for a best loss within 1% of the grid's.
- The median stopping rule ends bad trials early: `stopped_early` with the
  rule's reason, their processes killed before they finish.
- A server killed mid-search resumes it: exactly `max_trials` trials, each once.
"""

import os
import pathlib
import signal
import subprocess

import pytest

from runner_support import wait_for

ROOT = pathlib.Path(__file__).resolve().parents[2]
TRAIN = (ROOT / "examples" / "logreg" / "code" / "train.py").read_text()


@pytest.fixture
def server(start_local_server):
    return start_local_server(lease_seconds=5)


def summary(server, token, experiment):
    return server.request("GET", f"/api/v1/experiments/{experiment}", token=token).json()


def finished(server, token, experiment, timeout=240):
    return wait_for(lambda: (s := summary(server, token, experiment))["status"] in ("completed", "failed", "canceled") and s,
                    timeout=timeout, what=f"experiment {experiment} to end")


def trials(server, token, experiment):
    answer = server.request("GET", f"/api/v1/experiments/{experiment}/trials?limit=1000", token=token)
    assert answer.status == 200, answer.body
    return answer.json()["items"]


LOGREG = {
    "command": ["python3", "train.py", "{config}"],
    "config": {"file": "params.json"},
    "result": {"file": "result.csv", "line": 1},
    "objective": {"metric": "loss", "goal": "minimize"},
    "workers": 2,
}
# At 27 epochs lr 0.2–0.7 all come within 1% of the grid's best (0.3); 0.01–0.1 are far
# off, and higher rates lead after 3 and 9 epochs, so promotions pick good ones.
LR_VALUES = [0.01, 0.03, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7]


def test_asha_spends_fewer_epochs_than_the_grid_for_a_best_within_one_percent(server, assay_bin, tmp_path):
    token = server.user_token("ada")
    grid = server.create_experiment(token, {
        **LOGREG, "name": "logreg-grid-27",
        "parameters": {"lr": {"type": "float", "values": LR_VALUES},
                       "epochs": {"type": "int", "values": [27]}, "seed": {"type": "const", "value": 7}},
        "sweep": {"strategy": "grid"},
    }, files={"train.py": TRAIN})
    asha = server.create_experiment(token, {
        **LOGREG, "name": "logreg-asha",
        # The same range as the grid's, searched continuously (8 points are too few for 3 rungs).
        "parameters": {"lr": {"type": "float", "min": LR_VALUES[0], "max": LR_VALUES[-1], "scale": "log"},
                       "epochs": {"type": "int", "min": 1, "max": 27}, "seed": {"type": "const", "value": 7}},
        # Rungs of 3, 9 and 27 epochs. However the Runners' timing interleaves results and
        # proposals, 24 trials can hold at most 18 + 6 + 2 of them: fewer epochs than the grid.
        "sweep": {"strategy": "asha", "max_trials": 24, "seed": 3, "budget": "epochs", "reduction_factor": 3,
                  "min_budget": 3, "max_budget": 27},
    }, files={"train.py": TRAIN})
    for experiment in (grid, asha):
        assert finished(server, token, experiment)["status"] == "completed"

    def spent(experiment):
        items = trials(server, token, experiment)
        assert all(t["status"] == "succeeded" for t in items), items
        epochs = sum(int(t["parameters"]["epochs"]) for t in items)
        return len(items), epochs, min(t["metrics"]["loss"] for t in items)

    grid_trials, grid_epochs, grid_best = spent(grid)
    asha_trials, asha_epochs, asha_best = spent(asha)
    assert (grid_trials, grid_epochs) == (8, 8 * 27)
    assert asha_trials == 24
    # ASHA's trials run at the rung budgets 3, 9, 27; the best configurations were promoted to the top.
    budgets = sorted({int(t["parameters"]["epochs"]) for t in trials(server, token, asha)})
    assert budgets == [3, 9, 27], str([(t["index"], t["parameters"]["lr"], t["parameters"]["epochs"], round(t["metrics"]["loss"], 4)) for t in trials(server, token, asha)])
    print(f"grid: {grid_epochs} epochs, best loss {grid_best:.6f}; asha: {asha_epochs} epochs, best loss {asha_best:.6f}")
    assert asha_epochs < grid_epochs
    assert asha_best <= grid_best * 1.01

    # The CLI draws how the search converged: one dot per trial, the best so far as a line.
    out = tmp_path / "best.svg"
    drawn = subprocess.run([str(assay_bin), "plot", asha, "--best-so-far", "-o", str(out)], capture_output=True, text=True,
                           timeout=60, env={**os.environ, "ASSAY_URL": server.url, "ASSAY_TOKEN": token})
    assert drawn.returncode == 0, drawn.stderr
    svg = out.read_text()
    assert 'class="best"' in svg and svg.count("<circle") == 24


# Loss falls per step towards a floor set by `q`; a bad q (>= 5) stays high. Every step
# takes a moment, and the program leaves a marker only if it ran to the end.
CURVE = """
import json, pathlib, sys, time
q = int(sys.argv[1])
for step in range(1, 16):
    print('@assay ' + json.dumps({"step": step, "loss": q + 1.0 / step}), flush=True)
    time.sleep(0.15)
pathlib.Path("ran-to-the-end").write_text("yes")
print('@assay ' + json.dumps({"loss": q + 1.0 / 15}), flush=True)
"""


def test_the_median_rule_stops_worse_trials_early_and_kills_them(server):
    token = server.user_token("bo")
    experiment = server.create_experiment(token, {
        "name": "median-rule", "command": ["python3", "train.py", "{q}"], "workers": 1,
        # One at a time: the first three complete unjudged (fewer than min_trials to compare
        # with) and form the median; the worse ones after them are judged against it.
        "parameters": {"q": {"type": "int", "values": [0, 1, 2, 7, 8, 9]}},
        "objective": {"metric": "loss", "goal": "minimize"},
        "early_stopping": {"rule": "median", "grace_steps": 3, "min_trials": 3},
    }, files={"train.py": CURVE})
    final = finished(server, token, experiment)
    assert final["status"] == "completed", final
    assert final["counts"]["succeeded"] == 3 and final["counts"]["stoppedEarly"] == 3, str([(t["parameters"], t["status"], t["attempts"][-1].get("reason")) for t in trials(server, token, experiment)])
    by_q = {int(t["parameters"]["q"]): t for t in trials(server, token, experiment)}
    for q in (0, 1, 2):
        assert by_q[q]["status"] == "succeeded", by_q[q]
    for q in (7, 8, 9):
        trial = by_q[q]
        assert trial["status"] == "stopped_early", trial
        assert len(trial["attempts"]) == 1, trial  # never retried
        reason = trial["attempts"][0]["reason"]
        assert "worse than the median" in reason, reason
        # Stopped after its grace steps, before its 15th: the Runner killed it mid-run.
        series = server.request("GET", f"/api/v1/experiments/{experiment}/trials/{trial['index']}/metrics", token=token).json()
        loss = next(s for s in series["series"] if s["name"] == "loss")
        steps = [s for s in loss["steps"] if s is not None]
        assert 3 <= max(steps) < 15, steps
        assert trial["metrics"]["loss"] == pytest.approx(min(q + 1.0 / s for s in steps))


def test_a_search_survives_a_killed_server_with_every_trial_once(server):
    token = server.user_token("cy")
    experiment = server.create_experiment(token, {
        **LOGREG, "name": "logreg-tpe", "workers": 2,
        "parameters": {"lr": {"type": "float", "min": 0.001, "max": 1, "scale": "log"},
                       "l2": {"type": "choice", "values": [0.0, 0.01]}, "epochs": {"type": "int", "values": [5]},
                       "seed": {"type": "const", "value": 7}},
        "sweep": {"strategy": "tpe", "max_trials": 14, "seed": 11, "startup_trials": 4},
    }, files={"train.py": TRAIN})
    wait_for(lambda: summary(server, token, experiment)["counts"]["succeeded"] >= 5, timeout=240, what="five finished trials")
    server.stop(signal.SIGKILL)
    server.start()
    final = finished(server, token, experiment)
    assert final["status"] == "completed" and final["trials"] == 14, final
    items = trials(server, token, experiment)
    assert sorted(t["index"] for t in items) == list(range(14))
    for trial in items:
        assert trial["status"] == "succeeded", trial
        assert sum(1 for a in trial["attempts"] if a["status"] == "succeeded") == 1, trial
        assert 0.001 <= float(trial["parameters"]["lr"]) <= 1
