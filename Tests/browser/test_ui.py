"""The web UI in a real browser against a real server, real Runners and a real sweep.

A researcher logs in, uploads code, declares a sweep with a mistake and fixes
it, submits, watches it finish live, sorts the trials, opens a chart,
downloads the CSV (the same bytes as the API's), cancels a long experiment;
another researcher's private experiment is "not found"; tokens are created
once-shown and revoked. The UI's own modules (ZIP writer, YAML, trial count)
are checked in the browser too.
"""

import base64
import hashlib
import io
import json
import time
import zipfile

import pytest

from assay_server import code_zip

TRAIN = """
import json, sys, time
x, opt = int(sys.argv[1]), sys.argv[2]
for step in range(1, 6):
    loss = (x - 2) ** 2 + (0.5 if opt == "sgd" else 0.1) + 1.0 / step
    print("@assay " + json.dumps({"step": step, "loss": round(loss, 4)}), flush=True)
    time.sleep(0.25)
print("trial done", x, opt, flush=True)
"""

SLEEPY = """
import sys, time
print("sleeping", flush=True)
time.sleep(60)
"""


@pytest.fixture(scope="module")
def code(tmp_path_factory):
    folder = tmp_path_factory.mktemp("code")
    path = folder / "code.zip"
    path.write_bytes(code_zip({"train.py": TRAIN}))
    return path


def progress(browser):
    """The header's progress value and state, read in one go (the header redraws on every event)."""
    value, status = browser.driver.execute_script(
        "const bar = document.querySelector('#exp-progress [role=progressbar]');"
        "return [bar && bar.getAttribute('aria-valuenow'), document.querySelector('#exp-status')?.textContent];")
    return (int(value) if value is not None else None), status


def final_losses(server, user, experiment):
    items = server.request("GET", f"/api/v1/experiments/{experiment}/trials?limit=1000", token=user["token"]).json()["items"]
    return {t["index"]: t["metrics"]["loss"] for t in items}


def switch_user(browser, name, user):
    if browser.who() == name:
        return
    if browser.who():
        browser.logout()
    browser.login(name, user["password"])


