"""Headless Chromium through selenium, with the waits and checks the UI tests share."""

import os
import pathlib
import shutil
import time

import pytest


def missing(hint):
    """A tool the test needs is not here: a failure under CI=true, a skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{hint} (CI=true: nothing is skipped)")
    pytest.skip(hint)


def find_chromium():
    """(chromium, chromedriver) paths, or None."""
    browser = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
    driver = shutil.which("chromedriver") or next(
        (p for p in ("/usr/lib/chromium/chromedriver", "/usr/bin/chromedriver") if pathlib.Path(p).exists()), None)
    return (browser, driver) if browser and driver else None


class Browser:
    def __init__(self, base_url, chromium, downloads, width=1360, height=900):
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError:
            missing("selenium is not installed in the venv (requirements-dev.txt)")
        self.base_url = base_url
        self.downloads = pathlib.Path(downloads)
        options = webdriver.ChromeOptions()
        options.binary_location = chromium[0]
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--lang=en-US", "--force-device-scale-factor=1",
                     "--disable-extensions", "--no-first-run", "--password-store=basic"):
            options.add_argument(flag)
        options.add_experimental_option("prefs", {
            "download.default_directory": str(self.downloads), "download.prompt_for_download": False,
            "credentials_enable_service": False, "profile.password_manager_enabled": False})
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(executable_path=chromium[1]), options=options)
        self.driver.set_script_timeout(30)
        self.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(self.downloads)})

    def quit(self):
        self.driver.quit()

    # -- navigation and waiting ------------------------------------------------

    def go(self, hash_route="#/"):
        self.driver.get(f"{self.base_url}/{hash_route}")

    def wait(self, predicate, timeout=20, what="condition", interval=0.05):
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            try:
                value = predicate()
                if value:
                    return value
            except Exception as error:  # stale elements while the page redraws
                last_error = error
            time.sleep(interval)
        try:
            page = self.driver.execute_script(
                "return location.hash + ' | ' + (document.querySelector('main')?.innerText || '').slice(0, 600)"
                " + ' | toasts: ' + (document.getElementById('toasts')?.innerText || '')")
        except Exception:
            page = "?"
        if os.environ.get("ASSAY_UI_FAILSHOT"):
            self.driver.save_screenshot(os.environ["ASSAY_UI_FAILSHOT"])
        raise AssertionError(f"timed out after {timeout} s waiting for {what}"
                             + (f" (last error: {last_error})" if last_error else "") + f"; the page showed: {page}")

    def find(self, css):
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        from selenium.webdriver.common.by import By
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def element(self, css, timeout=20, visible=True):
        """Waits for the first element matching css (displayed, unless visible=False)."""
        def found():
            for el in self.find_all(css):
                if not visible or el.is_displayed():
                    return el
            return None
        return self.wait(found, timeout, what=css)

    def text_of(self, css):
        return self.element(css).text

    def wait_text(self, css, text, timeout=20):
        return self.wait(lambda: any(text in el.text for el in self.find_all(css)), timeout, what=f"{text!r} in {css}")

    def click(self, css, timeout=20):
        """Clicks the element; live pages redraw, so a stale element is looked up again."""
        from selenium.common.exceptions import StaleElementReferenceException
        for attempt in range(10):
            el = self.element(css, timeout)
            try:
                self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
                el.click()
                return el
            except StaleElementReferenceException:
                if attempt == 9:
                    raise
                time.sleep(0.1)

    def type(self, css, text, clear=True):
        el = self.element(css)
        if clear:
            el.clear()
            # clear() sends no input event: select and overwrite, as a person does.
            self.driver.execute_script("arguments[0].select && arguments[0].select()", el)
        el.send_keys(text)
        return el

    def set_value(self, css, text):
        """Replaces an input's value and fires input/change, as typing over it would."""
        el = self.element(css)
        self.driver.execute_script(
            "const el = arguments[0]; el.focus(); el.value = arguments[1];"
            "el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true}));",
            el, text)
        return el

    def confirm_dialog(self, accept=True):
        button = "dialog[open] button[value='ok']" if accept else "dialog[open] button[value='cancel']"
        self.click(button)
        self.wait(lambda: not self.find_all("dialog[open]"), 5, what="the dialog to close")

    def close_dialogs(self):
        try:
            self.driver.execute_script("document.querySelectorAll('dialog[open]').forEach((d) => d.close())")
        except Exception:
            pass

    def login(self, username, password):
        self.go("#/login")
        self.element("#login-username")
        self.type("#login-username", username)
        self.type("#login-password", password)
        self.click(".login-card button[type=submit]")
        self.wait(lambda: self.who() == username, 15, what=f"{username} to be logged in")

    def who(self):
        """The signed-in user the top bar names ('' when none; read even where narrow screens hide it)."""
        return self.driver.execute_script(
            "const a = document.getElementById('account'); return a && !a.hidden ? document.getElementById('who').textContent : ''")

    def logout(self):
        self.click("#logout")
        self.element("#login-username")

    # -- checks ------------------------------------------------------------------

    def console_problems(self):
        """Errors the page logged (script errors, CSP violations), except expected network 4xx."""
        problems = []
        for entry in self.driver.get_log("browser"):
            message = entry.get("message", "")
            if entry.get("level") != "SEVERE":
                continue
            if "Failed to load resource" in message and any(f"status of {code}" in message for code in ("401", "404", "422", "409")):
                continue
            problems.append(message)
        return problems

    def screenshot(self, path):
        pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))

    def run_module(self, module_path, body):
        """Runs `body` (an async function body with `mod` in scope) against a UI module; returns its value."""
        script = f"""
        const done = arguments[arguments.length - 1];
        import({module_path!r}).then(async (mod) => {{ {body} }})
          .then((value) => done({{ok: true, value}}), (error) => done({{ok: false, error: String(error && error.stack || error)}}));
        """
        result = self.driver.execute_async_script(script)
        assert result["ok"], result.get("error")
        return result["value"]
