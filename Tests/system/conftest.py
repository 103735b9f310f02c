"""Shared helpers for system tests: they drive the real `assay` binary."""

import os
import pathlib
import signal
import subprocess

import pytest

from assay_server import Server

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def built(name, variable, make_target):
    """A binary of this build (.build/debug), or the one `variable` names."""
    path = pathlib.Path(os.environ.get(variable, ROOT / ".build" / "debug" / name))
    if not path.exists():
        pytest.fail(f"{name} not found at {path}: run `make {make_target}` (or set {variable})")
    return path


@pytest.fixture(scope="session")
def assay_bin():
    return built("assay", "ASSAY_BIN", "build")


@pytest.fixture(scope="session")
def server_bin():
    return built("assay-server", "ASSAY_SERVER_BIN", "build-tests")


@pytest.fixture(scope="session")
def runner_bin():
    return built("assay-runner", "ASSAY_RUNNER_BIN", "build-tests")


@pytest.fixture
def start_local_server(server_bin, runner_bin, tmp_path):
    """Starts `assay-server` with the local executor (real Runner processes, or
    `runner` in their place) and the given lease; killed at the end of the test."""
    started = []

    def start(lease_seconds, runner=None):
        server = Server(server_bin, tmp_path / "server", extra_env={
            "ASSAY_EXECUTOR": "local", "ASSAY_RUNNER_BIN": str(runner or runner_bin),
            "ASSAY_LEASE_SECONDS": str(lease_seconds)})
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop(signal.SIGKILL)


@pytest.fixture
def assay(assay_bin, tmp_path):
    """Runs `assay ARGS...` in tmp_path; returns the CompletedProcess."""

    def run(*args, timeout=120, cwd=None):
        return subprocess.run(
            [str(assay_bin), *map(str, args)],
            cwd=cwd or tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
