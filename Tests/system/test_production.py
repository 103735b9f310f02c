"""The production path, end to end, and the faults it must survive (issue 10).

One deployment as a cluster would run it: the helm chart's RBAC in the test
Kubernetes API server (Tests/kubeapi), `assay-server` with the MongoDB store
(nx-27017, a real wire-protocol server) and the Kubernetes executor, Runner pods
running the real `assay-runner`, metrics streamed back live over SSE, the
completion mail received by aiosmtpd, results downloaded with the CLI and
checked against what each trial computed. Then the same deployment under
faults: the server killed mid-sweep, MongoDB stopped for 10 s, SMTP down at
completion — each time no finished trial lost, none counted twice, and the
experiment ends in the right state. (The Kubernetes API's 500s, dropped
watches and 410s are in test_kubernetes.py; a killed Runner in
test_local_executor.py and test_runner.py; docs/testing.md lists every case.)
"""

import csv
import io
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

from assay_server import WireServer, code_zip
from runner_support import SMTPCapture
from test_kubernetes import IMAGE, NAMESPACE, cluster, kube_server, wait_for  # noqa: F401 (fixtures)
from test_server import SSEClient

# Each trial sleeps, then reports its loss at three steps: loss = x / 100 at the end. It
# also prints its whole environment, so the test can look for secrets in what a trial sees.
TRAIN = """
import json, os, sys, time
x = int(sys.argv[1])
print("env " + json.dumps(dict(os.environ)), file=sys.stderr, flush=True)
for step in (1, 2, 3):
    time.sleep(float(os.environ.get("NAP", "0.3")))
    print("@assay " + json.dumps({"step": step, "loss": x / 100 + (3 - step) / 10}), flush=True)
"""


def declaration(name, count, nap=0.3, workers=2, mail=True):
    body = {
        "name": name, "command": ["python3", "train.py", "{x}"], "env": {"NAP": str(nap)},
        "parameters": {"x": {"type": "int", "values": list(range(1, count + 1))}},
        "objective": {"metric": "loss", "goal": "minimize"}, "workers": workers,
        "resources": {"cpu": "250m", "memory": "512Mi"},
    }
    if mail:
        body["notify"] = {"email": ["ada@example.org"]}
    return body


@pytest.fixture
def mongo(tmp_path):
    wire = WireServer(tmp_path / "mongo")
    yield wire
    wire.stop()


@pytest.fixture
def smtp(tmp_path):
    capture = SMTPCapture(tmp_path / "mail")
    yield capture
    capture.stop()


@pytest.fixture
def deployment(cluster, server_bin, tmp_path, mongo, smtp):  # noqa: F811 (cluster is a fixture)
    server = kube_server(server_bin, tmp_path / "server", cluster, extra={
        "ASSAY_SMTP_URL": smtp.url, "ASSAY_SMTP_FROM": "Assay <assay@example.org>", "ASSAY_SMTP_STARTTLS": "off",
        "ASSAY_SMTP_PASSWORD": "smtp-secret-never-shown-4f1c",
        "ASSAY_MAX_ARTIFACT_BYTES": str(4 * 1024 * 1024),
    })
    server.store_url = mongo.url
    server.start()
    yield server
    server.stop(signal.SIGKILL)


def summary(server, token, eid):
    answer = server.request("GET", f"/api/v1/experiments/{eid}", token=token)
    assert answer.status == 200, answer.body
    return answer.json()


def final(server, token, eid, timeout=120):
    return wait_for(lambda: (s := summary(server, token, eid))["status"] in ("completed", "failed", "canceled") and s,
                    timeout=timeout, what=f"experiment {eid} to end")


def trials(server, token, eid):
    return server.request("GET", f"/api/v1/experiments/{eid}/trials?limit=1000", token=token).json()["items"]


def assert_every_trial_once(server, token, eid, count):
    """No finished trial lost, none counted twice: each index once, succeeded by exactly one attempt."""
    items = trials(server, token, eid)
    assert sorted(t["index"] for t in items) == list(range(count)), items
    for trial in items:
        assert trial["status"] == "succeeded", trial
        assert sum(1 for a in trial["attempts"] if a["status"] == "succeeded") == 1, trial
        x = int(trial["parameters"]["x"])
        assert trial["metrics"]["loss"] == pytest.approx(x / 100), trial
    record = summary(server, token, eid)
    assert record["counts"]["succeeded"] == count and sum(record["counts"].values()) == count, record["counts"]


