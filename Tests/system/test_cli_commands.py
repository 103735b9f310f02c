"""The server commands of `assay` against a real `assay-server`: login, submit,
ls, status, watch, logs, cancel, rerun, results, plot, completion; `--output
json` parsed and checked; exit codes for every failure (docs/cli.md).

Most tests use the `external` executor and play the Runner over HTTP, so
every trial's fate is chosen by the test; one runs a real sweep through the
`local` executor and real `assay-runner` processes.
"""

import csv
import io
import json
import os
import pathlib
import pty
import signal
import socket
import stat
import subprocess
import time
import xml.etree.ElementTree as ElementTree

import pytest

from assay_server import Server, free_port

EXIT = {"ok": 0, "failed": 1, "bad_input": 2, "canceled": 3, "auth": 4, "not_found": 5, "unreachable": 6}


@pytest.fixture(scope="module")
def server(server_bin, tmp_path_factory):
    # A small trial cap, so that a declaration valid here can still be refused by the server.
    running = Server(server_bin, tmp_path_factory.mktemp("server"), extra_env={"ASSAY_MAX_TRIALS": "50"}).start()
    yield running
    running.stop(signal.SIGKILL)


class CLI:
    """Runs `assay` as a user would: its own HOME and XDG_CONFIG_HOME, no ASSAY_* from outside."""

    def __init__(self, binary, folder, **env):
        self.binary = binary
        self.folder = pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ASSAY_") and k != "XDG_CONFIG_HOME"}
        self.env.update({"HOME": str(self.folder / "home"), "XDG_CONFIG_HOME": str(self.folder / "config"), "TERM": "dumb"})
        self.env.update(env)

    @property
    def config(self):
        return pathlib.Path(self.env["XDG_CONFIG_HOME"]) / "assay" / "config.json"

    def __call__(self, *args, input=None, timeout=60, **env):
        result = subprocess.run(
            [str(self.binary), *map(str, args)], cwd=self.folder, capture_output=True, text=True,
            input=input, timeout=timeout, env={**self.env, **env})
        for marker in ("Fatal error", "Stack dump", "Swift runtime failure"):
            assert marker not in result.stderr, result.stderr
        return result

    def json(self, *args):
        result = self(*args, "--output", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def popen(self, *args):
        return subprocess.Popen([str(self.binary), *map(str, args)], cwd=self.folder, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def make_cli(assay_bin, tmp_path):
    """`make_cli(name, **env)`: a CLI in tmp_path/name."""
    return lambda name="cli", **env: CLI(assay_bin, tmp_path / name, **env)


def user(server, make_cli, name):
    """A user with an API token, and a CLI that uses it through ASSAY_URL/ASSAY_TOKEN."""
    token = server.user_token(name)
    return token, make_cli(name, ASSAY_URL=server.url, ASSAY_TOKEN=token)


def write_sweep(folder, name="cli-sweep", count=3, extra=""):
    code = folder / "code"
    code.mkdir(parents=True, exist_ok=True)
    (code / "train.py").write_text("import sys\nprint('@assay {\"loss\": %s}' % (1.0 / int(sys.argv[1])))\n")
    (folder / "assay.yaml").write_text(
        f"name: {name}\nartifact: ./code\ncommand: [python3, train.py, '{{x}}']\ntags: [cli, t-{name}]\n"
        f"parameters: {{x: {{type: int, min: 1, max: {count}, step: 1}}}}\n"
        "objective: {metric: loss, goal: minimize}\n" + extra)
    return folder / "assay.yaml"


def submit(cli, name="cli-sweep", count=3, extra=""):
    write_sweep(cli.folder, name, count, extra)
    result = cli("submit", "assay.yaml")
    assert result.returncode == 0, result.stderr
    experiment = result.stdout.strip()
    assert experiment and "\n" not in experiment, result.stdout
    return experiment, result


class Runner:
    """Plays an `assay-runner` for one experiment over the runner routes."""

    def __init__(self, server, experiment):
        self.server, self.experiment = server, experiment
        self.token = server.runner_token(experiment)
        self.seq = 0

    def post(self, route, body):
        answer = self.server.request("POST", f"/api/v1/runner/experiments/{self.experiment}/{route}", body, token=self.token)
        assert answer.status == 200, answer.body
        return answer.json()

    def lease(self, count):
        return [lease["index"] for lease in self.post("lease", {"runner": "r1", "max": count})["leases"]]

    def events(self, *events):
        self.seq += 1
        return self.post("events", {"runner": "r1", "seq": self.seq, "events": list(events)})

    @staticmethod
    def log(trial, *lines, stream="stdout", attempt=1):
        return {"type": "log", "trial": trial, "attempt": attempt, "stream": stream, "lines": list(lines)}

    @staticmethod
    def finished(trial, status="succeeded", attempt=1, **metrics):
        event = {"type": "finished", "trial": trial, "attempt": attempt, "status": status,
                 "exitCode": 0 if status == "succeeded" else 1, "seconds": 0.5}
        if metrics:
            event["metrics"] = metrics
        return event


def finish_all(server, experiment, statuses):
    runner = Runner(server, experiment)
    assert runner.lease(len(statuses)) == list(range(len(statuses)))
    runner.events(*[Runner.finished(i, status, loss=1.0 / (i + 1)) for i, status in enumerate(statuses)])


# -- accounts -----------------------------------------------------------------


def test_login_keeps_a_private_token_that_later_commands_use_and_logout_revokes(server, make_cli):
    server.user_token("lovelace")  # creates the user; its password is password-lovelace
    cli = make_cli()
    result = cli("login", server.url, "--username", "lovelace", "--password-stdin", input="password-lovelace\n")
    assert result.returncode == 0, result.stderr
    assert f"logged in to {server.url}" in result.stdout
    assert "password-lovelace" not in result.stdout + result.stderr

    assert stat.S_IMODE(cli.config.stat().st_mode) == 0o600
    assert stat.S_IMODE(cli.config.parent.stat().st_mode) == 0o700
    stored = json.loads(cli.config.read_text())
    assert stored["url"].rstrip("/") == server.url and stored["token"].startswith("asy_")
    assert stored["username"] == "lovelace"
    tokens = server.request("GET", "/api/v1/tokens", token=stored["token"]).json()["tokens"]
    assert [t["name"] for t in tokens if t["id"] == stored["tokenId"]] == [f"assay CLI on {socket.gethostname()}"]

    # Later commands use the stored login.
    experiment, _ = submit(cli, "stored-login")
    assert [e["id"] for e in cli.json("ls")] == [experiment]

    # Logging in again replaces the token (the old one is revoked, not left behind).
    again = cli("login", server.url, "--username", "lovelace", "--password-stdin", input="password-lovelace\n")
    assert again.returncode == 0, again.stderr
    second = json.loads(cli.config.read_text())
    assert second["token"] != stored["token"]
    assert server.request("GET", "/api/v1/me", token=stored["token"]).status == 401

    logout = cli("logout")
    assert logout.returncode == 0, logout.stderr
    assert not cli.config.exists()
    assert server.request("GET", "/api/v1/me", token=second["token"]).status == 401, "logout revokes the token"
    not_logged_in = cli("ls")
    assert not_logged_in.returncode == EXIT["auth"]
    assert not_logged_in.stderr.strip() == "assay: not logged in: run `assay login URL`, or set ASSAY_URL and ASSAY_TOKEN"
    assert cli("logout").returncode == 0, "logging out twice is fine"


def test_home_config_without_xdg(server, make_cli):
    server.user_token("hopper")
    cli = make_cli()
    del cli.env["XDG_CONFIG_HOME"]
    result = cli("login", server.url, "--username", "hopper", "--password-stdin", input="password-hopper\n")
    assert result.returncode == 0, result.stderr
    config = cli.folder / "home" / ".config" / "assay" / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert cli.json("ls") == []


def test_logout_with_the_server_down_still_forgets_the_token(make_cli):
    cli = make_cli()
    cli.config.parent.mkdir(parents=True)
    down = f"http://127.0.0.1:{free_port()}"
    cli.config.write_text(json.dumps({"url": down, "token": "asy_x", "tokenId": "t1"}))
    result = cli("logout")
    assert result.returncode == 0, result.stderr
    assert "assay: warning: could not revoke the token" in result.stderr
    assert not cli.config.exists()


def test_a_damaged_login_file_is_named(make_cli):
    cli = make_cli()
    cli.config.parent.mkdir(parents=True)
    cli.config.write_text("{not json")
    result = cli("ls")
    assert result.returncode == EXIT["auth"]
    assert result.stderr.strip() == f"assay: {cli.config} is not a login this CLI wrote: run `assay login URL` again"


@pytest.mark.parametrize("args, stdin, code, message", [
    (["--username", "lovelace", "--password-stdin"], "wrong-password\n", "auth", "wrong username or password"),
    (["--username", "lovelace"], "", "bad_input", "no terminal to ask for the password on: pipe it in with --password-stdin"),
    (["--password-stdin"], "x\n", "bad_input", "give it as an option"),
    (["--username", "lovelace", "--password-stdin"], "", "bad_input", "--password-stdin: standard input is empty"),
], ids=["wrong-password", "no-terminal", "no-username", "empty-stdin"])
def test_login_failures(server, make_cli, args, stdin, code, message):
    server.user_token("lovelace")
    cli = make_cli()
    result = cli("login", server.url, *args, input=stdin)
    assert result.returncode == EXIT[code], result.stderr
    assert message in result.stderr and result.stderr.startswith("assay: ")
    assert not cli.config.exists()


def test_environment_overrides_the_stored_login(server, make_cli):
    ada_token = server.user_token("ada")
    server.user_token("grace")
    cli = make_cli()
    assert cli("login", server.url, "--username", "grace", "--password-stdin", input="password-grace\n").returncode == 0
    graces, _ = submit(cli, "grace-sweep")
    assert [e["id"] for e in cli.json("ls")] == [graces]

    as_ada = cli("ls", "--output", "json", ASSAY_TOKEN=ada_token)
    assert as_ada.returncode == 0, as_ada.stderr
    assert graces not in [e["id"] for e in json.loads(as_ada.stdout)]
    assert cli("status", graces, ASSAY_TOKEN=ada_token).returncode == EXIT["not_found"], "another user's id is unknown"

    # The stored token never goes to another server.
    elsewhere = cli("ls", ASSAY_URL=f"http://127.0.0.1:{free_port()}")
    assert elsewhere.returncode == EXIT["auth"]
    assert "no API token for http://127.0.0.1:" in elsewhere.stderr


@pytest.mark.parametrize("env, code, message", [
    ({"ASSAY_TOKEN": "asy_not-a-real-token"}, "auth", "the server rejected the credentials"),
    ({"ASSAY_URL": "http://127.0.0.1:{port}"}, "unreachable", "cannot reach the server"),
    ({"ASSAY_URL": "ftp://example.org"}, "bad_input", "ASSAY_URL \"ftp://example.org\" is not an http(s) URL"),
], ids=["bad-token", "server-down", "bad-url"])
def test_connection_failures_have_their_exit_codes(server, make_cli, tmp_path, env, code, message):
    env = {k: v.format(port=free_port()) for k, v in env.items()}
    cli = make_cli("cli", ASSAY_URL=server.url, ASSAY_TOKEN="asy_x")
    for command in (["ls"], ["status", "abc"], ["watch", "abc"], ["submit", write_sweep(tmp_path)]):
        result = cli(*command, **env)
        assert result.returncode == EXIT[code], (command, result.stderr)
        assert message in result.stderr, result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("assay: ")]
        assert len(errors) == 1 and result.stderr.strip().endswith(errors[0]), "one clear line, not a dump"
        assert "zipping" not in result.stderr, "nothing is zipped for a server that would refuse it"


# -- submitting ---------------------------------------------------------------


def artifact_uploads(server):
    """How many artifact uploads (`POST /api/v1/artifacts`) the server has answered, from its request log."""
    count = 0
    for line in server.log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("message") == "request" and (entry.get("http.method"), entry.get("http.path")) == ("POST", "/api/v1/artifacts"):
            count += 1
    return count


def test_submit_skips_uploading_an_artifact_the_server_has(server, make_cli):
    _, cli = user(server, make_cli, "turing")
    uploads = artifact_uploads(server)
    first, result = submit(cli, "dedup")
    assert "zipping code" in result.stderr and "uploaded" in result.stderr, result.stderr
    assert "sha256 " in result.stderr
    assert "uploading code  [" not in result.stderr, "no bar when stderr is not a terminal"
    assert artifact_uploads(server) == uploads + 1
    artifact = cli.json("status", first)["artifact"]

    # The same folder, untouched (a rewritten file would zip with a new time and hash).
    again = cli("submit", "assay.yaml")
    assert again.returncode == 0, again.stderr
    second = again.stdout.strip()
    assert second and second != first
    assert f"artifact {artifact}: already uploaded" in again.stderr and "skipped" in again.stderr, again.stderr
    assert "uploading" not in again.stderr, again.stderr
    assert artifact_uploads(server) == uploads + 1, "the second submit sent no bytes"
    assert cli.json("status", second)["artifact"] == artifact


def test_submit_draws_an_upload_bar_on_a_terminal(server, make_cli):
    _, cli = user(server, make_cli, "lamport")
    write_sweep(cli.folder, "on-a-tty")
    stderr, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [str(cli.binary), "submit", "assay.yaml"], cwd=cli.folder, env={**cli.env, "TERM": "xterm"},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=terminal)
        os.close(terminal)
        terminal = None
        output = b""
        while True:
            try:
                chunk = os.read(stderr, 4096)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            output += chunk
        experiment = process.communicate(timeout=60)[0].decode().strip()
    finally:
        os.close(stderr)
        if terminal is not None:
            os.close(terminal)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    assert experiment, text
    assert "\r\x1b[2Kuploading code  [████████████████████████]" in text, text
    assert "artifact " in text and ": uploaded" in text, text


