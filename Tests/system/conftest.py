"""Shared helpers for system tests: they drive the real `assay` binary."""

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def assay_bin():
    path = pathlib.Path(os.environ.get("ASSAY_BIN", ROOT / ".build" / "debug" / "assay"))
    if not path.exists():
        pytest.fail(f"assay binary not found at {path}: run `make build` (or set ASSAY_BIN)")
    return path


@pytest.fixture(scope="session")
def server_bin():
    path = pathlib.Path(os.environ.get("ASSAY_SERVER_BIN", ROOT / ".build" / "debug" / "assay-server"))
    if not path.exists():
        pytest.fail(f"assay-server not found at {path}: run `make build-tests` (or set ASSAY_SERVER_BIN)")
    return path


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