def test_researcher_flow(browser, server, users, code):
    ada = users["ada"]
    browser.go("#/")
    # Not logged in: the login page, which comes back to where we were going.
    browser.element("#login-username")
    browser.login("ada", ada["password"])
    browser.click("a[href='#/new']")
    browser.element("#dropzone")

    # Upload: progress, the hash the browser computed equals the server's, then a dedup notice.
    browser.find("#zip-input").send_keys(str(code))
    sha = browser.element("#artifact-sha").text
    assert hashlib.sha256(code.read_bytes()).hexdigest() in sha
    assert "matches the hash computed in your browser" in sha
    browser.wait(lambda: browser.find("#upload-progress").get_attribute("aria-valuenow") == "100", 10, what="browser.find('#upload-progress').get_attribute('aria-valuenow') == '10")  # the page redraws live: read again until it holds
    browser.element("#upload-new")
    browser.find("#zip-input").send_keys(str(code))
    browser.wait(lambda: browser.find_all("#dedup-notice"), 15, what="the dedup notice")

    # Declare: a grid of 3 × 2 with a mistake (max below min) found before submitting.
    browser.type("[data-path='name']", "ui-sweep")
    browser.type("[data-path='tags']", "ui, browser")
    browser.set_value("[data-path='command']", "python3 train.py {x} {opt}")
    for name in ("lr", "layers"):
        browser.click(f"button[aria-label='Remove parameter {name}']")
    browser.click("#add-param")
    browser.set_value(".param-row[data-param='p1'] [data-path='parameters.p1']", "x")
    row = ".param-row[data-param='x']"
    browser.element(row)
    browser.driver.execute_script(
        "const s = document.querySelector(arguments[0]); s.value = 'range'; s.dispatchEvent(new Event('change', {bubbles: true}))",
        f"{row} select[aria-label='How x is spread']")
    browser.set_value(f"{row} [data-path='parameters.x.min']", "3")
    browser.set_value(f"{row} [data-path='parameters.x.max']", "1")
    max_field = browser.element(f"{row} [data-path='parameters.x.max']")
    browser.wait(lambda: max_field.get_attribute("aria-invalid") == "true", 5, what="max flagged invalid")
    error = browser.find(f"#{max_field.get_attribute('id')}-error")
    assert "greater than min" in error.text
    browser.set_value(f"{row} [data-path='parameters.x.min']", "1")
    browser.set_value(f"{row} [data-path='parameters.x.max']", "3")
    browser.wait(lambda: max_field.get_attribute("aria-invalid") is None, 5, what="the max error to go")
    browser.click("#add-param")
    browser.set_value("[data-path='parameters.p2']", "opt")
    browser.driver.execute_script(
        "const s = document.querySelector(arguments[0]); s.value = 'choice'; s.dispatchEvent(new Event('change', {bubbles: true}))",
        "[data-path='parameters.opt.type']")
    browser.set_value("[data-path='parameters.opt.values']", "adam, sgd")
    browser.wait_text("#trial-count", "6 trials: 3 × 2")

    # The YAML view shows the same declaration; edit it there, and the form follows.
    browser.click("#tab-yaml")
    yaml_text = browser.element("#yaml-text").get_attribute("value")
    assert "name: ui-sweep" in yaml_text and "opt: {type: choice, values: [adam, sgd]}" in yaml_text, yaml_text
    browser.set_value("#yaml-text", yaml_text.replace("workers: 2", "workers: 3"))
    time.sleep(0.4)
    browser.click("#tab-form")
    assert browser.element("[data-path='workers']").get_attribute("value") == "3"

    # A mistake only the server finds: its 422 lands at the field.
    browser.type("[data-path='trial.timeout']", "ten minutes")
    browser.click("#submit")
    timeout_field = browser.element("[data-path='trial.timeout']")
    browser.wait(lambda: timeout_field.get_attribute("aria-invalid") == "true", 10, what="the server's timeout error")
    browser.wait(lambda: "duration" in browser.find(f"#{timeout_field.get_attribute('id')}-error").text, 10, what="'duration' in browser.find(f'#{timeout_field.get_attribute('id')}-erro")  # the page redraws live: read again until it holds
    browser.type("[data-path='trial.timeout']", "2m")
    browser.wait(lambda: timeout_field.get_attribute("aria-invalid") is None, 5, what="the timeout error to go")
    browser.click("#submit")

    # The experiment page: progress reaches 100 % live, without reloading the page.
    browser.wait(lambda: "#/experiments/" in browser.driver.current_url, 15, what="the experiment page")
    experiment = browser.driver.current_url.split("#/experiments/")[1].split("?")[0]
    browser.element("#exp-progress [role=progressbar]")
    browser.driver.execute_script("window.__sameDocument = true")
    seen = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        value, status = progress(browser)
        seen.add(value)
        if value == 100 and status == "Completed":
            break
        time.sleep(0.1)
    assert progress(browser) == (100, "Completed"), f"progress seen: {sorted(v for v in seen if v is not None)}"
    assert any(v is not None and v < 100 for v in seen), f"progress only seen at {seen}"
    assert browser.driver.execute_script("return window.__sameDocument") is True
    browser.wait_text("#progress-text", "6 of 6 trials done")
    assert "completed" in server.request("GET", f"/api/v1/experiments/{experiment}", token=ada["token"]).json()["status"]

    # Sort the trials by loss, both ways.
    browser.wait(lambda: len(browser.find_all("#trials-table tbody tr")) == 6, 15, what="six trial rows")
    browser.click("#trials-table button[data-sort='m:loss']")
    losses = lambda: [float(td.text) for td in browser.find_all("#trials-table tbody tr td:nth-last-child(2)")]  # noqa: E731
    browser.wait(lambda: losses() == sorted(losses()) and len(losses()) == 6, 5, what="ascending losses")
    browser.click("#trials-table button[data-sort='m:loss']")
    browser.wait(lambda: losses() == sorted(losses(), reverse=True), 5, what="descending losses")
    browser.wait(lambda: browser.find("#trials-table th[aria-sort='descending'] button").get_attribute("data-sort") == "m:loss", 10, what="browser.find('#trials-table th[aria-sort='descending'] button').get_at")  # the page redraws live: read again until it holds
    browser.click("#trial-status-filter")
    browser.driver.execute_script(
        "const s = document.querySelector('#trial-status-filter'); s.value = 'succeeded'; s.dispatchEvent(new Event('change'))")
    browser.wait(lambda: len(browser.find_all("#trials-table tbody tr")) == 6, 10, what="len(browser.find_all('#trials-table tbody tr')) == 6")  # the page redraws live: read again until it holds

    # The log of a trial.
    browser.click("#trials-table tbody tr:first-child button[aria-label^='Logs of trial']")
    browser.wait_text("#log-lines", "trial done")
    browser.click("#log-panel button[aria-label='Close logs']")

    # Charts: the objective against x, one point per trial, the best marked.
    browser.click("#tab-charts")
    browser.wait(lambda: len(browser.find_all("#scatter-slot svg circle.point")) == 6, 10, what="six points")
    browser.wait(lambda: len(browser.find_all("#scatter-slot svg circle.best")) == 1, 10, what="len(browser.find_all('#scatter-slot svg circle.best')) == 1")  # the page redraws live: read again until it holds
    browser.wait(lambda: browser.find("#chart-param").get_attribute("value") in ("x", "opt"), 10, what="browser.find('#chart-param').get_attribute('value') in ('x', 'opt')")  # the page redraws live: read again until it holds
    # The loss over steps of the best three trials (none ticked), five steps each.
    browser.wait(lambda: len(browser.find_all("#line-slot svg polyline")) == 3, 10, what="three lines")
    plotted = [int(li.text.removeprefix("Trial ")) for li in browser.find_all("#line-slot .legend li")]
    losses = final_losses(server, ada, experiment)
    assert sorted(losses[i] for i in plotted) == sorted(losses.values())[:3]
    points = browser.find("#line-slot svg polyline").get_attribute("points").split()
    assert len(points) == 5
    # Best so far: the loss of each of the six trials, and the running best as a second line.
    browser.wait(lambda: len(browser.find_all("#best-slot svg polyline")) == 2, 10, what="the best-so-far lines")
    assert all(len(line.get_attribute("points").split()) == 6 for line in browser.find_all("#best-slot svg polyline"))

    # Download results.csv: the same bytes as the API's.
    browser.click("#tab-trials")
    for old in browser.downloads.glob("*"):
        old.unlink()
    browser.click("#download-csv")
    csv_file = browser.wait(lambda: next((p for p in browser.downloads.glob("*.csv")), None), 15, what="the CSV download")
    browser.wait(lambda: not list(browser.downloads.glob("*.crdownload")), 10, what="the download to finish")
    api_csv = server.request("GET", f"/api/v1/experiments/{experiment}/results.csv", token=ada["token"]).body
    assert csv_file.read_bytes() == api_csv
    assert len(api_csv.decode().strip().splitlines()) == 7

    assert browser.console_problems() == []


