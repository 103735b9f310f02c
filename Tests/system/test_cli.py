"""The command line on good and bad input: exit codes, messages, outputs."""

import csv
import io
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import EXAMPLES, ROOT

DEMO = EXAMPLES / "logreg" / "assay.yaml"


def no_crash(result):
    """Bad input gets a message, never a crash or a stack trace."""
    text = result.stdout + result.stderr
    for marker in ("Fatal error", "Stack dump", "Trace/breakpoint", "Segmentation", "Swift runtime failure"):
        assert marker not in text, text


def test_validate_accepts_the_demo(assay):
    result = assay("validate", DEMO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("valid — logreg-grid: 24 trials (grid)")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("name: x\ncommand: [a\n", "bad.yaml:3: not valid YAML or JSON:"),
        ("name: x\ncommand: [a]\nworkers: many\n", "bad.yaml:3: workers: must be an integer, got the string \"many\""),
        ("name: x\ncommand: [a]\nparameters: {p: {type: choice, values: []}}\n", "parameters.p.values: must list at least one value"),
        ("name: x\ncommand: [a]\nsweep: {strategy: random, samples: 0}\n", "sweep.samples: must be at least 1 (got 0)"),
        (
            "name: x\ncommand: [a]\nparameters:\n"
            + "".join(f"  p{i}: {{type: int, min: 1, max: 100, step: 1}}\n" for i in range(4)),
            "bad.yaml: sweep: the plan has 100,000,000 trials, more than the limit of 1,000,000",
        ),
    ],
    ids=["syntax", "wrong-type", "empty-values", "empty-random", "absurd-count"],
)
def test_bad_declarations_exit_2_with_a_clear_line(assay, tmp_path, text, expected):
    (tmp_path / "bad.yaml").write_text(text)
    for command in (["validate"], ["plan"], ["run", "--local"]):
        result = assay(*command[:1], "bad.yaml", *command[1:])
        assert result.returncode == 2, (command, result)
        assert expected in result.stderr, result.stderr
        assert result.stderr.startswith("assay: ")
        no_crash(result)
    assert not (tmp_path / "assay-runs").exists()  # nothing started


def test_every_problem_is_listed_at_once(assay, tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "name: x\ncommand: [a, '{lrr}']\nworkers: 0\nparameters:\n  lr: {type: float, min: 1, max: 0, count: 2}\n"
    )
    result = assay("validate", "bad.yaml")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        'assay: bad.yaml:2: command[1]: unknown placeholder "{lrr}" (did you mean "{lr}"?)',
        "assay: bad.yaml:3: workers: must be between 1 and 10000 (got 0)",
        "assay: bad.yaml:5: parameters.lr.max: must be greater than min (0.0 ≤ 1.0)",
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["validate", "missing.yaml"], "assay: missing.yaml: no such file"),
        (["validate", "."], "assay: . is a directory; give the declaration file"),
        (["run", "missing.yaml", "--local"], "assay: missing.yaml: no such file"),
        (["run", str(DEMO), "--parallel", "2"], "--parallel applies to --local"),
        (["run", str(DEMO), "--local", "--parallel", "0"], "--parallel must be at least 1"),
        (["plan", str(DEMO), "--output", "xml"], "xml"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_bad_invocations_exit_2(assay, args, message):
    result = assay(*args)
    assert result.returncode == 2, result
    assert message in result.stderr
    no_crash(result)


def test_max_trials_from_environment(assay_bin, tmp_path):
    result = subprocess.run(
        [str(assay_bin), "validate", str(DEMO)], capture_output=True, text=True,
        env={**os.environ, "ASSAY_MAX_TRIALS": "10"},
    )
    assert result.returncode == 2
    assert "the plan has 24 trials, more than the limit of 10" in result.stderr


def test_plan_table_json_and_csv(assay):
    table = assay("plan", DEMO, "--limit", "3")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0] == "24 trials (grid, 24 points × 1 repeat)"
    assert lines[1].split() == ["trial", "repeat", "lr", "epochs", "l2", "seed"]
    assert lines[2].split() == ["0", "0", "0.001", "2", "0.0", "7"]
    assert lines[-1] == "… 21 more"

    document = json.loads(assay("plan", DEMO, "--output", "json", "--limit", "30").stdout)
    assert document["count"] == 24 and len(document["trials"]) == 24
    assert document["trials"][23]["parameters"] == {"lr": 1.0, "epochs": 10, "l2": 0.01, "seed": 7}

    rows = list(csv.reader(io.StringIO(assay("plan", DEMO, "--output", "csv", "--limit", "5").stdout)))
    assert rows[0] == ["trial", "repeat", "lr", "epochs", "l2", "seed"] and len(rows) == 6


