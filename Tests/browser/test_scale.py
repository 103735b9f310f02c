"""Ten thousand trials in the browser: the experiment page loads, sorts and pages them.

The server runs with the external executor and this test acts as the Runner over
HTTP (lease, then report every trial finished), so 10,000 real trials exist in a
second or two without running 10,000 processes.
"""

import math
import signal
import time

import pytest

from assay_server import Server

TRIALS = 10_000


@pytest.fixture(scope="module")
def big(tmp_path_factory, server):
    """A second server (external executor) holding one finished 10,000-trial experiment."""
    instance = Server(server.binary, tmp_path_factory.mktemp("assay-scale") / "server")
    instance.start()
    token = instance.user_token("cy")
    experiment = instance.create_experiment(token, {
        "name": "ten-thousand", "command": ["python3", "train.py", "{i}"],
        "parameters": {"i": {"type": "int", "min": 0, "max": TRIALS - 1, "step": 1}},
        "objective": {"metric": "loss", "goal": "minimize"}}, files={"train.py": "print(1)\n"})
    runner = instance.runner_token(experiment)
    base = f"/api/v1/runner/experiments/{experiment}"
    seq = 0
    leased = 0
    while leased < TRIALS:
        leases = instance.request("POST", f"{base}/lease", {"runner": "r1", "max": 1000}, token=runner, timeout=60).json()["leases"]
        assert leases, "the server handed out no more trials"
        seq += 1
        events = [{"type": "finished", "trial": lease["index"], "attempt": lease["attempt"], "status": "succeeded",
                   "exitCode": 0, "seconds": 0.5 + (lease["index"] % 7) / 10,
                   "metrics": {"loss": round(1 + math.sin(lease["index"] / 100.0), 6)}} for lease in leases]
        answer = instance.request("POST", f"{base}/events", {"runner": "r1", "seq": seq, "events": events}, token=runner, timeout=60)
        assert answer.status == 200, answer.body
        leased += len(leases)
    status = instance.request("GET", f"/api/v1/experiments/{experiment}", token=token).json()["status"]
    assert status == "completed", status
    yield instance, experiment
    instance.stop(signal.SIGTERM)


def test_ten_thousand_trials_load_sort_and_page(browser, big):
    instance, experiment = big
    home = browser.base_url
    browser.base_url = instance.url
    try:
        browser.login("cy", "password-cy")
        started = time.monotonic()
        browser.go(f"#/experiments/{experiment}")
        browser.wait_text("#trials-note", f"Showing 1–50 of {TRIALS:,}", timeout=30)
        loaded = time.monotonic() - started
        print(f"10,000 trials shown in {loaded:.2f} s")
        browser.wait(lambda: len(browser.find_all("#trials-table tbody tr")) == 50, 10, what="len(browser.find_all('#trials-table tbody tr')) == 50")  # the page redraws live: read again until it holds
        assert loaded < 15, f"10,000 trials took {loaded:.1f} s to show"

        started = time.monotonic()
        browser.click("#trials-table button[data-sort='m:loss']")
        browser.wait(lambda: browser.find("#trials-table th[aria-sort='ascending'] button").get_attribute("data-sort") == "m:loss",
                     10, what="sorted by loss")
        sorted_in = time.monotonic() - started
        print(f"sorted by loss in {sorted_in:.2f} s")
        first = float(browser.find("#trials-table tbody tr:first-child td:nth-last-child(2)").text)
        assert first == pytest.approx(0.0, abs=1e-3), first  # 1 + sin(x) is smallest near x = 3π/2 · 100
        assert sorted_in < 5, f"sorting 10,000 trials took {sorted_in:.1f} s"

        browser.set_value("#trial-page", "200")
        browser.wait_text("#trials-note", f"Showing 9,951–10,000 of {TRIALS:,}", timeout=10)
        browser.set_value("#trial-filter", "i=9999")
        browser.wait_text("#trials-note", "Showing 1–1 of 1 (filtered from 10,000)", timeout=10)
        browser.wait(lambda: browser.find("#trials-table tbody tr").get_attribute("data-trial") == "9999", 10, what="browser.find('#trials-table tbody tr').get_attribute('data-trial') == ")  # the page redraws live: read again until it holds
        browser.click("#tab-charts")
        browser.wait(lambda: len(browser.find_all("#scatter-slot svg circle")) == TRIALS, 20, what="10,000 points")
        assert browser.console_problems() == []
    finally:
        browser.base_url = home
        browser.go("#/login")
        browser.console_problems()  # reading the log empties it: this server's entries stay here