def test_cancel_a_long_experiment(browser, server, users):
    ada = users["ada"]
    experiment = server.create_experiment(ada["token"], {
        "name": "long-one", "command": ["python3", "train.py"], "workers": 2,
        "parameters": {"i": {"type": "int", "values": [1, 2, 3, 4]}}}, files={"train.py": SLEEPY})
    switch_user(browser, "ada", ada)
    browser.go(f"#/experiments/{experiment}")
    browser.wait(lambda: progress(browser)[1] == "Running", 30, what="the experiment to run")
    browser.click("#action-cancel")
    browser.element("dialog[open]")
    browser.wait(lambda: "Cancel this experiment?" in browser.find("dialog[open] h2").text, 10, what="'Cancel this experiment?' in browser.find('dialog[open] h2').text")  # the page redraws live: read again until it holds
    browser.confirm_dialog(accept=True)
    browser.wait(lambda: progress(browser)[1] == "Canceled", 15, what="the canceled state")
    assert not browser.find_all("#action-cancel")
    assert server.request("GET", f"/api/v1/experiments/{experiment}", token=ada["token"]).json()["status"] == "canceled"

    # Rerun opens the new copy; deleting it (running: canceled first) goes back to the list.
    browser.click("#action-rerun")
    browser.confirm_dialog(accept=True)
    browser.wait(lambda: experiment not in browser.driver.current_url, 10, what="the rerun's page")
    copy = browser.driver.current_url.split("#/experiments/")[1]
    browser.wait_text(".exp-title", "long-one")
    browser.click("#action-delete")
    assert "cannot be undone" in browser.element("dialog[open]").text
    browser.confirm_dialog(accept=True)
    browser.element("#experiments-table")
    assert server.request("GET", f"/api/v1/experiments/{copy}", token=ada["token"]).status == 404

    # Archive: gone from the list until "Show archived".
    browser.go(f"#/experiments/{experiment}")
    browser.click("#action-archive")
    browser.confirm_dialog(accept=True)
    browser.wait_text(".badges", "archived")
    browser.go("#/")
    browser.element("#experiments-table, .empty-state")
    assert not browser.find_all(f"tr[data-id='{experiment}']")
    browser.click("#exp-archived")
    browser.wait(lambda: browser.find_all(f"tr[data-id='{experiment}']"), 10, what="the archived experiment")
    browser.wait(lambda: "archived" in browser.find(f"tr[data-id='{experiment}']").text, 10, what="'archived' in browser.find(f'tr[data-id='{experiment}']').text")  # the page redraws live: read again until it holds
    assert browser.console_problems() == []


