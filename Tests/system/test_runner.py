"""`assay-runner` as a process against a real `assay-server` (external executor): sweeps
shared by several Runners, the completion mail over STARTTLS + AUTH, faults (a Runner
killed mid-trial, the server frozen, a trial past its timeout, a failing setup) and the
secrets that must never reach a trial or a log.
"""

import csv
import io
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from assay_server import Server
from runner_support import RunnerProcess, SMTPCapture, make_certificates, missing, wait_for

SMTP_USER = "assay-mailer"


@pytest.fixture
def start_server(server_bin, tmp_path):
    """Starts assay-servers (external executor) in tmp_path; stops them after the test."""
    servers = []

    def start(**extra_env):
        server = Server(server_bin, tmp_path / f"server-{len(servers)}", extra_env=extra_env).start()
        servers.append(server)
        cookie = server.login()
        created = server.request("POST", "/api/v1/tokens", {"name": "runner-tests"}, cookie=cookie)
        assert created.status == 201, created.body
        server.api_token = created.json()["token"]
        return server

    yield start
    for server in servers:
        server.stop(signal.SIGKILL)


@pytest.fixture
def runners(runner_bin, tmp_path):
    """Starts assay-runner processes; kills what still runs after the test."""
    started = []

    def start(server, experiment, name, **options):
        runner = RunnerProcess(runner_bin, server, experiment, options.pop("folder", tmp_path / "runners"), name, **options)
        started.append(runner)
        return runner

    yield start
    for runner in started:
        runner.stop()


# -- helpers ---------------------------------------------------------------------------------

TRAIN = """\
import json, sys, time
x = int(sys.argv[1])
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 0
print(f"trial x={x}", flush=True)
print("@assay " + json.dumps({"step": 1, "loss": 1.0 / x}), flush=True)
time.sleep(seconds)
print("@assay " + json.dumps({"step": 2, "loss": 0.5 / x, "acc": x / 10}), flush=True)
"""


def declaration(name, count, seconds=0, **extra):
    value = {
        "name": name,
        "command": ["python3", "train.py", "{x}", str(seconds)],
        "parameters": {"x": {"type": "int", "values": list(range(1, count + 1))}},
        "objective": {"metric": "loss", "goal": "minimize"},
    }
    value.update(extra)
    return value


def create(server, body, files=None):
    return server.create_experiment(server.api_token, body, files or {"train.py": TRAIN})


def get(server, path):
    response = server.request("GET", path, token=server.api_token)
    assert response.status == 200, (path, response.status, response.body)
    return response


def experiment(server, experiment_id):
    return get(server, f"/api/v1/experiments/{experiment_id}").json()


def trials(server, experiment_id):
    return get(server, f"/api/v1/experiments/{experiment_id}/trials?limit=1000").json()["items"]


def logs(server, experiment_id, index):
    lines = get(server, f"/api/v1/experiments/{experiment_id}/trials/{index}/logs?limit=10000").json()["lines"]
    return "\n".join(line["text"] for line in lines)


def final(server, experiment_id, timeout=30):
    return wait_for(lambda: (e := experiment(server, experiment_id))["status"] in ("completed", "failed", "canceled") and e,
                    timeout, f"experiment {experiment_id} to end")


def assert_each_trial_once(server, experiment_id, count):
    """Every trial succeeded by exactly one attempt, and appears once in results.csv."""
    items = trials(server, experiment_id)
    assert sorted(item["index"] for item in items) == list(range(count))
    for item in items:
        assert item["status"] == "succeeded", item
        succeeded = [attempt for attempt in item["attempts"] if attempt["status"] == "succeeded"]
        assert len(succeeded) == 1, f"trial {item['index']} succeeded {len(succeeded)} times: {item['attempts']}"
        assert item["metrics"]["loss"] == pytest.approx(0.5 / (item["index"] + 1)), item
    table = list(csv.DictReader(io.StringIO(get(server, f"/api/v1/experiments/{experiment_id}/results.csv").body.decode())))
    assert sorted(int(row["trial"]) for row in table) == list(range(count)), table
    return items


