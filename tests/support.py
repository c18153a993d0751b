"""Helpers shared by the page tests (Streamlit AppTest) and the browser tests (Playwright).

`open_app` opens the dashboard in AppTest on a warehouse, signed in as a demo user (the OPCC
analyst unless told otherwise), optionally on one page with query parameters. The browser
helpers serve the real app (`serve`), open an address and sign in there (`signed_in`), wait for
a script run to finish (`wait_for_run`), take full-page screenshots into tests/artifacts/
(`screenshot`) and check an image is not blank (`assert_not_blank`). Sign-in happens here and
nowhere else: `users_file` writes the demo users once per test process, and both AppTest and the
served app read it through $ASB_USERS. The fixtures that use these live in conftest.py.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from insight import db, ui
from insight.access import auth

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard.py"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
EXCEPTION = '[data-testid="stException"]'
MAP_CANVAS = '[data-testid="stDeckGlJsonChart"] canvas'
SVG_MAP = ".asb-map"  # the Hotspots page's SVG map (insight/ui/vector_map.py) in the browser


# --- signing in ----------------------------------------------------------------------------------

@functools.cache
def users_file() -> Path:
    """The demo users (insight.access.auth.DEMO_USERS; cheap argon2 parameters), written once per process."""
    folder = Path(tempfile.mkdtemp(prefix="asb-users-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return auth.write_accounts(folder / "users.toml", auth.demo_accounts(fast=True))


def sign_in(at: AppTest, user: str) -> AppTest:
    """Sign in through the sign-in form as a demo user: "opcc", "erewash", "derby" or "board"."""
    user_id, password, *_ = auth.DEMO_USERS[user]
    at.text_input(key="sign_in_user").input(user_id)
    at.text_input(key="sign_in_password").input(password)
    at.button(key="sign_in_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Sign in" not in [t.value for t in at.title], [e.value for e in at.error]
    return at


# --- AppTest -----------------------------------------------------------------------------------

# The Threshold page's lists, one tab each (app_pages/threshold.py LISTS): the list's key -> its tab.
THRESHOLD_LIST_TABS = {"thr_queue": "This week", "thr_worklist": "One complaint short",
                       "thr_met": "Met, no application", "thr_second": "Second reports"}


def open_list(at: AppTest, key: str) -> AppTest:
    """The Threshold page with the tab of the list `key` open, as a user clicks it (only the open
    tab runs), when the page shows that list's tab and not the list yet; fails on an exception."""
    tab = THRESHOLD_LIST_TABS.get(key)
    if tab in [t.label for t in at.tabs] and key not in [d.key for d in at.dataframe]:
        at.session_state["thr_list"] = tab
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def open_app(monkeypatch, warehouse: Path, page: str | None = None, timeout: float = 120,
             user: str | None = "opcc", **params) -> AppTest:
    """The dashboard in AppTest on `warehouse`, run once, signed in as `user` (a demo user, see
    `sign_in`; None stays signed out), then switched to `page` (a path such as
    "app_pages/maps.py") and run; `params` seed the query string. Fails on an exception."""
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(warehouse))
    monkeypatch.setenv(auth.USERS_ENV, str(users_file()))
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.query_params.update(params)
    at.run()
    if user:
        sign_in(at, user)
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def in_fresh_process(code: str, warehouse: Path) -> str:
    """Run `code` (Python; `sys.argv[1]` is the warehouse) in a new interpreter that has imported
    nothing yet, as a server just started has, with tests/ and the checkout importable; its stdout.
    Fails with its stderr when it fails."""
    tests = Path(__file__).resolve().parent
    result = subprocess.run([sys.executable, "-c", code, str(warehouse)], capture_output=True, text=True,
                            cwd=tests.parent, env={**os.environ, "PYTHONPATH": f"{tests}{os.pathsep}{tests.parent}"},
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


# --- the real server and browser -----------------------------------------------------------------

def svg_maps(at: AppTest) -> list[dict]:
    """The data of the page's SVG maps (insight.charts.vector_map: `svg`, `codes`, `tips`, `view`,
    `selected`, ...) as the page gave them to the browser, in page order."""
    return [json.loads(element.proto.json) for element in at.get("bidi_component")
            if element.proto.component_name == "asb_vector_map"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer within {seconds}s:\n{log.read_text()}")


def serve(warehouse: Path, log: Path, env: dict | None = None):
    """Yield the base URL of `streamlit run serve.py` (the dashboard and its session-cookie routes) on a
    free port, reading `warehouse`."""
    port = _free_port()
    env = {**os.environ, auth.USERS_ENV: str(users_file()), **(env or {}), db.WAREHOUSE_ENV: str(warehouse)}
    command = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def signed_in(tab, url: str, user: str | None = "opcc") -> None:
    """Open `url` in the tab and sign in there as a demo user (see `sign_in`); the page the address
    names then runs, and this waits for it. The tab's session cookie is cleared first, so this
    always shows the sign-in form (a reload or a new address in the same tab otherwise keeps the
    sign-in: tests/browser/test_browser_sign_in.py)."""
    tab.context.clear_cookies()
    tab.goto(url)
    submit = tab.get_by_role("button", name="Sign in", exact=True)
    if not user:
        submit.wait_for(timeout=60_000)
        return
    user_id, password, *_ = auth.DEMO_USERS[user]
    tab.get_by_label("User", exact=True).fill(user_id)
    tab.get_by_label("Password", exact=True).fill(password)
    submit.click()
    wait_for_run(tab)


def wait_for_run(tab) -> None:
    """Wait until the script has finished (the footer comes last, the running man has gone), then
    until the page has settled (`settle`: charts and grids drawn)."""
    tab.get_by_text(ui.ATTRIBUTION).wait_for(timeout=60_000)
    tab.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                          timeout=60_000)
    settle(tab)


# True once the page's DOM has not changed for `quiet` ms (a MutationObserver set up on the first call
# in a document, whose start counts as a change, so a call always waits at least `quiet` ms).
_QUIET = """(quiet) => {
    if (!window.__asbObserver) {
        window.__asbChanged = performance.now();
        window.__asbObserver = new MutationObserver(() => { window.__asbChanged = performance.now(); });
        window.__asbObserver.observe(document.documentElement,
                                     {subtree: true, childList: true, attributes: true, characterData: true});
        return false;
    }
    return performance.now() - window.__asbChanged >= quiet;
}"""


def settle(tab, quiet_ms: int = 500, most_ms: int = 5_000) -> None:
    """Wait until the page has stopped changing: no DOM change for `quiet_ms` (Streamlit's elements,
    plotly's SVG, the data grids' and the maps' components arriving and laying out), at most `most_ms`.
    Instead of a fixed pause after every run: most runs settle in well under a second."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        tab.wait_for_function(_QUIET, arg=quiet_ms, polling=100, timeout=most_ms)
    except PlaywrightTimeout:
        pass  # still changing (an animation): go on, as the fixed pause did


def open_select(tab, select) -> None:
    """Open a Streamlit select box (`select` is its locator) so that its options show.

    A select scrolled into view while it opens closes again, and a click that lands while the
    script still reruns can be lost; so scroll first, wait, click, and click again (at most three
    times) until an option is visible."""
    select.scroll_into_view_if_needed()
    tab.wait_for_timeout(300)
    options = tab.get_by_role("option").first
    for attempt in range(3):
        select.click()
        try:
            options.wait_for(timeout=5_000)
            return
        except Exception:
            if attempt == 2:
                raise
            tab.keyboard.press("Escape")
            wait_for_run(tab)


def record_runs(tab) -> list:
    """The statuses of the script runs that finish in `tab` from now on (Streamlit's script_finished
    messages on the page's WebSocket, in order: ForwardMsg.ScriptFinishedStatus), in a list that
    grows as they arrive. Call it before the tab opens the address."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    runs = []

    def finished(payload) -> None:
        if not isinstance(payload, bytes | bytearray):
            return
        try:
            message = ForwardMsg.FromString(bytes(payload))
        except Exception:  # not a ForwardMsg
            return
        if message.WhichOneof("type") == "script_finished":
            runs.append(message.script_finished)

    tab.on("websocket", lambda socket_: socket_.on("framereceived", finished))
    return runs


def assert_no_exception(tab) -> None:
    """Fail with the exception's text when the page shows Streamlit's exception box."""
    boxes = tab.locator(EXCEPTION)
    assert boxes.count() == 0, boxes.first.inner_text()


def screenshot(tab, name: str) -> Path:
    """Full-page screenshot: Streamlit scrolls inside its main block, so grow the viewport first."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = tab.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    tab.set_viewport_size({"width": 1400, "height": max(1000, height + 40)})
    settle(tab)
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


def assert_not_blank(path: Path, min_colours: int = 50) -> None:
    """Fail when an image has fewer than `min_colours` distinct colours (a blank page)."""
    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24)
    assert len(colours) >= min_colours, f"{path.name} looks blank ({len(colours)} colours)"


def assert_page_shows(tab, url: str, texts: list[str], name: str, ready: str | None = None) -> None:
    """Sign in at `url` (as the OPCC analyst), fail on an exception box or a missing text, wait
    for the `ready` selector if given (plotly loads its script lazily), and save a full-page
    screenshot `name` that must not be blank."""
    signed_in(tab, url)
    assert_no_exception(tab)
    for text in texts:
        assert tab.get_by_text(text, exact=True).first.is_visible(), text
    if ready:
        tab.locator(ready).first.wait_for(timeout=30_000)
    assert_not_blank(screenshot(tab, name))


def workbook_bytes(sheets: dict[str, list[list]]) -> bytes:
    """An XLSX file's bytes: a sheet of each name, in order, holding its rows."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