def test_another_users_private_experiment_is_not_found(browser, server, users):
    ada, bob = users["ada"], users["bob"]
    experiment = server.create_experiment(ada["token"], {
        "name": "ada-private", "command": ["python3", "train.py", "{i}"],
        "parameters": {"i": {"type": "int", "values": [1]}}}, files={"train.py": "import sys\nprint(sys.argv)\n"})
    switch_user(browser, "bob", bob)
    browser.go(f"#/experiments/{experiment}")
    browser.wait_text("#not-found h1", "Experiment not found")
    assert "ada-private" not in browser.driver.page_source
    # And it is not in bob's list either.
    browser.go("#/")
    browser.element(".empty-state, #experiments-table")
    assert "ada-private" not in browser.find("main").text
    assert browser.console_problems() == []


def test_a_shared_link_opens_read_only_for_another_user_until_unshared(browser, server, users):
    ada, bob = users["ada"], users["bob"]
    experiment = server.create_experiment(ada["token"], {
        "name": "ada-shared", "command": ["python3", "train.py", "{i}"],
        "parameters": {"i": {"type": "int", "values": [1, 2]}}}, files={"train.py": "import sys\nprint(sys.argv)\n"})
    switch_user(browser, "ada", ada)
    browser.go(f"#/experiments/{experiment}")
    toggle = browser.element("#share-toggle")
    assert toggle.get_attribute("aria-checked") == "false"
    link = browser.find("#share-link").get_attribute("value")
    assert link == f"{server.url}/#/experiments/{experiment}"
    browser.click("#share-toggle")
    browser.wait(lambda: browser.find("#share-toggle").get_attribute("aria-checked") == "true", 10, what="the share switch on")
    assert server.request("GET", f"/api/v1/experiments/{experiment}", token=ada["token"]).json()["public"] is True

    switch_user(browser, "bob", bob)
    browser.driver.get(link)
    browser.wait_text(".exp-title", "ada-shared")
    browser.wait(lambda: "read-only" in browser.find(".badges").text, 10, what="'read-only' in browser.find('.badges').text")  # the page redraws live: read again until it holds
    for owner_only in ("#action-cancel", "#action-rerun", "#action-archive", "#action-delete", "#share-toggle"):
        assert not browser.find_all(owner_only), owner_only
    browser.wait(lambda: browser.find_all("#download-csv"), 10, what="browser.find_all('#download-csv')")  # the page redraws live: read again until it holds

    switch_user(browser, "ada", ada)
    browser.go(f"#/experiments/{experiment}")
    browser.click("#share-toggle")
    browser.wait(lambda: browser.find("#share-toggle").get_attribute("aria-checked") == "false", 10, what="the share switch off")
    switch_user(browser, "bob", bob)
    browser.driver.get(link)
    browser.wait_text("#not-found h1", "Experiment not found")
    assert browser.console_problems() == []


