"""Screenshots of each page of the web UI, for docs/screenshots/ and README.md.

    .venv/bin/python Tests/browser/screenshots.py [OUTPUT_DIR]

Starts a real assay-server (SQLite in a temporary folder, the local executor
with real Runners), runs two small sweeps and leaves a long one running, then
photographs each page in headless Chromium. Binaries: ASSAY_SERVER_BIN and
ASSAY_RUNNER_BIN, else .build/debug.
"""

import json
import os
import pathlib
import signal
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "system"))
sys.path.insert(0, str(HERE))

from assay_server import Server, code_zip  # noqa: E402
from browser import Browser, find_chromium  # noqa: E402

TRAIN = """
import json, math, sys, time
lr, layers, opt = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
best = 0.12 + 0.4 * (math.log10(lr) + 2.5) ** 2 + 0.03 * abs(layers - 2) + (0.05 if opt == "sgd" else 0)
for step in range(1, 21):
    loss = best + 1.5 / step
    print("@assay " + json.dumps({"step": step, "loss": round(loss, 4), "accuracy": round(1 - loss / 3, 4)}), flush=True)
    time.sleep(0.02)
print(f"final loss {best:.4f}", flush=True)
"""

SLOW = """
import json, sys, time
for step in range(1, 200):
    print("@assay " + json.dumps({"step": step, "loss": 2.0 / step}), flush=True)
    time.sleep(1)
"""

SWEEP = {
    "name": "mnist-lr-sweep", "description": "Learning rate × depth × optimiser on the small MNIST model.",
    "tags": ["vision", "baseline"],
    "command": ["python3", "train.py", "{lr}", "{layers}", "{opt}"],
    "parameters": {
        "lr": {"type": "float", "min": 0.0003, "max": 0.03, "scale": "log", "count": 4},
        "layers": {"type": "int", "values": [1, 2, 3]},
        "opt": {"type": "choice", "values": ["adam", "sgd"]},
    },
    "objective": {"metric": "loss", "goal": "minimize"}, "workers": 2,
}


def wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("chromium and chromium-driver are needed: apt-get install chromium chromium-driver")
    server_bin = os.environ.get("ASSAY_SERVER_BIN", str(ROOT / ".build" / "debug" / "assay-server"))
    runner_bin = os.environ.get("ASSAY_RUNNER_BIN", str(ROOT / ".build" / "debug" / "assay-runner"))
    with tempfile.TemporaryDirectory() as folder:
        server = Server(server_bin, pathlib.Path(folder) / "server",
                        extra_env={"ASSAY_EXECUTOR": "local", "ASSAY_RUNNER_BIN": runner_bin})
        server.start()
        browser = None
        try:
            token = server.user_token("ada")
            done = server.create_experiment(token, SWEEP, files={"train.py": TRAIN})
            small = dict(SWEEP, name="dropout-check", description="Does dropout help the deeper model?", tags=["vision"],
                         parameters={"lr": {"type": "float", "values": [0.001, 0.003]}, "layers": {"type": "int", "values": [3]},
                                     "opt": {"type": "choice", "values": ["adam"]}})
            server.create_experiment(token, small, files={"train.py": TRAIN})
            wait(lambda: server.request("GET", f"/api/v1/experiments/{done}", token=token).json()["status"] == "completed", 120, "the sweep")
            running = server.create_experiment(token, dict(SWEEP, name="long-warmup-study", description="Warm-up length for the small transformer.", tags=["nlp"], workers=2,
                                                           parameters={"warmup": {"type": "int", "values": [100, 200, 400, 800, 1600, 3200]}},
                                                           command=["python3", "train.py"]), files={"train.py": SLOW})
            wait(lambda: server.request("GET", f"/api/v1/experiments/{running}", token=token).json()["counts"]["running"] > 0, 60, "a running trial")

            browser = Browser(server.url, chromium, folder)

            def shot(name, top=True, full=False):
                if top:
                    browser.driver.execute_script("window.scrollTo(0, 0)")
                if full:
                    height = browser.driver.execute_script("return document.documentElement.scrollHeight")
                    browser.driver.set_window_size(1360, min(height + 120, 2600))
                time.sleep(0.3)
                browser.screenshot(out / name)
                if full:
                    browser.driver.set_window_size(1360, 900)

            browser.go("#/login")
            browser.element("#login-username")
            browser.type("#login-username", "ada")
            shot("login.png")
            browser.login("ada", "password-ada")
            browser.element("#experiments-table")
            shot("experiments.png")

            browser.go(f"#/experiments/{done}")
            browser.wait(lambda: len(browser.find_all("#trials-table tbody tr")) >= 20, 20, what="the trials")
            browser.click("#trials-table button[data-sort='m:loss']")
            shot("experiment.png")
            browser.click("#tab-charts")
            browser.wait(lambda: browser.find_all("#scatter-slot svg circle"), 10, what="the scatter")
            browser.driver.execute_script(
                "const s = document.querySelector('#chart-param'); s.value = 'lr'; s.dispatchEvent(new Event('change'))")
            browser.wait(lambda: browser.find_all("#line-slot svg") or browser.find_all("#line-slot p"), 10, what="the line chart")
            browser.driver.execute_script("window.scrollTo(0, document.querySelector('#tab-charts').getBoundingClientRect().top + window.scrollY - 70)")
            shot("experiment-charts.png", top=False)

            browser.go(f"#/experiments/{running}")
            browser.element("#exp-progress [role=progressbar]")
            browser.click("#trials-table tbody tr:first-child button[aria-label^='Logs of trial']")
            time.sleep(2.5)
            shot("experiment-live.png")
            server.request("POST", f"/api/v1/experiments/{running}/cancel", token=token)

            browser.go("#/new")
            browser.element("#dropzone")
            code = pathlib.Path(folder) / "code.zip"
            code.write_bytes(code_zip({"train.py": TRAIN, "README.md": "# mnist\n"}))
            browser.find("#zip-input").send_keys(str(code))
            browser.element("#artifact-sha")
            browser.set_value("[data-path='name']", "mnist-lr-sweep-2")
            browser.set_value("[data-path='tags']", "vision, follow-up")
            browser.set_value("[data-path='parameters.layers.values']", "1, 2, 3, 4")
            shot("new-experiment.png", full=True)
            browser.click("#tab-yaml")
            shot("new-experiment-yaml.png", full=True)

            browser.go("#/tokens")
            browser.type("#token-name", "laptop CLI")
            browser.click(".inline-form button[type=submit]")
            browser.element("#new-token")
            shot("tokens.png")
            print(json.dumps(sorted(p.name for p in out.glob("*.png"))))
        finally:
            if browser:
                browser.quit()
            server.stop(signal.SIGTERM)


if __name__ == "__main__":
    main()
