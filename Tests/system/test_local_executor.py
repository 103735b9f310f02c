"""The local executor as a server runs it: Runner processes per experiment,
a crashed Runner replaced, a killed server resuming its experiments, cancel
stopping the Runners."""

import os
import pathlib
import signal

import pytest

from runner_support import wait_for

ROOT = pathlib.Path(__file__).resolve().parents[2]

TRAIN = """
import json, os, sys, time
time.sleep(float(os.environ.get("NAP", "0.6")))
print('@assay {"step": 1, "loss": %s}' % (1.0 / (1 + int(sys.argv[1]))), flush=True)
"""


@pytest.fixture
def local_server(start_local_server):
    return start_local_server(lease_seconds=3)


def declaration(trials, workers=2, nap=0.6):
    return {"name": "local-executor", "command": ["python3", "train.py", "{i}"], "workers": workers,
            "env": {"NAP": str(nap)},
            "parameters": {"i": {"type": "int", "values": list(range(trials))}},
            "objective": {"metric": "loss", "goal": "minimize"}}


def runners_of(pid):
    """Live assay-runner children of `pid`."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if name.startswith("assay-runner") and int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def summary(server, token, experiment):
    return server.request("GET", f"/api/v1/experiments/{experiment}", token=token).json()


def assert_each_trial_succeeded_once(server, token, experiment, trials):
    items = server.request("GET", f"/api/v1/experiments/{experiment}/trials?limit=1000", token=token).json()["items"]
    assert sorted(t["index"] for t in items) == list(range(trials))
    for trial in items:
        assert trial["status"] == "succeeded", trial
        assert sum(1 for a in trial["attempts"] if a["status"] == "succeeded") == 1, trial


def test_a_crashed_runner_is_replaced_and_the_sweep_completes(local_server):
    token = local_server.user_token("ada")
    experiment = local_server.create_experiment(token, declaration(8), files={"train.py": TRAIN})
    pids = wait_for(lambda: len(runners_of(local_server.process.pid)) == 2 and runners_of(local_server.process.pid),
                    what="two runners")
    wait_for(lambda: summary(local_server, token, experiment)["counts"]["running"] > 0, what="a running trial")
    os.kill(pids[0], signal.SIGKILL)
    wait_for(lambda: pids[0] not in runners_of(local_server.process.pid)
             and len(runners_of(local_server.process.pid)) == 2, what="a replacement runner")
    final = wait_for(lambda: (s := summary(local_server, token, experiment))["status"] == "completed" and s, what="completion")
    assert final["counts"]["succeeded"] == 8, final
    assert_each_trial_succeeded_once(local_server, token, experiment, 8)
    wait_for(lambda: not runners_of(local_server.process.pid), what="runners to exit")
    assert "runner crashed" in local_server.log.read_text()


def test_a_killed_server_resumes_its_experiment_with_new_runners(local_server):
    token = local_server.user_token("bo")
    experiment = local_server.create_experiment(token, declaration(10, nap=0.8), files={"train.py": TRAIN})
    wait_for(lambda: summary(local_server, token, experiment)["counts"]["succeeded"] >= 2, what="two finished trials")
    old = runners_of(local_server.process.pid)
    local_server.stop(signal.SIGKILL)
    # Runners die with their server (parent-death signal): no orphan keeps going.
    wait_for(lambda: not any(pathlib.Path(f"/proc/{pid}").exists() and "Z" not in (pathlib.Path(f"/proc/{pid}/stat").read_text().split(") ")[1][:1])
                             for pid in old), timeout=15, what="the old runners to die")
    local_server.start()
    final = wait_for(lambda: (s := summary(local_server, token, experiment))["status"] == "completed" and s,
                     timeout=90, what="completion after restart")
    assert final["counts"]["succeeded"] == 10
    assert_each_trial_succeeded_once(local_server, token, experiment, 10)
    assert "runners restarted" in local_server.log.read_text()


def test_cancel_stops_the_runners(local_server):
    token = local_server.user_token("cy")
    experiment = local_server.create_experiment(token, declaration(6, nap=30), files={"train.py": TRAIN})
    wait_for(lambda: summary(local_server, token, experiment)["counts"]["running"] == 2, what="two running trials")
    answer = local_server.request("POST", f"/api/v1/experiments/{experiment}/cancel", token=token)
    assert answer.status == 200
    wait_for(lambda: not runners_of(local_server.process.pid), timeout=15, what="the runners to stop")
    assert summary(local_server, token, experiment)["status"] == "canceled"


def test_runners_that_keep_crashing_fail_the_experiment_and_keep_its_finished_trials(start_local_server, runner_bin, tmp_path):
    # The first launch is the real Runner (killed below); every later one crashes at once.
    mark = tmp_path / "launched"
    runner = tmp_path / "crashing-runner"
    runner.write_text(f'#!/bin/sh\nif mkdir "{mark}" 2>/dev/null; then exec "{runner_bin}" "$@"; fi\n'
                      'echo "broken runner" >&2\nexit 3\n')
    runner.chmod(0o755)
    server = start_local_server(lease_seconds=3, runner=runner)
    token = server.user_token("di")
    experiment = server.create_experiment(token, declaration(20, workers=1, nap=0.3), files={"train.py": TRAIN})
    wait_for(lambda: summary(server, token, experiment)["counts"]["succeeded"] >= 2, what="two finished trials")
    os.kill(runners_of(server.process.pid)[0], signal.SIGKILL)
    final = wait_for(lambda: (s := summary(server, token, experiment))["status"] == "failed" and s,
                     timeout=30, what="the experiment to fail")
    assert final["reason"].startswith("RunnerCrashed: the local runners crashed 4 times (the last exited with status 3)"), final
    assert "runner-*.log" in final["reason"]
    finished = [t for t in server.request("GET", f"/api/v1/experiments/{experiment}/trials?limit=100", token=token).json()["items"]
                if t["status"] == "succeeded"]
    assert len(finished) >= 2 and final["counts"]["succeeded"] == len(finished), final
    assert "runner crashed too often" in server.log.read_text()