def test_tokens_are_shown_once_and_revoked(browser, server, users):
    bob = users["bob"]
    switch_user(browser, "bob", bob)
    browser.go("#/tokens")
    browser.click("#token-name")
    browser.click(".inline-form button[type=submit]")
    browser.wait_text("#token-name-error", "Give the token a name")
    browser.type("#token-name", "ui-test-token")
    browser.click(".inline-form button[type=submit]")
    token = browser.element("#new-token").get_attribute("value")
    assert token.startswith("asy_")
    assert server.request("GET", "/api/v1/me", token=token).json()["username"] == "bob"
    browser.go("#/")
    browser.go("#/tokens")
    browser.wait_text(".token-list", "ui-test-token")
    assert not browser.find_all("#new-token"), "the token is shown only once"
    row = browser.wait(lambda: next((r for r in browser.find_all(".token-list tr[data-token]") if "ui-test-token" in r.text), None), 5, what="the token row")
    row.find_element("css selector", "button").click()
    browser.confirm_dialog(accept=True)
    browser.wait(lambda: "ui-test-token" not in browser.find(".token-list").text, 10, what="the token to go")
    assert server.request("GET", "/api/v1/me", token=token).status == 401
    assert browser.console_problems() == []


def test_a_folder_is_zipped_in_the_browser_and_its_declaration_offered(browser, server, users, tmp_path):
    ada = users["ada"]
    folder = tmp_path / "project"
    (folder / "lib").mkdir(parents=True)
    (folder / "__pycache__").mkdir()
    (folder / ".git").mkdir()
    (folder / "train.py").write_text(TRAIN)
    (folder / "lib" / "helper.py").write_text("VALUE = 1\n")
    (folder / "__pycache__" / "train.cpython-311.pyc").write_bytes(b"\0" * 10)
    (folder / ".git" / "config").write_text("[core]\n")
    (folder / "assay.yaml").write_text(
        "name: from-the-folder\ncommand: [python3, train.py, '{x}', adam]\n"
        "parameters:\n  x: {type: int, values: [1, 2, 3]}\nobjective: {metric: loss, goal: minimize}\n")
    switch_user(browser, "ada", ada)
    browser.go("#/new")
    browser.find("#dir-input").send_keys(str(folder))
    artifact = browser.element("#artifact-id", timeout=20).text
    stored = server.request("GET", f"/api/v1/artifacts/{artifact}", token=ada["token"])
    assert stored.status == 200
    archive = zipfile.ZipFile(io.BytesIO(stored.body))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == ["assay.yaml", "lib/helper.py", "train.py"]
    assert archive.read("train.py").decode() == TRAIN
    browser.wait(lambda: "3 files" in browser.find("#upload-status").text, 10, what="'3 files' in browser.find('#upload-status').text")  # the page redraws live: read again until it holds
    browser.click("#use-found")
    assert browser.element("[data-path='name']").get_attribute("value") == "from-the-folder"
    browser.wait_text("#trial-count", "3 trials: 3")
    browser.click("#submit")
    browser.wait(lambda: "#/experiments/" in browser.driver.current_url, 15, what="the experiment page")
    browser.wait_text(".exp-title", "from-the-folder")
    assert browser.console_problems() == []


