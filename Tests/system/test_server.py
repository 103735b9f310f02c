"""The server as a process: live updates across a real disconnect, and
SIGTERM losing no event batch it answered."""

import json
import signal
import socket
import threading
import time

import pytest

from assay_server import Server, small_declaration

@pytest.fixture
def server(server_bin, tmp_path):
    running = Server(server_bin, tmp_path / "server").start()
    yield running
    running.stop(signal.SIGKILL)


class SSEClient:
    """Reads one Server-Sent Events stream on a thread; `close()` drops the connection."""

    def __init__(self, server, path, token, last_event_id=None):
        self.events = []
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        headers = f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nAuthorization: Bearer {token}\r\n"
        if last_event_id:
            headers += f"Last-Event-ID: {last_event_id}\r\n"
        self.sock.sendall((headers + "\r\n").encode())
        self.lock = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        buffer = b""
        event = {}
        in_body = False
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                if not in_body:
                    if b"\r\n\r\n" not in buffer:
                        continue
                    head, buffer = buffer.split(b"\r\n\r\n", 1)
                    assert head.startswith(b"HTTP/1.1 200"), head
                    in_body = True
                # Chunked transfer: strip chunk-size lines by scanning for SSE fields only.
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    line = line.rstrip(b"\r").decode()
                    if line.startswith("id:"):
                        event["id"] = line[3:].strip()
                    elif line.startswith("event:"):
                        event["event"] = line[6:].strip()
                    elif line.startswith("data:"):
                        event["data"] = json.loads(line[5:].strip())
                    elif line == "" and "event" in event:
                        with self.lock:
                            self.events.append(event)
                            self.lock.notify_all()
                        event = {}
        except OSError:
            return

    def wait_for(self, predicate, timeout=20):
        deadline = time.monotonic() + timeout
        with self.lock:
            while not any(predicate(e) for e in self.events):
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"event not seen; got {[e.get('event') for e in self.events]}"
                self.lock.wait(remaining)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)


def metrics_event(trial, step):
    return {"type": "metrics", "trial": trial, "attempt": 1, "steps": [step], "metrics": {"loss": [1.0 / step]}}


def test_sse_resumes_after_a_real_disconnect_without_gaps_or_duplicates(server):
    token = server.user_token("ada")
    experiment = server.create_experiment(token, small_declaration(count=2))
    runner = server.runner_token(experiment)
    base = f"/api/v1/runner/experiments/{experiment}"
    leased = server.request("POST", f"{base}/lease", {"runner": "r1", "max": 2}, token=runner).json()
    assert [lease["index"] for lease in leased["leases"]] == [0, 1]

    def post(seq, events):
        answer = server.request("POST", f"{base}/events", {"runner": "r1", "seq": seq, "events": events}, token=runner)
        assert answer.status == 200, answer.body

    first = SSEClient(server, f"/api/v1/experiments/{experiment}/events", token)
    for step in range(1, 6):
        post(step, [metrics_event(0, step)])
    first.wait_for(lambda e: e["event"] == "metrics" and e["data"]["steps"] == [5])
    first.close()
    last_id = [e for e in first.events if "id" in e][-1]["id"]

    # While nobody listens: more points, a finished trial.
    for step in range(6, 11):
        post(step, [metrics_event(0, step)])
    post(11, [{"type": "finished", "trial": 0, "attempt": 1, "status": "succeeded", "exitCode": 0, "seconds": 1.5, "metrics": {"loss": 0.1}}])

    second = SSEClient(server, f"/api/v1/experiments/{experiment}/events", token, last_event_id=last_id)
    second.wait_for(lambda e: e["event"] == "trial" and e["data"]["trial"] == 0)
    post(12, [metrics_event(1, 1)])
    post(13, [{"type": "finished", "trial": 1, "attempt": 1, "status": "failed", "exitCode": 3, "seconds": 0.5}])
    second.wait_for(lambda e: e["event"] == "experiment" and e["data"]["status"] == "completed")
    second.close()

    steps = [e["data"]["steps"][0] for e in first.events + second.events
             if e["event"] == "metrics" and e["data"]["trial"] == 0]
    assert steps == list(range(1, 11)), "every point once, in order, across the disconnect"
    ids = [e["id"] for e in first.events + second.events if "id" in e]
    assert len({i.rsplit("-", 1)[0] for i in ids}) == 1, "one server run, one id prefix"
    numbers = [int(i.rsplit("-", 1)[1]) for i in ids]
    assert numbers == sorted(set(numbers)), "event ids strictly increase across the resume"
    final = [e for e in second.events if e["event"] == "experiment"][-1]["data"]
    assert final["counts"]["succeeded"] == 1 and final["counts"]["failed"] == 1


def test_sigterm_loses_no_event_batch_it_answered(server):
    token = server.user_token("ada")
    experiment = server.create_experiment(token, small_declaration(count=1))
    runner = server.runner_token(experiment)
    base = f"/api/v1/runner/experiments/{experiment}"
    assert server.request("POST", f"{base}/lease", {"runner": "r1", "max": 1}, token=runner).json()["leases"]

    answered, stop = [], threading.Event()

    def post_batches():
        seq = 0
        while not stop.is_set():
            seq += 1
            body = {"runner": "r1", "seq": seq, "events": [
                {"type": "log", "trial": 0, "attempt": 1, "stream": "stdout", "lines": [f"batch {seq}"]}]}
            try:
                if server.request("POST", f"{base}/events", body, token=runner, timeout=5).status == 200:
                    answered.append(seq)
            except OSError:
                return  # the server is gone: the Runner would retry later

    posters = [threading.Thread(target=post_batches)]
    posters[0].start()
    time.sleep(1.0)
    assert server.stop(signal.SIGTERM) == 0, "a graceful stop exits 0"
    stop.set()
    posters[0].join(10)
    assert len(answered) > 20, f"only {len(answered)} batches went through before SIGTERM"

    server.start()
    logs = server.request("GET", f"/api/v1/experiments/{experiment}/trials/0/logs?limit=10000", token=token).json()
    stored = [line["text"] for line in logs["lines"]]
    missing = [seq for seq in answered if f"batch {seq}" not in stored]
    assert not missing, f"batches answered 200 but lost: {missing[:10]}"
    assert len(stored) == len(set(stored)), "no batch applied twice"


def test_sigterm_ends_open_live_streams_and_exits(server):
    """A browser following a running experiment must not keep the server from
    stopping: the streams end at SIGTERM (clients resume elsewhere or later)."""
    import threading
    import urllib.request

    token = server.user_token("streamer")
    experiment = server.create_experiment(token, small_declaration("live-stop", count=2))
    ended = threading.Event()

    def follow():
        request = urllib.request.Request(f"{server.url}/api/v1/experiments/{experiment}/events",
                                         headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                while response.readline():
                    pass
        except OSError:
            pass
        ended.set()

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    time.sleep(1)
    assert not ended.is_set(), "the stream of a queued experiment stays open"
    # Without closing the streams the server waits for them until it is killed (stop() SIGKILLs after 30 s).
    assert server.stop(signal.SIGTERM, timeout=30) == 0, "a graceful stop exits 0 with a stream open"
    assert ended.wait(5)
