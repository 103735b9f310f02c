"""The demo and every example, run end to end: through the embedded server
and real `assay-runner` processes (the default), and with `--local`."""

import csv
import json
import zipfile
import xml.etree.ElementTree as ET

import pytest

from conftest import EXAMPLES


def read_results(folder):
    with open(folder / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(folder / "results.json") as f:
        document = json.load(f)
    return rows, document


@pytest.mark.parametrize("mode", [[], ["--local"]], ids=["embedded-server", "local-engine"])
def test_demo_sweep_runs_and_ranks_by_loss(assay, tmp_path, mode):
    out = tmp_path / "demo"
    result = assay("run", EXAMPLES / "logreg" / "assay.yaml", *mode, "--output", out, timeout=300)
    assert result.returncode == 0, result.stderr
    if not mode:
        assert "experiment " in result.stdout and (out / "bundle.zip").exists()
    rows, document = read_results(out)

    assert len(rows) == 24
    header = next(csv.reader(open(out / "results.csv")))
    # Parameters in declaration order, the objective first among metrics.
    assert header == [
        "trial", "repeat", "status", "attempts", "lr", "epochs", "l2", "seed",
        "loss", "accuracy", "duration_s",
    ]
    assert sorted(int(r["trial"]) for r in rows) == list(range(24))
    assert all(r["status"] == "succeeded" for r in rows)

    losses = [float(r["loss"]) for r in rows]
    assert losses == sorted(losses)
    assert 0 < losses[0] < losses[-1] < 1
    assert all(0.5 <= float(r["accuracy"]) <= 1 for r in rows)
    assert {r["lr"] for r in rows} == {"0.001", "0.01", "0.1", "1.0"}

    assert [t["trial"] for t in document["trials"]] == [int(r["trial"]) for r in rows]
    assert document["objective"] == {"metric": "loss", "goal": "minimize"}

    svg = ET.parse(out / "plot.svg").getroot()
    assert svg.tag.endswith("svg")
    circles = [e for e in svg.iter() if e.tag.endswith("circle")]
    assert len(circles) == 24 * 3  # one point per trial in each varied parameter's panel

    # Output names the table and where the files are.
    assert "results: " in result.stdout and "results.csv" in result.stdout
    assert "plot:" in result.stdout and "plot.svg" in result.stdout
    assert "24 trials: 24 succeeded" in result.stdout
    # Logs per trial (and attempt), with the @assay lines in stdout: in the run
    # folder for a local run, in the server's bundle otherwise.
    if mode:
        log = (out / "logs" / "0000.1.stdout.log").read_text()
    else:
        with zipfile.ZipFile(out / "bundle.zip") as bundle:
            log = bundle.read("logs/trial-0.log").decode()
    assert log.count("@assay") >= 2


@pytest.mark.parametrize(
    "example, count, objective, goal",
    [
        # all-defaults + lr 4 others + epochs 3 (default 5 is off its grid) + 2 + 2
        ("one-at-a-time.yaml", 1 + 4 + 3 + 2 + 2, "accuracy", "maximize"),
        ("random.yaml", 16, "loss", "minimize"),
        ("groups.yaml", 4, "accuracy", "maximize"),
    ],
)
def test_each_strategy_example(assay, tmp_path, example, count, objective, goal):
    out = tmp_path / "run"
    result = assay("run", EXAMPLES / "logreg" / example, "--local", "--output", out)
    assert result.returncode == 0, result.stderr
    rows, document = read_results(out)
    assert len(rows) == count
    assert all(r["status"] == "succeeded" for r in rows), rows
    values = [float(r[objective]) for r in rows]
    assert values == sorted(values, reverse=(goal == "maximize"))


def test_one_at_a_time_varies_one_parameter_from_the_defaults(assay, tmp_path):
    out = tmp_path / "oat"
    assert assay("run", EXAMPLES / "logreg" / "one-at-a-time.yaml", "--local", "--output", out).returncode == 0
    rows, _ = read_results(out)
    defaults = {"lr": "0.1", "epochs": "5", "batch_size": "16", "noise": "0.5"}
    by_trial = {int(r["trial"]): r for r in rows}
    assert {k: by_trial[0][k] for k in defaults} == defaults
    varied = {}
    for row in rows:
        changed = [k for k in defaults if row[k] != defaults[k]]
        assert len(changed) == (0 if row["trial"] == "0" else 1), row
        for k in changed:
            varied.setdefault(k, set()).add(row[k])
    assert varied == {
        "lr": {"0.01", "0.03", "0.3", "1.0"},
        "epochs": {"2", "6", "10"},
        "batch_size": {"4", "64"},
        "noise": {"0.1", "1.0"},
    }


def test_groups_reach_the_program_together(assay, tmp_path):
    out = tmp_path / "groups"
    assert assay("run", EXAMPLES / "logreg" / "groups.yaml", "--local", "--output", out).returncode == 0
    rows, _ = read_results(out)
    pairs = {(r["samples"], r["batch_size"]) for r in rows}
    assert pairs == {("200", "8"), ("800", "32")}