DROP = """
const [names, texts, zipBase64] = arguments;
const transfer = new DataTransfer();
if (zipBase64) {
  const bytes = Uint8Array.from(atob(zipBase64), (c) => c.charCodeAt(0));
  transfer.items.add(new File([bytes], 'dropped.zip', {type: 'application/zip'}));
} else {
  names.forEach((name, i) => transfer.items.add(new File([texts[i]], name)));
}
const zone = document.getElementById('dropzone');
zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: transfer, bubbles: true, cancelable: true}));
zone.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
"""


def test_dropping_a_zip_or_loose_files_on_the_drop_zone(browser, server, users):
    ada = users["ada"]
    switch_user(browser, "ada", ada)
    browser.go("#/new")
    browser.element("#dropzone")
    dropped = code_zip({"train.py": "print('dropped')\n"})
    browser.driver.execute_script(DROP, [], [], base64.b64encode(dropped).decode())
    browser.wait_text("#upload-status", "dropped.zip")
    artifact = browser.element("#artifact-id").text
    assert server.request("GET", f"/api/v1/artifacts/{artifact}", token=ada["token"]).body == dropped

    browser.driver.execute_script(DROP, ["train.py", "util.py"], ["print(1)\n", "X = 2\n"], None)
    browser.wait(lambda: browser.find("#artifact-id").text != artifact, 15, what="a second artifact")
    stored = server.request("GET", f"/api/v1/artifacts/{browser.find('#artifact-id').text}", token=ada["token"]).body
    archive = zipfile.ZipFile(io.BytesIO(stored))
    assert archive.namelist() == ["train.py", "util.py"]
    assert archive.read("util.py") == b"X = 2\n"
    assert browser.console_problems() == []


def test_more_trials_than_the_server_allows_is_said_at_the_count(browser, server, users, code):
    switch_user(browser, "ada", users["ada"])
    browser.go("#/new")
    browser.find("#zip-input").send_keys(str(code))
    browser.element("#artifact-id")
    browser.click("#tab-yaml")
    browser.set_value("#yaml-text", "name: too-big\ncommand: [python3, train.py, '{i}', adam]\n"
                      "parameters:\n  i: {type: int, min: 0, max: 9999, step: 1}\n")
    browser.wait_text("#trial-count", "10,000 trials: 10,000")
    browser.click("#tab-form")
    browser.click("#submit")
    browser.wait_text("#trial-count-error", "5,000")
    assert "#/new" in browser.driver.current_url
    assert browser.console_problems() == []