# -- sweeps ----------------------------------------------------------------------------------

def test_two_runners_share_a_sweep_and_each_trial_runs_once(start_server, runners):
    server = start_server()
    experiment_id = create(server, declaration("shared sweep", 6, seconds=0.3))
    first = runners(server, experiment_id, "runner-a", slots=2)
    second = runners(server, experiment_id, "runner-b", slots=2)
    assert first.wait() == 0, first.log_text()
    assert second.wait() == 0, second.log_text()

    summary = final(server, experiment_id)
    assert summary["status"] == "completed", summary
    assert summary["counts"]["succeeded"] == 6, summary
    items = assert_each_trial_once(server, experiment_id, 6)
    assert {attempt["runner"] for item in items for attempt in item["attempts"]} == {"runner-a", "runner-b"}
    for item in items:
        assert item["metrics"]["acc"] == pytest.approx((item["index"] + 1) / 10)
        assert f"trial x={item['index'] + 1}" in logs(server, experiment_id, item["index"])


# -- the completion mail ---------------------------------------------------------------------

def mail_server(start_server, smtp, password, **extra):
    return start_server(
        ASSAY_SMTP_URL=smtp.url if smtp else "smtp://127.0.0.1:1", ASSAY_SMTP_USER=SMTP_USER, ASSAY_SMTP_PASSWORD=password,
        ASSAY_SMTP_FROM="Assay <assay@example.org>", ASSAY_SMTP_STARTTLS="required", **extra)


def test_one_completion_mail_over_starttls_then_a_failed_one_is_recorded(start_server, runners, tmp_path):
    certificates = make_certificates(tmp_path / "tls")
    password = "mail-pass-" + os.urandom(6).hex()
    smtp = SMTPCapture(tmp_path / "mail", certificates=certificates, user=SMTP_USER, password=password)
    try:
        server = mail_server(start_server, smtp, password)
        recipients = ["ada@example.org", "grace@example.org"]
        experiment_id = create(server, declaration("mail sweep ✉", 4, seconds=0.2, notify={"email": recipients}))
        ca = {"ASSAY_CA_FILE": str(certificates[0])}
        group = [runners(server, experiment_id, f"mailer-{n}", slots=2, extra_env=ca) for n in range(2)]
        assert [runner.wait() for runner in group] == [0, 0], [runner.log_text() for runner in group]

        summary = wait_for(lambda: (e := experiment(server, experiment_id))["notification"]["state"] in ("sent", "failed") and e,
                           15, "the mail's outcome")
        assert summary["notification"]["state"] == "sent", summary["notification"]
        messages = smtp.messages()
        assert len(messages) == 1, f"{len(messages)} mails for one experiment"
        envelope, mail = messages[0]
        assert envelope["mail_from"] == "assay@example.org"
        assert sorted(envelope["rcpt_tos"]) == ["ada@example.org", "grace@example.org"]
        assert mail["subject"].startswith("[Assay] mail sweep ✉ completed"), mail["subject"]
        assert "4 of 4 trials succeeded" in mail["subject"]
        assert mail["X-Assay-Experiment"] == experiment_id
        text = mail.get_body(preferencelist=("plain",)).get_content()
        assert "4 succeeded" in text and "(4 in all)" in text, text
        html = mail.get_body(preferencelist=("html",)).get_content()
        assert "mail sweep ✉" in html
        attachments = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
        assert set(attachments) == {"results.csv"}
        attached = attachments["results.csv"]
        attached = attached.decode() if isinstance(attached, bytes) else attached
        assert attached.replace("\r\n", "\n") == get(server, f"/api/v1/experiments/{experiment_id}/results.csv").body.decode()

        # The same server, its SMTP server gone: the sweep still completes; the mail is failed.
        smtp.stop()
        second_id = create(server, declaration("mail sweep down", 2, notify={"email": ["ada@example.org"]}))
        runner = runners(server, second_id, "mailer-down", slots=2, extra_env=ca)
        assert runner.wait() == 0, runner.log_text()
        summary = wait_for(lambda: (e := experiment(server, second_id))["notification"]["state"] == "failed" and e,
                           15, "the failed mail to be recorded")
        assert summary["status"] == "completed" and summary["counts"]["succeeded"] == 2, summary
        assert summary["notification"]["lastError"], summary["notification"]
        assert password not in summary["notification"]["lastError"]

        for text in [runner.log_text() for runner in group] + [runner.log_text(), server.log.read_text()]:
            assert password not in text
            assert server.runner_token(experiment_id) not in text
    finally:
        smtp.stop()