def test_invalid_declarations_exit_2_locally_and_from_the_server(server, make_cli):
    _, cli = user(server, make_cli, "knuth")
    (cli.folder / "bad.yaml").write_text("name: x\ncommand: [a]\nworkers: 0\n")
    local = cli("submit", "bad.yaml")
    assert local.returncode == EXIT["bad_input"]
    assert "bad.yaml:3: workers: must be between 1 and 10000 (got 0)" in local.stderr
    assert "uploading" not in local.stderr, "nothing is sent for a declaration known to be bad"
    assert cli("submit", "missing.yaml").returncode == EXIT["bad_input"]

    # 60 trials pass here (limit 1,000,000) but not on a server capped at 50.
    write_sweep(cli.folder, "too-big", count=60)
    remote = cli("submit", "assay.yaml")
    assert remote.returncode == EXIT["bad_input"], remote.stderr
    assert "assay: sweep:" in remote.stderr and "50" in remote.stderr, remote.stderr
    assert cli.json("ls") == []


# -- reading --------------------------------------------------------------------


def test_every_read_command_in_text_and_json(server, make_cli):
    _, cli = user(server, make_cli, "hamilton")
    done, _ = submit(cli, "done-sweep", extra="description: the finished one\ntrial: {retries: 1}\n")
    queued, _ = submit(cli, "queued-sweep")
    runner = Runner(server, done)
    assert runner.lease(3) == [0, 1, 2]
    runner.events(Runner.log(0, "epoch 1", "epoch 2"), Runner.log(0, "a warning", stream="stderr"), Runner.log(1, "one"))
    runner.events(Runner.finished(0, "failed"), Runner.finished(1, loss=0.25), Runner.finished(2, "failed"))
    assert runner.lease(2) == [0, 2]  # their second attempts
    runner.events(Runner.log(0, "retry", attempt=2), Runner.finished(0, attempt=2, loss=0.5), Runner.finished(2, "failed", attempt=2))

    # ls: newest first, filters, limit.
    listed = cli.json("ls")
    assert [e["id"] for e in listed] == [queued, done]
    assert listed[1]["counts"]["succeeded"] == 2 and listed[1]["counts"]["failed"] == 1
    assert [e["id"] for e in cli.json("ls", "--status", "completed")] == [done]
    assert [e["id"] for e in cli.json("ls", "--tag", "t-queued-sweep")] == [queued]
    assert [e["id"] for e in cli.json("ls", "--search", "finished one")] == [done]
    assert [e["id"] for e in cli.json("ls", "--limit", "1")] == [queued]
    text = cli("ls").stdout.splitlines()
    assert text[0].split() == ["ID", "NAME", "STATUS", "PROGRESS", "CREATED"]
    assert text[1].split()[:4] == [queued, "queued-sweep", "queued", "0/3"]
    assert text[2].split()[:4] == [done, "done-sweep", "completed", "3/3"]
    server.request("POST", f"/api/v1/experiments/{done}/archive", token=cli.env["ASSAY_TOKEN"])
    assert [e["id"] for e in cli.json("ls")] == [queued]
    assert [e["id"] for e in cli.json("ls", "--all")] == [queued, done]

    # status
    summary = cli.json("status", done)
    assert summary["status"] == "completed" and summary["trials"] == 3
    assert summary["counts"] == {**summary["counts"], "succeeded": 2, "failed": 1}
    assert "name: done-sweep" in summary["declaration"]
    status = {line.split()[0]: line.split(None, 1)[1] for line in cli("status", done).stdout.splitlines()}
    assert status["experiment"] == done and status["name"] == "done-sweep"
    assert status["status"] == "completed (archived)"
    assert "3/3  ✔ 2 succeeded  ✘ 1 failed" in status["progress"]
    assert status["description"] == "the finished one" and status["tags"] == "cli, t-done-sweep"
    assert "mail" not in status  # no notify.email: no mail news

    # logs
    trial0 = cli("logs", done, "--trial", "0")
    assert trial0.returncode == 0, trial0.stderr
    assert trial0.stdout.splitlines() == ["epoch 1", "epoch 2", "a warning", "── attempt 2 ──", "retry"]
    lines = [json.loads(line) for line in cli("logs", done, "--output", "json").stdout.splitlines()]
    assert lines[0] == {"trial": 0, "attempt": 1, "stream": "stdout", "text": "epoch 1"}
    assert {"trial": 0, "attempt": 1, "stream": "stderr", "text": "a warning"} in lines
    assert lines[-1] == {"trial": 1, "attempt": 1, "stream": "stdout", "text": "one"}
    assert "trial 1 | one" in cli("logs", done).stdout.splitlines()
    assert cli("logs", done, "--trial", "0", "--tail", "1").stdout.splitlines() == ["── attempt 2 ──", "retry"]

    # results: the server's CSV and JSON as they are, and the table
    token = cli.env["ASSAY_TOKEN"]
    api_csv = server.request("GET", f"/api/v1/experiments/{done}/results.csv", token=token).body.decode()
    assert cli("results", done, "--format", "csv").stdout == api_csv
    rows = list(csv.DictReader(io.StringIO(api_csv)))
    assert [(r["trial"], r["status"]) for r in rows] == [("1", "succeeded"), ("0", "succeeded"), ("2", "failed")]
    document = cli.json("results", done)
    assert [t["trial"] for t in document["trials"]] == [1, 0, 2]
    assert document["trials"][0]["metrics"] == {"loss": 0.25}
    assert json.loads(cli("results", done, "--format", "json").stdout) == document
    table = cli("results", done).stdout.splitlines()
    assert table[0].split() == ["trial", "status", "attempts", "x", "loss", "duration_s"]
    assert table[2].split()[:5] == ["1", "succeeded", "1", "2", "0.25"]
    assert table[3].split()[:5] == ["0", "succeeded", "2", "1", "0.5"]
    written = cli("results", done, "--format", "csv", "-o", "out.csv")
    assert written.returncode == 0 and written.stdout == ""
    assert (cli.folder / "out.csv").read_text() == api_csv
    assert cli("results", done, "--format", "csv", "--output", "json").returncode == EXIT["bad_input"]

    # plot
    plotted = cli("plot", done, "-o", "plot.svg")
    assert plotted.returncode == 0, plotted.stderr
    svg = ElementTree.parse(cli.folder / "plot.svg").getroot()
    assert svg.tag.endswith("svg") and "done-sweep" in ElementTree.tostring(svg, encoding="unicode")
    nothing = cli("plot", queued)
    assert nothing.returncode == EXIT["failed"] and "nothing to plot" in nothing.stderr

    # watch of a finished experiment: its outcome at once
    watched = cli("watch", done)
    assert watched.returncode == EXIT["ok"], watched.stderr
    assert watched.stdout.strip() == f"done-sweep ({done}): completed — 2 succeeded, 1 failed"