def test_the_zip_writer_makes_archives_python_reads(browser, server):
    browser.go("#/login")
    browser.element("#login-username")
    encoded = browser.run_module("/ui/zip.js", """
        const files = [
          {path: 'train.py', data: new TextEncoder().encode('print("hi")\\n'), lastModified: Date.UTC(2024, 0, 2, 3, 4, 6)},
          {path: 'pkg/ünïcode ✓.txt', data: new Blob(['x'.repeat(70000)])},
          {path: 'empty.txt', data: new Uint8Array(0)},
        ];
        const blob = await mod.zipFiles(files);
        const bytes = new Uint8Array(await blob.arrayBuffer());
        let text = '';
        for (const b of bytes) text += String.fromCharCode(b);
        const entry = await mod.readZipEntry(blob, ['train.py']);
        return {zip: btoa(text), entry, crc: mod.crc32(new TextEncoder().encode('123456789')), excluded: mod.isExcluded('a/__pycache__/b.pyc')};
    """)
    assert encoded["crc"] == 0xCBF43926  # the CRC-32 check value
    assert encoded["entry"] == 'print("hi")\n'
    assert encoded["excluded"] is True
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(encoded["zip"])))
    assert archive.testzip() is None  # every CRC checks
    assert archive.namelist() == ["train.py", "pkg/ünïcode ✓.txt", "empty.txt"]
    assert archive.read("pkg/ünïcode ✓.txt") == b"x" * 70000
    assert archive.getinfo("train.py").date_time == time.localtime(1704164646)[:6]
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    assert (archive.getinfo("train.py").external_attr >> 16) == 0o100644
    # A deflated zip (as most tools write it) is read too.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("assay.yaml", "name: from-zip\n" * 50)
    text = browser.run_module("/ui/zip.js", f"""
        const bytes = Uint8Array.from(atob({base64.b64encode(buffer.getvalue()).decode()!r}), (c) => c.charCodeAt(0));
        return mod.readZipEntry(new Blob([bytes]), ['assay.yaml']);
    """)
    assert text == "name: from-zip\n" * 50


def test_yaml_and_trial_counts_in_the_browser(browser, server):
    browser.go("#/login")
    browser.element("#login-username")
    source = (server.request("GET", "/openapi.yaml").body.decode())
    result = browser.run_module("/ui/yaml.js", f"""
        const decl = `name: mnist   # comment
tags: [vision, "a, b"]
command: [python, train.py, "{{config}}"]
config: {{file: config.yaml}}
parameters:
  lr: {{type: float, min: 0.0001, max: 0.1, scale: log, count: 4}}
  layers:
    type: int
    values:
      - 1
      - 2
  opt: {{type: choice, values: [adam, sgd, "yes", no]}}
  shape:
    type: group
    values:
      - {{h: 32, w: 32}}
      - h: 64
        w: 64
description: |
  two
  lines
`;
        const value = mod.parseYaml(decl);
        const again = mod.parseYaml(mod.emitYaml(value));
        const d = await import('/ui/declaration.js');
        const openapi = mod.parseYaml({json.dumps(source)});
        return {{value, same: JSON.stringify(value) === JSON.stringify(again), count: d.trialCount(value).text,
                 oat: d.trialCount({{parameters: {{a: {{type: 'int', values: [1, 2, 3], default: 2}}, b: {{type: 'bool', default: true}}}}, sweep: {{strategy: 'one-at-a-time'}}}}).text,
                 errors: d.validate({{name: 'x', command: ['run', '{{nope}}'], parameters: {{lr: {{type: 'float', min: 1, max: 0}}, wd: {{type: 'float', min: 0, max: 1}}}}}}),
                 openapiPaths: Object.keys(openapi.paths).length}};
    """)
    value = result["value"]
    assert value["tags"] == ["vision", "a, b"]
    assert value["parameters"]["opt"]["values"] == ["adam", "sgd", "yes", "no"]
    assert value["parameters"]["shape"]["values"] == [{"h": 32, "w": 32}, {"h": 64, "w": 64}]
    assert value["description"] == "two\nlines\n"
    assert result["same"] is True
    assert result["count"] == "64 trials: 4 × 2 × 4 × 2"
    assert result["oat"] == "4 trials: the defaults + 2 + 1"
    paths = {e["path"]: e["message"] for e in result["errors"]}
    assert "parameters.lr.max" in paths and "greater than min" in paths["parameters.lr.max"]
    assert "continuous range" in paths["parameters.wd"]  # a grid cannot enumerate it
    assert paths["command[1]"] == "unknown placeholder {nope}"
    assert result["openapiPaths"] > 20  # a real YAML document of the server parses


UNNAMED_CONTROLS = """
const named = (el) => {
  if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return true;
  if (el.labels && el.labels.length && [...el.labels].some((l) => l.textContent.trim())) return true;
  if (el.tagName === 'BUTTON' || el.tagName === 'A') return el.textContent.trim() !== '';
  return false;
};
const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
return [...document.querySelectorAll('input, select, textarea, button, a[href]')]
  .filter((el) => visible(el) && el.type !== 'hidden' && !named(el))
  .map((el) => el.outerHTML.slice(0, 120));
"""