def write_sweep(folder, script, extra=""):
    code = folder / "code"
    code.mkdir()
    (code / "trial.py").write_text(script)
    (folder / "assay.yaml").write_text(
        "name: t\nartifact: ./code\ncommand: [python3, trial.py, '{x}']\n"
        "parameters: {x: {type: int, min: 0, max: 3, step: 1}}\n" + extra
    )


def test_failed_and_timed_out_trials_are_retried_and_reported(assay, tmp_path):
    write_sweep(
        tmp_path,
        "import sys, time, os\n"
        "x = int(sys.argv[1])\n"
        "attempt = int(os.environ['ASSAY_ATTEMPT'])\n"
        "if x == 1: sys.exit(3)\n"                       # always fails
        "if x == 2: time.sleep(30)\n"                    # always times out
        "if x == 3 and attempt == 1: sys.exit(1)\n"      # fails once, then succeeds
        "print('@assay {\"score\": %d}' % x)\n",
        extra="trial: {timeout: 1s, grace: 1s, retries: 1}\nobjective: {metric: score, goal: maximize}\n",
    )
    result = assay("run", "assay.yaml", "--local", "--output", "out", "--parallel", "4")
    assert result.returncode == 0, result.stderr
    rows = {r["trial"]: r for r in csv.DictReader(open(tmp_path / "out" / "results.csv"))}
    assert (rows["0"]["status"], rows["0"]["attempts"]) == ("succeeded", "1")
    assert (rows["1"]["status"], rows["1"]["attempts"]) == ("failed", "2")
    assert (rows["2"]["status"], rows["2"]["attempts"]) == ("timed_out", "2")
    assert (rows["3"]["status"], rows["3"]["attempts"], rows["3"]["score"]) == ("succeeded", "2", "3")
    assert "4 trials: 2 succeeded, 1 failed, 1 timed_out — best score 3 (trial 3)" in result.stdout
    # Every attempt keeps its own logs.
    assert (tmp_path / "out" / "logs" / "0003.1.stdout.log").exists()
    assert (tmp_path / "out" / "logs" / "0003.2.stdout.log").exists()


def test_no_trial_succeeding_exits_1(assay, tmp_path):
    write_sweep(tmp_path, "import sys\nsys.exit(1)\n")
    result = assay("run", "assay.yaml", "--local", "--output", "out")
    assert result.returncode == 1
    assert "4 trials: 4 failed" in result.stdout


def test_failing_setup_fails_the_run_with_its_output(assay, tmp_path):
    write_sweep(tmp_path, "print('never')\n", extra="setup: [python3, -c, 'import sys; sys.exit(\"no GPU here\")']\n")
    result = assay("run", "assay.yaml", "--local", "--output", "out")
    assert result.returncode == 1
    assert "setup python3 -c" in result.stderr and "exited with 1" in result.stderr
    assert "no GPU here" in result.stderr


