"""A full disk under the embedded default's data folder (SQLite and its artifacts):
uploads are refused with 507 `insufficient_storage` naming the problem, nothing
half-written stays behind, what was stored before is intact, and once space is
freed uploads work again. The data folder is a 12 MiB tmpfs, which takes root
(CAP_SYS_ADMIN): where mounting is not permitted the test says so as a skip."""

import json
import os
import signal
import subprocess

import pytest

from assay_server import Server, code_zip


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): {result.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


class Answer:
    def __init__(self, status, body):
        self.status, self.body = status, body

    def json(self):
        return json.loads(self.body)


def upload(server, token, megabytes):
    body = code_zip({"weights.bin": os.urandom(megabytes * 1024 * 1024 // 2).hex()})
    return Answer(*server.upload_artifact_streaming(token, body))


def test_a_full_disk_refuses_uploads_clearly_and_keeps_what_was_stored(server_bin, small_disk, tmp_path):
    # Uploads are received into TMPDIR first: on the same small disk, so either write can fail.
    # The database and its artifacts on the small disk; the server's own log off it.
    server = Server(server_bin, tmp_path / "server", store_url=f"sqlite:{small_disk / 'assay.db'}",
                    extra_env={"TMPDIR": str(small_disk)})
    server.start()
    try:
        token = server.user_token("ada")
        first = upload(server, token, 3)
        assert first.status == 201, first.body
        # Another program fills the disk.
        ballast = small_disk / "ballast"
        subprocess.run(["dd", "if=/dev/zero", f"of={ballast}", "bs=1M", "count=64"], capture_output=True)
        full = upload(server, token, 3)
        assert full.status == 507, full.body
        error = full.json()["error"]
        assert error["code"] == "insufficient_storage" and "no space left" in error["message"], error
        # Nothing half-written: no partial artifact file, no upload left in TMPDIR.
        leftovers = [p.name for p in small_disk.rglob("*") if p.name.endswith(".partial") or p.name.startswith("assay-upload-")]
        assert leftovers == []
        # What was stored before reads back whole, and the server stays up.
        stored = server.request("GET", f"/api/v1/artifacts/{first.json()['id']}", token=token)
        assert stored.status == 200 and len(stored.body) == int(first.json()["size"])
        assert server.request("GET", "/healthz").status == 200
        # Space freed: uploads work again.
        ballast.unlink()
        again = upload(server, token, 3)
        assert again.status == 201, again.body
    finally:
        server.stop(signal.SIGKILL)