@pytest.mark.parametrize("command", [
    ["status", "{id}"], ["watch", "{id}"], ["logs", "{id}"], ["logs", "{id}", "--trial", "0"], ["cancel", "{id}"],
    ["rerun", "{id}"], ["results", "{id}"], ["results", "{id}", "--format", "csv"], ["plot", "{id}"],
])
def test_unknown_ids_exit_5(server, make_cli, command):
    _, cli = user(server, make_cli, "noether")
    result = cli(*[part.format(id="0000nope") for part in command])
    assert result.returncode == EXIT["not_found"], result.stderr
    assert result.stderr.strip() == f"assay: no experiment 0000nope on {server.url} (or it is not yours)"


def test_unknown_trial_exits_5(server, make_cli):
    _, cli = user(server, make_cli, "germain")
    experiment, _ = submit(cli, "trials")
    for follow in ([], ["--follow"]):
        result = cli("logs", experiment, "--trial", "7", *follow)
        assert result.returncode == EXIT["not_found"]
        assert result.stderr.strip() == f"assay: experiment {experiment} has no trial 7"


# -- live -----------------------------------------------------------------------


def test_watch_exits_with_the_outcome(server, make_cli):
    _, cli = user(server, make_cli, "curie")
    succeeded, _ = submit(cli, "some-succeed")
    failed, _ = submit(cli, "none-succeed")
    canceled, _ = submit(cli, "canceled")
    watches = {experiment: cli.popen("watch", experiment) for experiment in (succeeded, failed, canceled)}
    time.sleep(0.5)  # they are following the live events
    finish_all(server, succeeded, ["failed", "succeeded", "failed"])
    finish_all(server, failed, ["failed", "timed_out", "failed"])
    cancel = cli("cancel", canceled)
    assert cancel.returncode == 0 and cancel.stdout.strip() == f"{canceled}: canceled"

    outcomes = {}
    for experiment, process in watches.items():
        stdout, stderr = process.communicate(timeout=30)
        outcomes[experiment] = (process.returncode, stdout.strip())
        assert "[" in stderr and "/3" in stderr, stderr  # the progress line
    assert outcomes[succeeded] == (EXIT["ok"], f"some-succeed ({succeeded}): completed — 1 succeeded, 2 failed")
    assert outcomes[failed] == (EXIT["failed"], f"none-succeed ({failed}): completed — 2 failed, 1 timed_out")
    assert outcomes[canceled][0] == EXIT["canceled"]
    assert outcomes[canceled][1].startswith(f"canceled ({canceled}): canceled")

    again = cli("cancel", canceled)
    assert again.returncode == 0 and again.stdout.strip() == f"{canceled} had already ended: canceled"
    assert cli("watch", canceled).returncode == EXIT["canceled"]