# -- faults ----------------------------------------------------------------------------------

def test_a_runner_killed_mid_trial_loses_its_lease_to_the_other(start_server, runners):
    server = start_server(ASSAY_LEASE_SECONDS="3")
    experiment_id = create(server, declaration("killed runner", 6, seconds=1.2))  # default retries: 0
    victim = runners(server, experiment_id, "victim", slots=1)
    held = wait_for(lambda: [item["index"] for item in trials(server, experiment_id)
                             if item["status"] == "running" and item["attempts"][-1]["runner"] == "victim"],
                    20, "the victim to run a trial")
    survivor = runners(server, experiment_id, "survivor", slots=1)
    time.sleep(0.3)
    victim.kill(signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL
    assert survivor.wait(60) == 0, survivor.log_text()

    assert final(server, experiment_id)["status"] == "completed"
    items = assert_each_trial_once(server, experiment_id, 6)
    lost = next(item for item in items if item["index"] == held[0])
    assert [(a["runner"], a["status"]) for a in lost["attempts"]] == [("victim", "failed"), ("survivor", "succeeded")], lost
    assert lost["attempts"][0]["reason"] == "lease expired"


def test_runners_back_off_while_the_server_is_frozen_and_resume(start_server, runners):
    server = start_server(ASSAY_LEASE_SECONDS="3")
    experiment_id = create(server, declaration("frozen server", 6, seconds=0.8))  # default retries: 0
    fast = {"ASSAY_RUNNER_REQUEST_TIMEOUT": "1"}
    group = [runners(server, experiment_id, f"patient-{n}", slots=1, extra_env=fast) for n in range(2)]
    wait_for(lambda: any(item["status"] == "succeeded" for item in trials(server, experiment_id)), 20, "a first trial")
    server.process.send_signal(signal.SIGSTOP)
    try:
        time.sleep(4)
    finally:
        server.process.send_signal(signal.SIGCONT)
    # A lease answered after its request timed out during the freeze stays with a Runner
    # that never heard of it until it expires; the Runners stay (idle) until the experiment
    # is final, so they take such trials back, and a lost lease spends no retry.
    assert [runner.wait(60) for runner in group] == [0, 0], [runner.log_text() for runner in group]
    assert any("failed; retrying" in runner.log_text() for runner in group), "no Runner noticed the frozen server"
    assert final(server, experiment_id)["status"] == "completed"
    assert_each_trial_once(server, experiment_id, 6)


FORKING = """\
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = os.fork()
if child == 0:
    time.sleep(120)
    os._exit(0)
print(f"child={child}", flush=True)
time.sleep(120)
"""


def gone(pid):
    """The process ended (a zombie waiting for a reaper counts as ended)."""
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def test_a_trial_past_its_timeout_is_killed_with_its_child(start_server, runners):
    server = start_server()
    body = {"name": "stubborn", "command": ["python3", "fork.py"], "trial": {"timeout": "1s", "grace": "500ms"}}
    experiment_id = create(server, body, {"fork.py": FORKING})
    runner = runners(server, experiment_id, "timer", slots=1)
    child = None
    try:
        assert runner.wait(30) == 0, runner.log_text()
        summary = final(server, experiment_id)
        assert summary["status"] == "completed" and summary["counts"]["timedOut"] == 1, summary
        (item,) = trials(server, experiment_id)
        assert item["status"] == "timed_out", item
        text = logs(server, experiment_id, 0)
        child = int(text.split("child=")[1].split()[0])
        wait_for(lambda: gone(child), 5, f"the trial's child {child} to be killed")
    finally:
        if child and not gone(child):
            os.kill(child, signal.SIGKILL)


def test_a_failing_setup_fails_the_experiment_with_its_reason(start_server, runners):
    server = start_server()
    setup = ["python3", "-c", "import sys; print('resolving', file=sys.stderr); sys.exit('setup broke: no module named xyz')"]
    experiment_id = create(server, declaration("broken setup", 3, setup=setup))
    runner = runners(server, experiment_id, "installer", slots=1)
    assert runner.wait(30) == 2, runner.log_text()
    summary = final(server, experiment_id)
    assert summary["status"] == "failed", summary
    assert "setup broke: no module named xyz" in summary["reason"], summary["reason"]
    assert trials(server, experiment_id) == []


def test_sigterm_stops_the_runner_and_its_trials(start_server, runners):
    server = start_server()
    body = {"name": "long", "command": ["python3", "fork.py"], "trial": {"grace": "1s"}}
    experiment_id = create(server, body, {"fork.py": FORKING})
    runner = runners(server, experiment_id, "stoppable", slots=1)
    text = wait_for(lambda: "child=" in (t := logs(server, experiment_id, 0)) and t, 20, "the trial to start")
    child = int(text.split("child=")[1].split()[0])
    try:
        started = time.monotonic()
        runner.kill(signal.SIGTERM)
        assert runner.wait(20) == 128 + signal.SIGTERM, runner.log_text()
        # SIGTERM is ignored by the trial and its child: SIGKILL follows after the 1 s grace.
        assert time.monotonic() - started < 6
        wait_for(lambda: gone(child), 5, f"the trial's child {child} to be killed")
    finally:
        if not gone(child):
            os.kill(child, signal.SIGKILL)


PARENT = """\
import subprocess, sys, time
runner = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stderr=open(sys.argv[0] + ".log", "wb"))
runner.stdin.write(sys.stdin.readline().encode())
runner.stdin.close()
print(runner.pid, flush=True)
time.sleep(120)
"""


def test_a_runner_asked_to_exits_with_its_parent(start_server, runner_bin, tmp_path):
    server = start_server()
    body = {"name": "orphan", "command": ["python3", "fork.py"], "trial": {"grace": "1s"}}
    experiment_id = create(server, body, {"fork.py": FORKING})
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSAY_")}
    env.update(ASSAY_SERVER_URL=server.url, ASSAY_EXPERIMENT_ID=experiment_id, ASSAY_RUNNER_TOKEN_FILE="-",
               ASSAY_RUNNER_EXIT_WITH_PARENT="1", ASSAY_RUNNER_WORK_DIR=str(tmp_path / "work"))
    parent = subprocess.Popen([sys.executable, str(script), str(runner_bin)], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    parent.stdin.write(server.runner_token(experiment_id) + "\n")
    parent.stdin.close()
    runner = int(parent.stdout.readline())
    text = wait_for(lambda: "child=" in (t := logs(server, experiment_id, 0)) and t, 20, "the trial to start")
    child = int(text.split("child=")[1].split()[0])
    try:
        parent.kill()
        parent.wait()
        wait_for(lambda: gone(runner), 10, "the Runner to exit with its parent")
        wait_for(lambda: gone(child), 5, f"the trial's child {child} to be killed")
        assert "signal 15" in (tmp_path / "parent.py.log").read_text()
    finally:
        for pid in (runner, child):
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("env, variable", [
    ({}, "ASSAY_RUNNER_TOKEN"),
    ({"ASSAY_RUNNER_TOKEN": "asr_x"}, "ASSAY_SERVER_URL"),
    ({"ASSAY_RUNNER_TOKEN": "asr_x", "ASSAY_SERVER_URL": "ftp://host"}, "ASSAY_SERVER_URL"),
    ({"ASSAY_RUNNER_TOKEN": "asr_x", "ASSAY_SERVER_URL": "http://h"}, "ASSAY_EXPERIMENT_ID"),
    ({"ASSAY_RUNNER_TOKEN": "asr_x", "ASSAY_SERVER_URL": "http://h", "ASSAY_EXPERIMENT_ID": "../x"}, "ASSAY_EXPERIMENT_ID"),
    ({"ASSAY_RUNNER_TOKEN_FILE": "/nonexistent/token", "ASSAY_SERVER_URL": "http://h", "ASSAY_EXPERIMENT_ID": "e"}, "ASSAY_RUNNER_TOKEN_FILE"),
    ({"ASSAY_RUNNER_TOKEN": "asr_x", "ASSAY_RUNNER_TOKEN_FILE": "-", "ASSAY_SERVER_URL": "http://h", "ASSAY_EXPERIMENT_ID": "e"}, "ASSAY_RUNNER_TOKEN"),
    ({"ASSAY_RUNNER_TOKEN": "asr x", "ASSAY_SERVER_URL": "http://h", "ASSAY_EXPERIMENT_ID": "e"}, "ASSAY_RUNNER_TOKEN"),
    ({"ASSAY_RUNNER_TOKEN": "asr_x", "ASSAY_SERVER_URL": "http://h", "ASSAY_EXPERIMENT_ID": "e", "ASSAY_RUNNER_SLOTS": "0"}, "ASSAY_RUNNER_SLOTS"),
    ({"ASSAY_RUNNER_TOKEN": "asr_x", "ASSAY_SERVER_URL": "http://h", "ASSAY_EXPERIMENT_ID": "e", "ASSAY_CA_FILE": "/nonexistent"}, "ASSAY_CA_FILE"),
    ({"ASSAY_RUNNER_TOKEN": "asr_x", "ASSAY_SERVER_URL": "http://h", "ASSAY_EXPERIMENT_ID": "e", "ASSAY_LOG_LEVEL": "loud"}, "ASSAY_LOG_LEVEL"),
    ({"ASSAY_RUNNER_TOKEN": "asr_x", "ASSAY_SERVER_URL": "http://h", "ASSAY_EXPERIMENT_ID": "e", "ASSAY_RUNNER_EXIT_WITH_PARENT": "maybe"}, "ASSAY_RUNNER_EXIT_WITH_PARENT"),
])
def test_bad_configuration_exits_2_naming_the_variable(runner_bin, env, variable):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASSAY_")}
    result = subprocess.run([str(runner_bin)], env={**clean, **env}, input="", capture_output=True, text=True, timeout=10)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"assay-runner: configuration: {variable}: "), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "asr_x" not in result.stderr


# -- secrets ---------------------------------------------------------------------------------

PROBE = """\
import json, os, re, sys, time

def capabilities():
    for line in open("/proc/self/status"):
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0

def parent(pid):
    return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])

privileged = bool(capabilities() & (1 << 19))  # CAP_SYS_PTRACE reads any process's memory
print(f"probe uid={os.geteuid()} privileged={privileged}")
for name, value in sorted(os.environ.items()):
    print(f"env {name}={value}")
runner = os.getppid()
while runner > 1 and open(f"/proc/{runner}/comm").read().strip() != "assay-runner":
    runner = parent(runner)
print(f"runner-pid={runner}")
try:
    block = open(f"/proc/{runner}/environ", "rb").read()
except OSError as error:
    print(f"runner-environ: denied ({error.strerror})")
else:
    print("runner-environ: read")
    for entry in block.split(b"\\0"):
        if entry:
            print("runner-env " + entry.decode(errors="replace"))
try:
    memory = open(f"/proc/{runner}/mem", "rb", 0)
    regions = open(f"/proc/{runner}/maps").read().splitlines()
except OSError as error:
    print(f"runner-mem: denied ({error.strerror})")
else:
    if privileged:
        print("runner-mem: opened; not scanned (CAP_SYS_PTRACE can read any memory)")
    else:
        found = set()
        for region in regions:
            span, mode = region.split()[:2]
            if "r" not in mode:
                continue
            low, high = (int(part, 16) for part in span.split("-"))
            try:
                memory.seek(low)
                found.update(re.findall(rb"asr_[A-Za-z0-9_-]+", memory.read(high - low)))
            except (OSError, OverflowError, ValueError):
                pass
        print(f"runner-mem: scanned, found {sorted(found)}")
time.sleep(1.5)
"""


def test_no_secret_reaches_a_trial_or_a_log(start_server, runners, tmp_path):
    """Runner 'stdin' gets its token on stdin, as the local executor passes it; runner 'env'
    in ASSAY_RUNNER_TOKEN, as a pod would, and runs as an unprivileged user (tests run as
    root in CI) so that non-dumpability is what keeps a trial of the same user out."""
    unprivileged = None
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            missing("setpriv (util-linux) is needed to run a Runner as an unprivileged user")
        unprivileged = 65534
    password = "smtp-pass-" + os.urandom(6).hex()
    smtp = SMTPCapture(tmp_path / "mail", user=SMTP_USER, password=password)
    try:
        server = start_server(
            ASSAY_SMTP_URL=smtp.url, ASSAY_SMTP_USER=SMTP_USER, ASSAY_SMTP_PASSWORD=password, ASSAY_SMTP_FROM="assay@example.org",
            ASSAY_SMTP_STARTTLS="off")
        body = {"name": "probe", "command": ["python3", "probe.py", "{x}"], "notify": {"email": ["ada@example.org"]},
                "parameters": {"x": {"type": "int", "values": [1, 2]}}}
        experiment_id = create(server, body, {"probe.py": PROBE})
        token = server.runner_token(experiment_id)

        # Files of the unprivileged Runner must be its own: pytest's tmp_path is root's only.
        shared = pathlib.Path(tempfile.mkdtemp(prefix="assay-runner-secrets-"))
        try:
            shared.chmod(0o777)
            plain_path = {"PATH": "/usr/local/bin:/usr/bin:/bin"} if unprivileged is not None else {}
            by_stdin = runners(server, experiment_id, "stdin", log_level="debug")
            by_env = runners(server, experiment_id, "env", token_via="env", user=unprivileged, log_level="debug",
                             folder=shared, extra_env=plain_path)
            wait_for(lambda: "assay-runner starting" in by_env.log_text(), 10, "the runner to read its token")
            assert token.encode() not in pathlib.Path(f"/proc/{by_env.pid}/environ").read_bytes(), "token left in /proc/PID/environ"
            assert by_stdin.wait() == 0, by_stdin.log_text()
            assert by_env.wait() == 0, by_env.log_text()
            runner_logs = by_stdin.log_text() + by_env.log_text()
        finally:
            shutil.rmtree(shared, ignore_errors=True)

        wait_for(lambda: experiment(server, experiment_id)["notification"]["state"] == "sent", 15, "the mail")
        outputs = {index: logs(server, experiment_id, index) for index in (0, 1)}
        pids = {}
        for index, text in outputs.items():
            assert "runner-pid=" in text, text
            pids[int(text.split("runner-pid=")[1].split()[0])] = text
            assert "env ASSAY_TRIAL=" in text, text
            assert not [line for line in text.splitlines() if line.startswith("env ASSAY_RUNNER") or line.startswith("env ASSAY_SMTP")]
        assert set(pids) == {by_stdin.pid, by_env.pid}, "each Runner ran one probe"
        if unprivileged is not None or os.geteuid() != 0:
            # Same user, no CAP_SYS_PTRACE: non-dumpability alone keeps the probe out.
            assert "runner-environ: denied" in pids[by_env.pid], pids[by_env.pid]
            assert "runner-mem: denied" in pids[by_env.pid], pids[by_env.pid]
        if os.geteuid() == 0:
            # A root trial reads the environment block: the token never was in it.
            assert "runner-environ: read" in pids[by_stdin.pid]

        everything = "\n".join([*outputs.values(), runner_logs, server.log.read_text()])
        assert token not in everything
        assert password not in everything
        (envelope, _), = smtp.messages()
        assert envelope["rcpt_tos"] == ["ada@example.org"]
    finally:
        smtp.stop()