def test_pages_name_their_controls_and_work_from_the_keyboard(browser, server, users):
    ada = users["ada"]
    experiment = server.create_experiment(ada["token"], {
        "name": "a11y", "command": ["python3", "train.py", "{i}"], "objective": {"metric": "loss", "goal": "minimize"},
        "parameters": {"i": {"type": "int", "values": [1, 2]}}}, files={"train.py": "print('@assay {\"loss\": 1}')\n"})
    if browser.who():
        browser.logout()
    pages = [("#/login", "#login-username")]
    for route, ready in pages:
        browser.go(route)
        browser.element(ready)
        assert browser.driver.execute_script(UNNAMED_CONTROLS) == [], route
    browser.login("ada", ada["password"])
    for route, ready in [("#/", "#experiments-table"), ("#/new", "#add-param"), ("#/tokens", "#token-name"),
                         (f"#/experiments/{experiment}", "#trials-table"), (f"#/experiments/{experiment}?tab=charts", "#scatter-slot svg")]:
        browser.go(route)
        browser.element(ready)
        assert browser.driver.execute_script(UNNAMED_CONTROLS) == [], route
        assert len(browser.find_all("h1")) == 1, route
        assert browser.driver.execute_script("return document.documentElement.lang") == "en"
        # Focus moved to the page's heading, so screen readers announce the page.
        assert browser.driver.execute_script("return document.activeElement.tagName") in ("H1", "INPUT"), route

    # Keyboard: the skip link comes first and focuses the content; arrow keys move between tabs.
    from selenium.webdriver.common.keys import Keys
    browser.go(f"#/experiments/{experiment}")
    browser.element("#trials-table")
    first = browser.driver.execute_script("return document.querySelector('a[href], button, input, select, textarea').id")
    assert first == "skip-link"
    browser.driver.execute_script("document.querySelector('.brand').focus()")
    browser.driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
    assert browser.driver.execute_script("return document.activeElement.id") == "skip-link"
    browser.driver.switch_to.active_element.send_keys(Keys.ENTER)
    assert browser.driver.execute_script("return document.activeElement.id") == "main"
    assert "#/experiments/" in browser.driver.current_url  # the route stays
    browser.find("#tab-trials").click()
    browser.driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    browser.wait(lambda: browser.find("#tab-charts").get_attribute("aria-selected") == "true", 5, what="the charts tab")
    assert browser.driver.execute_script("return document.activeElement.id") == "tab-charts"
    # Renaming a parameter and tabbing on lands on its type, not back on the name.
    browser.go("#/new")
    name = browser.element(".param-row [data-path^='parameters.'][aria-label='Parameter name']")
    name.click()
    name.send_keys(Keys.CONTROL, "a")
    name.send_keys("rate", Keys.TAB)
    browser.wait(lambda: browser.driver.execute_script("return document.activeElement.getAttribute('aria-label')") == "Type of rate",
                 5, what="focus on the renamed parameter's type")
    browser.wait(lambda: "{rate}" in browser.find("[data-path='command']").get_attribute("value"), 10, what="'{rate}' in browser.find('[data-path='command']').get_attribute('value")  # the page redraws live: read again until it holds

    # A confirmation dialog closes with Escape and does nothing.
    browser.go(f"#/experiments/{experiment}")
    browser.element("#trials-table")
    browser.click("#action-archive")
    browser.element("dialog[open]")
    browser.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    browser.wait(lambda: not browser.find_all("dialog[open]"), 5, what="the dialog to close")
    assert server.request("GET", f"/api/v1/experiments/{experiment}", token=ada["token"]).json()["archived"] is False
    assert browser.console_problems() == []