def test_trials_see_their_params_and_a_scrubbed_environment(assay_bin, tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "show.py").write_text(
        "import json, os, sys\n"
        "json.dump({'env': dict(os.environ), 'argv': sys.argv[1:], 'cwd': os.getcwd()}, open('seen.json', 'w'))\n"
    )
    (tmp_path / "assay.yaml").write_text(
        "name: env\nartifact: ./code\ncommand: [python3, show.py, '{config}']\n"
        "config: {file: p.env}\nenv: {EXTRA: 'a b'}\n"
        "parameters:\n  shape: {type: group, values: [{h: 32, w: 64}]}\n  opt: {type: choice, values: [adam]}\n"
    )
    env = {**os.environ, "ASSAY_RUNNER_TOKEN": "secret-token", "SMTP_PASSWORD": "hunter2", "AWS_SECRET_ACCESS_KEY": "x"}
    result = subprocess.run(
        [str(assay_bin), "run", "assay.yaml", "--local", "--output", "out"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads((tmp_path / "out" / "trials" / "0000" / "seen.json").read_text())
    assert seen["env"]["h"] == "32" and seen["env"]["w"] == "64" and seen["env"]["opt"] == "adam"
    assert seen["env"]["EXTRA"] == "a b"
    assert seen["env"]["ASSAY_TRIAL"] == "0" and seen["env"]["ASSAY_ATTEMPT"] == "1"
    for secret in ("ASSAY_RUNNER_TOKEN", "SMTP_PASSWORD", "AWS_SECRET_ACCESS_KEY"):
        assert secret not in seen["env"]
    assert "secret-token" not in json.dumps(seen)
    assert seen["argv"][0].endswith("/trials/0000/p.env")
    assert (tmp_path / "out" / "trials" / "0000" / "p.env").read_text() == "h=32\nw=64\nopt=adam\n"


def test_interrupt_stops_running_trials_and_keeps_results(assay_bin, tmp_path):
    write_sweep(
        tmp_path,
        "import os, sys, time, subprocess\n"
        "x = int(sys.argv[1])\n"
        "if x == 0: print('@assay {\"score\": 1}'); sys.exit(0)\n"
        "child = subprocess.Popen(['sleep', '300'])\n"
        "open('child.pid', 'w').write(str(child.pid))\n"
        "time.sleep(300)\n",
    )
    process = subprocess.Popen(
        # One at a time: trial 0 has surely finished when trial 1 writes its child's pid.
        [str(assay_bin), "run", "assay.yaml", "--local", "--output", "out", "--parallel", "1"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    pid_file = tmp_path / "out" / "trials" / "0001" / "child.pid"
    deadline = time.time() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.time() < deadline, "trial 1 never started its child"
        time.sleep(0.1)
    grandchild = int(pid_file.read_text())
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert "interrupted" in stderr
    rows = {r["trial"]: r["status"] for r in csv.DictReader(open(tmp_path / "out" / "results.csv"))}
    assert rows["0"] == "succeeded"
    assert rows["1"] == "canceled"
    assert set(rows) == {"0", "1", "2", "3"}
    for _ in range(50):  # the whole process group is gone, grandchild included
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"grandchild {grandchild} survived the interrupt")


def test_make_demo_runs_from_the_makefile(tmp_path):
    out = tmp_path / "demo"
    result = subprocess.run(
        ["make", "-s", "demo", f"DEMO_OUT={out}"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "24 trials: 24 succeeded" in result.stdout
    assert (out / "results.csv").exists() and (out / "plot.svg").exists()


ADAPTIVE = [EXAMPLES / "logreg" / "asha.yaml", EXAMPLES / "logreg" / "tpe.yaml"]


@pytest.mark.parametrize("example", ADAPTIVE, ids=lambda p: p.name)
def test_adaptive_examples_validate_and_plan_says_they_are_proposed(assay, example):
    assert assay("validate", example).returncode == 0
    plan = assay("plan", example)
    assert plan.returncode == 0, plan.stderr
    assert "proposed one by one from the results so far" in plan.stdout
    listed = json.loads(assay("plan", example, "--output", "json").stdout)
    assert listed["adaptive"] is True and listed["trials"] == []


def test_run_local_refuses_an_adaptive_search_and_run_through_a_server_does_it(assay, tmp_path):
    local = assay("run", EXAMPLES / "logreg" / "tpe.yaml", "--local", "--output", tmp_path / "local")
    assert local.returncode == 2
    assert "takes a server: run it without --local" in local.stderr
    assert not (tmp_path / "local").exists()
    served = assay("run", EXAMPLES / "logreg" / "asha.yaml", "--output", tmp_path / "served", timeout=300)
    assert served.returncode == 0, served.stderr
    rows = list(csv.DictReader((tmp_path / "served" / "results.csv").open()))
    assert len(rows) == 40
    assert {int(row["epochs"]) for row in rows} <= {3, 9, 27}