def test_submit_watch_and_logs_follow_live(server, make_cli):
    _, cli = user(server, make_cli, "meitner")
    write_sweep(cli.folder, "followed", count=2)
    submitting = cli.popen("submit", "assay.yaml", "--watch")
    deadline = time.monotonic() + 20
    while not (experiments := cli.json("ls")):
        assert time.monotonic() < deadline, "submit --watch never submitted"
        time.sleep(0.1)
    experiment = experiments[0]["id"]
    following = cli.popen("logs", experiment, "--follow", "--trial", "1")
    runner = Runner(server, experiment)
    assert runner.lease(2) == [0, 1]
    runner.events(Runner.log(0, "zero"), Runner.log(1, "one", "two"))
    time.sleep(0.3)
    runner.events(Runner.log(1, "three"), Runner.finished(0, loss=1.0), Runner.finished(1, "failed"))

    stdout, stderr = submitting.communicate(timeout=30)
    assert submitting.returncode == EXIT["ok"], stderr
    assert stdout.splitlines() == [experiment, f"followed ({experiment}): completed — 1 succeeded, 1 failed"]
    stdout, stderr = following.communicate(timeout=30)
    assert following.returncode == 0, stderr
    assert stdout.splitlines() == ["one", "two", "three"]
    assert cli("logs", experiment, "--follow", "--trial", "1").stdout.splitlines() == ["one", "two", "three"]