def cli(assay_bin, server, token, *args):
    return subprocess.run([str(assay_bin), *map(str, args)], capture_output=True, text=True, timeout=120,
                          env={"ASSAY_URL": server.url, "ASSAY_TOKEN": token, "PATH": "/usr/bin:/bin", "HOME": "/tmp",
                               "MONGOC_DISABLE_SHM": "1"})


def test_the_production_path_end_to_end(deployment, smtp, assay_bin, cluster, tmp_path):  # noqa: F811
    server = deployment
    token = server.user_token("ada")
    eid = server.create_experiment(token, declaration("production path", 6), files={"train.py": TRAIN})

    # Live: metric points arrive on the event stream while the experiment runs.
    stream = SSEClient(server, f"/api/v1/experiments/{eid}/events", token)
    record = final(server, token, eid)
    assert record["status"] == "completed", record
    time.sleep(0.5)
    stream.close()
    points = [e for e in stream.events if e.get("event") == "metrics"]
    assert {e["data"]["trial"] for e in points} == set(range(6)), [e.get("event") for e in stream.events]
    live_ends = [e for e in stream.events if e.get("event") == "experiment" and e["data"]["status"] == "completed"]
    assert live_ends, "the stream never said the experiment completed"
    assert_every_trial_once(server, token, eid, 6)

    # Through one Job of the chart's RBAC, on MongoDB.
    jobs = [j for j in cluster.list("jobs") if j["metadata"]["labels"].get("assay.dev/experiment") == eid]
    assert len(jobs) == 1 and jobs[0]["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE

    # The completion mail, once, with the results attached.
    mails = wait_for(lambda: smtp.messages() or None, timeout=30, what="the completion mail")
    assert len(mails) == 1
    envelope, mail = mails[0]
    assert envelope["rcpt_tos"] == ["ada@example.org"]
    assert mail["subject"].startswith("[Assay] production path completed"), mail["subject"]
    assert summary(server, token, eid)["notification"]["state"] == "sent"

    # The CLI's results: what the trials computed (loss = x / 100), best first.
    out = tmp_path / "results.csv"
    result = cli(assay_bin, server, token, "results", eid, "--format", "csv", "-o", out)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [int(r["x"]) for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [float(r["loss"]) for r in rows] == pytest.approx([x / 100 for x in range(1, 7)])
    attached = {p.get_filename(): p.get_content() for p in mail.iter_attachments()}["results.csv"]
    attached = attached.decode() if isinstance(attached, bytes) else attached
    assert [r["x"] for r in csv.DictReader(io.StringIO(attached))] == [r["x"] for r in rows]

    # Secrets reach no API answer, no log, no Job spec: the SMTP password and the runner token.
    secret = "smtp-secret-never-shown-4f1c"
    assert secret not in server.log.read_text()
    for path in (f"/api/v1/experiments/{eid}", f"/api/v1/experiments/{eid}/trials", f"/api/v1/experiments/{eid}/results.json"):
        assert secret not in server.request("GET", path, token=token).body.decode()
    job_text = str(jobs[0])
    assert secret not in job_text and "asr_" not in job_text
    for pod in cluster.list("pods"):
        assert secret not in cluster.logs(pod["metadata"]["name"])
    # Nor the trials' environment: each printed it whole; the Runner's own settings are gone.
    for index in range(6):
        lines = server.request("GET", f"/api/v1/experiments/{eid}/trials/{index}/logs", token=token).json()["lines"]
        environment = next(line["text"] for line in lines if line["text"].startswith("env "))
        assert secret not in environment and "asr_" not in environment and "ASSAY_RUNNER_TOKEN" not in environment
        assert "ASSAY_SERVER_URL" not in environment, environment


def test_a_server_killed_mid_sweep_resumes_on_mongodb(deployment, tmp_path):
    server = deployment
    token = server.user_token("bo")
    eid = server.create_experiment(token, declaration("killed server", 8, nap=0.5, mail=False), files={"train.py": TRAIN})
    wait_for(lambda: summary(server, token, eid)["counts"]["succeeded"] >= 2, timeout=90, what="two finished trials")
    server.stop(signal.SIGKILL)
    time.sleep(1)
    server.start()
    record = final(server, token, eid)
    assert record["status"] == "completed", record
    assert_every_trial_once(server, token, eid, 8)


def test_mongodb_stopped_for_ten_seconds_loses_nothing(deployment, mongo):
    server = deployment
    token = server.user_token("cy")
    eid = server.create_experiment(token, declaration("mongo outage", 8, nap=0.5, mail=False), files={"train.py": TRAIN})
    wait_for(lambda: summary(server, token, eid)["counts"]["succeeded"] >= 2, timeout=90, what="two finished trials")
    mongo.stop()
    # While it is down the server says so (503), and Runners keep their results to retry.
    time.sleep(2)
    assert server.request("GET", "/readyz").status == 503
    time.sleep(8)
    mongo.start()
    record = final(server, token, eid, timeout=180)
    assert record["status"] == "completed", record
    assert_every_trial_once(server, token, eid, 8)


def test_smtp_down_at_completion_completes_and_records_the_failed_mail(deployment, smtp):
    server = deployment
    token = server.user_token("dee")
    smtp.stop()
    eid = server.create_experiment(token, declaration("mail down", 4), files={"train.py": TRAIN})
    record = final(server, token, eid)
    assert record["status"] == "completed", record
    assert_every_trial_once(server, token, eid, 4)
    failed = wait_for(lambda: (s := summary(server, token, eid))["notification"]["state"] == "failed" and s,
                      timeout=60, what="the mail to be recorded as failed")
    assert failed["notification"]["lastError"], failed["notification"]


LOUD = """
import json, sys
chunk = ("x" * 1023 + "\\n") * 1024          # 1 MiB of lines
for _ in range(100):
    sys.stdout.write(chunk)
sys.stdout.flush()
print("@assay " + json.dumps({"loss": int(sys.argv[1]) / 100}), flush=True)
"""


def test_a_trial_printing_100_mb_keeps_its_tail_and_loses_nothing(deployment):
    server = deployment
    token = server.user_token("eve")
    body = declaration("loud", 2, mail=False)
    body["command"] = ["python3", "loud.py", "{x}"]
    eid = server.create_experiment(token, body, files={"loud.py": LOUD})
    record = final(server, token, eid, timeout=240)
    assert record["status"] == "completed", record
    assert_every_trial_once(server, token, eid, 2)
    lines = server.request("GET", f"/api/v1/experiments/{eid}/trials/0/logs?limit=10000", token=token).json()["lines"]
    # A tail is kept, and says what was left out: the last lines are there, 100 MB is not.
    assert sum(len(line["text"]) for line in lines) < 2 * 1024 * 1024, len(lines)
    assert any("earlier lines not sent" in line["text"] for line in lines)
    assert lines[-1]["text"].startswith("@assay"), lines[-1]


STUBBORN = """
import os, signal, sys, time
marker = sys.argv[2]
if os.fork() == 0:                       # a child that ignores SIGTERM, in the trial's process group
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.execvp("python3", ["python3", "-c", "import time\\nwhile True: time.sleep(1)", marker])
time.sleep(600)
"""


def stubborn_processes(marker):
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_a_forked_child_that_ignores_sigterm_is_killed_with_its_trial(deployment):
    server = deployment
    token = server.user_token("fay")
    marker = f"assay-stubborn-{os.getpid()}-{time.time_ns()}"
    body = declaration("stubborn", 1, mail=False)
    body.update({"command": ["python3", "stubborn.py", "{x}", marker], "trial": {"timeout": "2s", "grace": "1s"}})
    eid = server.create_experiment(token, body, files={"stubborn.py": STUBBORN})
    wait_for(lambda: stubborn_processes(marker), timeout=60, what="the stubborn child to run")
    record = final(server, token, eid)
    assert record["status"] == "completed" and record["counts"]["timedOut"] == 1, record
    (trial,) = trials(server, token, eid)
    assert trial["status"] == "timed_out" and len(trial["attempts"]) == 1, trial
    # SIGKILL after the grace reached the whole process group: the child that ignored SIGTERM too.
    wait_for(lambda: not stubborn_processes(marker), timeout=30, what="the stubborn child to be killed")


def test_an_oversized_artifact_is_refused_and_nothing_is_stored(deployment):
    server = deployment
    token = server.user_token("gus")
    body = code_zip({"weights.bin": os.urandom(3 * 1024 * 1024).hex()})  # 6 MiB over a 4 MiB limit
    status, answer = server.upload_artifact_streaming(token, body)
    assert status == 413, (status, answer)
    assert json.loads(answer)["error"]["code"] == "too_large", answer
    listed = server.request("GET", "/api/v1/experiments", token=token).json()
    assert listed["items"] == []
    # The server goes on: a normal artifact and sweep still work.
    eid = server.create_experiment(token, declaration("after 413", 2, mail=False), files={"train.py": TRAIN})
    assert final(server, token, eid)["status"] == "completed"
    assert_every_trial_once(server, token, eid, 2)
