"""schemathesis against the running server's own /openapi.yaml: no 5xx, and
every response matches the document. Two runs: user routes with an admin's
API token, runner routes with a runner token."""

import os
import pathlib
import signal
import subprocess
import sys

import pytest

from assay_server import Server, small_declaration

SCHEMATHESIS = pathlib.Path(sys.executable).parent / "schemathesis"
CHECKS = ["--checks", "not_a_server_error,response_schema_conformance", "--max-examples", "25", "--seed", "20261123"]


@pytest.fixture
def fuzzed(server_bin, tmp_path):
    if not SCHEMATHESIS.exists():
        pytest.fail(f"schemathesis not found at {SCHEMATHESIS}: run `make venv`")
    running = Server(server_bin, tmp_path / "server").start()
    yield running
    running.stop(signal.SIGKILL)


def schemathesis(server, token, *selection, tmp_path):
    result = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{server.url}/openapi.yaml", "-H", f"Authorization: Bearer {token}",
         "--report", "junit", "--report-dir", str(tmp_path), *selection, *CHECKS],
        capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"})
    summary = result.stdout[-6000:]
    assert result.returncode == 0, f"schemathesis found problems:\n{summary}\n{result.stderr[-2000:]}"
    assert "passed" in summary and "generated" in summary, summary
    return summary


def test_user_routes_never_answer_5xx_or_off_schema(fuzzed, tmp_path):
    token = fuzzed.user_token("fuzzer", admin=True)
    fuzzed.create_experiment(token, small_declaration(count=3))
    schemathesis(
        fuzzed, token,
        "--exclude-path-regex", "^/api/v1/runner/",
        # Raw zip bodies have no schemathesis serializer; they are covered by the Swift route tests.
        "--exclude-name", "POST /api/v1/artifacts",
        # These would revoke the fuzzer's own credential mid-run.
        "--exclude-name", "DELETE /api/v1/tokens/{id}", "--exclude-name", "POST /api/v1/auth/logout",
        tmp_path=tmp_path)


def test_runner_routes_never_answer_5xx_or_off_schema(fuzzed, tmp_path):
    token = fuzzed.user_token("owner")
    experiment = fuzzed.create_experiment(token, small_declaration(count=3))
    schemathesis(fuzzed, fuzzed.runner_token(experiment), "--include-path-regex", "^/api/v1/runner/", tmp_path=tmp_path)
