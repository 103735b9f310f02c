"""The images' final stages, played into a debootstrapped Debian bookworm
(what debian:bookworm-slim is) and run as the image would run.

Runs when scripts/image-rootfs.sh (make images-rootfs) has made the base tree
and built the binaries: ASSAY_IMAGE_ROOTFS (the base tree), ASSAY_IMAGE_OUT
(OUT/assay-runner and OUT/assay-server are the builders' /out folders) and a
scratch folder ASSAY_IMAGE_TREES. Needs root and network access to Debian's
mirror (the final stages' apt-get install). Skipped otherwise.

The Runner runs as its Kubernetes pod runs it: user 65532, read-only root
filesystem, empty writable volumes at /work and /tmp, only the image's ENV.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import finalstage  # noqa: E402
from imagelib import RUNNER_DOCKERFILE, SERVER_DOCKERFILE  # noqa: E402

POD_UID = 65532


def settings() -> tuple[Path, Path, Path]:
    values = [os.environ.get(v) for v in ("ASSAY_IMAGE_ROOTFS", "ASSAY_IMAGE_OUT", "ASSAY_IMAGE_TREES")]
    if not all(values):
        pytest.skip("ASSAY_IMAGE_ROOTFS, ASSAY_IMAGE_OUT, ASSAY_IMAGE_TREES not set: scripts/image-rootfs.sh sets them")
    if os.geteuid() != 0:
        pytest.skip("playing a final stage needs root (chroot, mounts)")
    base, out, trees = map(Path, values)
    assert (base / "etc/debian_version").is_file(), f"{base}: not a debootstrapped tree"
    return base, out, trees


def played(product: str, dockerfile: Path):
    base, out, trees = settings()
    if not (out / product / product).is_file():
        pytest.skip(f"{out / product / product} not built")
    root = trees / product
    finalstage.prepare_tree(base, root)
    config, _ = finalstage.play_final_stage(dockerfile, root, out / product)
    return root, config


@pytest.fixture(scope="module")
def runner_image():
    return played("assay-runner", RUNNER_DOCKERFILE)


@pytest.fixture(scope="module")
def server_image():
    return played("assay-server", SERVER_DOCKERFILE)


def as_pod(root: Path, config, argv: list[str], **extra):
    """As the Job's pod: the image's user, ENV and WORKDIR, read-only root,
    emptyDir volumes at /work and /tmp (fsGroup 65532)."""
    return finalstage.in_tree(
        root,
        argv,
        env=config.env,
        user=config.user,
        workdir=config.workdir,
        pod=True,
        writable=[("/work", f"uid={POD_UID},gid={POD_UID},mode=2775"), ("/tmp", "mode=1777")],
        **extra,
    )


def check(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_runner_runs_as_the_pod_user(runner_image):
    root, config = runner_image
    assert config.user == f"{POD_UID}:{POD_UID}"
    out = check(as_pod(root, config, ["sh", "-c", "id -u; id -g; id -un; pwd; echo $HOME"]))
    assert out.split() == [str(POD_UID), str(POD_UID), "assay", "/work", "/work"]
    # the root filesystem is read-only, /work and /tmp are writable
    out = check(as_pod(root, config, ["sh", "-c", "touch /etc/x 2>/dev/null && echo rw || echo ro; touch /work/x /tmp/x && echo ok"]))
    assert out.split() == ["ro", "ok"]


def test_runner_binary_in_the_image(runner_image):
    root, config = runner_image
    result = as_pod(root, config, config.entrypoint + ["--help"])
    assert "ASSAY_SERVER_URL" in check(result)
    ldd = check(as_pod(root, config, ["ldd", config.entrypoint[0]]))
    assert "not found" not in ldd and "swift" not in ldd.lower(), ldd
    # a real start: the configuration is read and refused with the documented line and status
    result = as_pod(root, config, config.entrypoint)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("assay-runner: configuration: ASSAY_"), result.stderr


def test_runner_python_for_user_code(runner_image):
    """Python 3 with venv, and the documented `setup: [pip, install, ...]`
    installing for the user into /work/.local (offline: a local package)."""
    root, config = runner_image
    out = check(as_pod(root, config, ["python3", "-c", "import sys, ssl, sqlite3, venv; print(sys.version_info[:2])"]))
    assert out.strip().startswith("(3, ")
    check(as_pod(root, config, ["sh", "-c", "python3 -m venv /tmp/v && /tmp/v/bin/python -m pip --version"]))
    script = (
        "mkdir -p code/pkg && cd code "
        "&& printf 'from setuptools import setup\\nsetup(name=\"assaycheck\", version=\"1\", py_modules=[\"assaycheck\"])\\n' > pkg/setup.py "
        "&& echo 'VALUE = 42' > pkg/assaycheck.py "
        "&& pip install --no-index --no-build-isolation --quiet ./pkg "
        "&& python3 -c 'import assaycheck; print(assaycheck.VALUE, assaycheck.__file__)'"
    )
    out = check(as_pod(root, config, ["sh", "-c", script]))
    value, path = out.split()
    assert value == "42" and path.startswith("/work/.local/lib/python3"), out


def test_runner_image_has_no_toolchain(runner_image):
    root, _ = runner_image
    assert not (root / "usr/bin/swift").exists() and not list((root / "usr/lib").glob("**/libswiftCore.so"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_serves_from_the_image(server_image):
    """The server as its Deployment runs it: user 65532, read-only root, a
    writable volume at its working folder; /healthz and /readyz answer."""
    root, config = server_image
    assert config.user == f"{POD_UID}:{POD_UID}" and config.expose == ["8080"]
    assert config.env["ASSAY_HOST"] == "0.0.0.0"
    port = free_port()
    # loopback only on this machine
    env = {**config.env, "ASSAY_HOST": "127.0.0.1", "ASSAY_PORT": str(port)}
    command = finalstage.tree_command(
        root,
        config.entrypoint,
        env=env,
        user=config.user,
        workdir=config.workdir,
        pod=True,
        writable=[(config.workdir, f"uid={POD_UID},gid={POD_UID},mode=0750"), ("/tmp", "mode=1777")],
    )
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    statuses = []
    try:
        for path in ("/healthz", "/readyz", "/"):
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, process.stdout.read().decode(errors="replace")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
                        statuses.append(answer.status)
                        break
                except OSError:
                    assert time.monotonic() < deadline, f"{path} did not answer"
                    time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # "/" is the web UI, served from the resource bundle beside the binary:
    # in the image there is no build folder to fall back on
    assert statuses == [200, 200, 200]
    ldd = check(finalstage.in_tree(root, ["ldd", config.entrypoint[0]], env=config.env))
    assert "not found" not in ldd and "swift" not in ldd.lower(), ldd
