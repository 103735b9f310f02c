"""A real assay-server (local executor, real Runners) and a headless Chromium for the browser tests."""

import os
import pathlib
import shutil
import signal
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "system"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from assay_server import Server  # noqa: E402
from browser import Browser, find_chromium, missing  # noqa: E402


def binary(env, name):
    path = pathlib.Path(os.environ.get(env, ROOT / ".build" / "debug" / name))
    if not path.exists():
        pytest.fail(f"{name} not found at {path}: run `make build-tests` (or set {env})")
    return path


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One server for the session: SQLite, the local executor starting real assay-runner processes."""
    folder = tmp_path_factory.mktemp("assay-ui")
    instance = Server(binary("ASSAY_SERVER_BIN", "assay-server"), folder / "server", extra_env={
        "ASSAY_EXECUTOR": "local",
        "ASSAY_RUNNER_BIN": str(binary("ASSAY_RUNNER_BIN", "assay-runner")),
        "ASSAY_LEASE_SECONDS": "5",
        "ASSAY_MAX_TRIALS": "5000",
    })
    instance.start()
    yield instance
    # As the local-executor system tests do: SIGKILL (Runners die with their server), since a
    # graceful stop waits for the experiments still running.
    instance.stop(signal.SIGKILL)


@pytest.fixture(scope="session")
def chromium():
    found = find_chromium()
    if found is None:
        missing("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    return found


@pytest.fixture(scope="session")
def browser(chromium, server, tmp_path_factory):
    downloads = tmp_path_factory.mktemp("downloads")
    instance = Browser(server.url, chromium, downloads)
    yield instance
    instance.quit()


@pytest.fixture(scope="session")
def users(server):
    """Two researchers with passwords (and API tokens for setting up through the API)."""
    return {name: {"password": f"password-{name}", "token": server.user_token(name)} for name in ("ada", "bob")}


@pytest.fixture(autouse=True)
def _no_leftover_dialogs(request):
    yield
    if "browser" in request.fixturenames:
        request.getfixturevalue("browser").close_dialogs()


def pytest_report_header(config):
    return f"chromium: {shutil.which('chromium') or 'missing'}, chromedriver: {shutil.which('chromedriver') or 'missing'}"