def test_rerun_makes_a_new_experiment(server, make_cli):
    _, cli = user(server, make_cli, "franklin")
    original, _ = submit(cli, "original")
    finish_all(server, original, ["succeeded"] * 3)
    rerun = cli("rerun", original)
    assert rerun.returncode == 0, rerun.stderr
    copy = rerun.stdout.strip()
    assert copy != original and f"rerun of {original}: experiment {copy}, 3 trials" in rerun.stderr
    summary = cli.json("status", copy)
    assert (summary["name"], summary["status"], summary["artifact"]) == ("original", "queued", cli.json("status", original)["artifact"])


def test_a_real_sweep_through_the_local_executor(server_bin, make_cli, tmp_path):
    runner_bin = pathlib.Path(os.environ.get("ASSAY_RUNNER_BIN", pathlib.Path(server_bin).parent / "assay-runner"))
    local = Server(server_bin, tmp_path / "server", extra_env={"ASSAY_EXECUTOR": "local", "ASSAY_RUNNER_BIN": str(runner_bin)}).start()
    try:
        token = local.user_token("rosalind")
        cli = make_cli("cli", ASSAY_URL=local.url, ASSAY_TOKEN=token)
        write_sweep(cli.folder, "real", count=4, extra="workers: 2\n")
        result = cli("submit", "assay.yaml", "--watch", timeout=90)
        assert result.returncode == EXIT["ok"], result.stderr
        experiment = result.stdout.splitlines()[0]
        assert result.stdout.splitlines()[1] == f"real ({experiment}): completed — 4 succeeded"
        document = cli.json("results", experiment)
        assert [t["trial"] for t in document["trials"]] == [3, 2, 1, 0]  # loss 1/x, minimized
        assert document["trials"][0]["metrics"]["loss"] == 0.25
        assert cli("logs", experiment, "--trial", "0").stdout.splitlines() == ['@assay {"loss": 1.0}']
    finally:
        local.stop(signal.SIGKILL)


# -- help and completion ------------------------------------------------------


def test_help_lists_every_command_and_exit_code(make_cli):
    cli = make_cli()
    text = cli("--help").stdout
    for command in ("login", "logout", "submit", "ls", "status", "watch", "logs", "cancel", "rerun", "results", "plot", "completion"):
        assert f"  {command} " in text, command
    for code in range(7):
        assert f"\n  {code}  " in text
    assert "ASSAY_URL" in text and "ASSAY_TOKEN" in text


@pytest.mark.parametrize("shell, marker", [("bash", "-F _assay assay"), ("zsh", "#compdef assay"), ("fish", "complete -c 'assay'")])
def test_completion_scripts(make_cli, shell, marker):
    cli = make_cli()
    result = cli("completion", shell)
    assert result.returncode == 0 and marker in result.stdout
    assert "submit" in result.stdout and "watch" in result.stdout
    if shell == "bash":
        checked = subprocess.run(["bash", "-n"], input=result.stdout, text=True, capture_output=True)
        assert checked.returncode == 0, checked.stderr
    assert cli("completion", "powershell").returncode == EXIT["bad_input"]
