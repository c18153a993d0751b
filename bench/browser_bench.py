"""Click-to-render times in a real browser: a fixed tour of clicks per role on a demo warehouse.

    .venv/bin/python bench/browser_bench.py --warehouse data/warehouse.duckdb [--rounds 2] [--roles opcc board]

Starts the dashboard as users run it (`streamlit run serve.py`, the demo users), drives Debian's
Chromium through Playwright and, for each step of each role's tour (sign in, open a page from the
sidebar, change the map type or colour, open an analysis tab, choose authorities), measures from
the click to the end of the run it starts: the moment Streamlit's server says the script finished
(its `script_finished` message on the page's WebSocket) and the browser has then painted twice.
That is what a person waits for before the page answers. Before each click the bench waits for the
page to settle (ten frames in a row under 50 ms apart), as a person reads the answer before the
next click, so a click is not charged with the previous one's drawing; it also prints when the page
settled after the click ("settled": a map's WebGL drawing, which in this headless Chromium runs on
the CPU through SwiftShader, often ends after the run). Round 1 is the first visit of a fresh
server (caches cold); later rounds repeat the tour in a new browser context (caches warm), which
is the everyday case. Prints one line per click and a summary; the target is every click under
1.5 s. `--first-visits PAGE` instead opens one page in many new browser contexts (`--sessions`),
to compare a page's first visit between two versions of the code. Needs the warehouse built
first (`asb demo` writes data/warehouse.duckdb).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from insight import db
from insight.access import auth

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
TARGET_SECONDS = 1.5
_DONE = {ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY,
         ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}

# Each role's tour: (step name, kind, argument). kind: "nav" clicks a sidebar page link, "radio"
# clicks a radio option by its label, "tab" a tab (an analysis or a Threshold list), "hexagon" clicks the busiest hexagon of
# the map (its area opens beside it), "authority" picks one authority in the sidebar, "all" clears the
# authorities.
TOURS = {
    "opcc": [("Hotspots and maps", "nav", "Hotspots and maps"), ("map: authorities", "radio", "Authorities"),
             ("colour: change", "radio", "Change on the previous period"), ("map: hexagons", "radio", "Hexagons (H3)"),
             ("map: click a hexagon", "hexagon", ""), ("tab: hot spots", "tab", "Hot spots"), ("Review turnaround", "nav", "Review turnaround"),
             ("tab: one stage", "tab", "One stage in detail"), ("Appeals", "nav", "Appeals"),
             ("Threshold near-misses", "nav", "Threshold near-misses"),
             ("tab: one complaint short", "tab", "One complaint short"), ("Partnership", "nav", "Partnership"),
             ("Data quality", "nav", "Data quality"), ("Overview", "nav", "Overview"),
             ("authority: Erewash", "authority", "Erewash")],
    "erewash": [("Threshold near-misses", "nav", "Threshold near-misses"), ("tab: second reports", "tab", "Second reports"),
                ("Hotspots and maps", "nav", "Hotspots and maps"),
                ("map: authorities", "radio", "Authorities"), ("Review turnaround", "nav", "Review turnaround"),
                ("Appeals", "nav", "Appeals"), ("all nine authorities", "all", ""), ("Overview", "nav", "Overview")],
    "board": [("Hotspots and maps", "nav", "Hotspots and maps"), ("tab: accuracy", "tab", "Accuracy"),
              ("Review turnaround", "nav", "Review turnaround"), ("Partnership", "nav", "Partnership"),
              ("Overview", "nav", "Overview")],
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(warehouse: Path, folder: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    users = auth.write_accounts(folder / "users.toml", auth.demo_accounts(fast=True))
    env = {**os.environ, db.WAREHOUSE_ENV: str(warehouse), auth.USERS_ENV: str(users),
           auth.DEMO_USERS_ENV: "1", "ASB_AUDIT": str(folder / "audit.sqlite")}
    command = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the dashboard did not start")


SETTLE_JS = """() => new Promise(done => { let calm = 0, last = performance.now();
  const frame = now => { calm = now - last < 50 ? calm + 1 : 0; last = now;
                         if (calm >= 10) done(); else requestAnimationFrame(frame); };
  requestAnimationFrame(frame); })"""


class Timer:
    """Times a click to the end of the script run it starts, from the page's WebSocket."""

    def __init__(self, page):
        self.page = page
        self.sockets = []
        page.on("websocket", lambda socket_: self.sockets.append(socket_))

    def _finished(self, payload) -> bool:
        if not isinstance(payload, bytes | bytearray):
            return False
        try:
            message = ForwardMsg.FromString(bytes(payload))
        except Exception:  # not a ForwardMsg
            return False
        return message.WhichOneof("type") == "script_finished" and message.script_finished in _DONE

    def click(self, action) -> float:
        """Seconds from the click to the end of its run and two paints; `self.settled` then holds
        the seconds until the page settled."""
        self.page.evaluate(SETTLE_JS)
        socket_ = self.sockets[-1]
        with socket_.expect_event("framereceived", predicate=self._finished, timeout=60_000):
            start = time.perf_counter()
            action()
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        answered = time.perf_counter() - start
        self.page.evaluate(SETTLE_JS)
        self.settled = time.perf_counter() - start
        return answered


def sign_in(page, url: str, user: str) -> tuple[float, Timer]:
    user_id, password, *_ = auth.DEMO_USERS[user]
    timer = Timer(page)
    page.goto(url)
    page.get_by_label("User", exact=True).fill(user_id)
    page.get_by_label("Password", exact=True).fill(password)
    button = page.get_by_role("button", name="Sign in", exact=True)
    seconds = timer.click(button.click)
    page.get_by_text("Signed in as").first.wait_for(timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    return seconds, timer


def step(page, timer: Timer, kind: str, argument: str) -> float:
    sidebar = page.locator('[data-testid="stSidebar"]')
    if kind == "nav":
        return timer.click(lambda: sidebar.get_by_role("link", name=argument).click())
    if kind == "radio":
        main = page.locator('[data-testid="stMain"]')  # not the sidebar's "Authorities"
        return timer.click(lambda: main.get_by_text(argument, exact=True).first.click())
    if kind == "tab":
        return timer.click(lambda: page.get_by_role("tab", name=argument).click())
    if kind == "hexagon" and page.locator(".asb-map g.areas > path").count():  # the SVG map: its busiest hexagon
        box = page.locator(".asb-map g.areas > path").first.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)  # hover first, as a person does
        page.locator(".asb-map-tip").filter(has_text="incidents").wait_for(state="visible", timeout=10_000)
        return timer.click(lambda: page.mouse.click(x, y))
    if kind == "hexagon":  # the deck.gl map: the first point whose tooltip shows a hexagon
        box = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first.bounding_box()
        tooltip = page.locator(".deck-tooltip").filter(has_text="incidents")
        for fx, fy in [(x / 10, y / 10) for y in range(3, 8) for x in range(3, 8)]:
            x, y = box["x"] + box["width"] * fx, box["y"] + box["height"] * fy
            page.mouse.move(x, y)
            page.wait_for_timeout(400)
            if tooltip.count() and tooltip.first.is_visible():
                return timer.click(lambda x=x, y=y: page.mouse.click(x, y))
        raise RuntimeError("no hexagon under the pointer in the middle of the map")
    if kind == "authority":
        def pick():
            sidebar.get_by_role("combobox").first.click()
            page.get_by_role("option", name=argument, exact=True).click()
        seconds = timer.click(pick)
        page.keyboard.press("Escape")
        return seconds
    if kind == "all":
        return timer.click(lambda: sidebar.get_by_role("button", name="Clear all").first.click())
    raise ValueError(kind)


@contextlib.contextmanager
def served(warehouse: Path):
    """The dashboard served on `warehouse` and Debian's Chromium: yields (url, new_page), where
    new_page() opens a tab in a new browser context (its own cookies and cache: a new person's
    browser; close it with `page.context.close()`)."""
    with tempfile.TemporaryDirectory(prefix="asb-browser-bench-") as folder:
        proc, url = start_server(warehouse, Path(folder))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                yield url, lambda: browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def first_visits(warehouse: Path, label: str, sessions: int) -> None:
    """Open one page once in each of `sessions` new browser contexts on one server: the first is a
    fresh server's first visit (cold), the others a person's first visit on a warm server (what a
    page costs when the browser has not drawn it yet in that session). Prints each click and the
    median of the warm ones."""
    clicks = []
    with served(warehouse) as (url, new_page):
        for _ in range(sessions):
            page = new_page()
            _, timer = sign_in(page, url, "opcc")
            clicks.append(step(page, timer, "nav", label))
            print(f"{label}: {clicks[-1]:.2f} s (settled {timer.settled:.2f} s)", flush=True)
            page.context.close()
    warm = clicks[1:] or clicks
    print(f"{label}: fresh server {clicks[0]:.2f} s; first visits on the warm server, median "
          f"{statistics.median(warm):.2f} s ({len(warm)} sessions)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, default=ROOT / "data" / "warehouse.duckdb")
    parser.add_argument("--rounds", type=int, default=2, help="round 1 cold, the rest warm")
    parser.add_argument("--roles", nargs="+", default=list(TOURS), choices=list(TOURS))
    parser.add_argument("--first-visits", metavar="PAGE", help="instead of the tours: sign in as the OPCC analyst "
                        "in --sessions new browser contexts and open PAGE (a sidebar label) once in each")
    parser.add_argument("--sessions", type=int, default=10)
    args = parser.parse_args()
    if not args.warehouse.exists():
        raise SystemExit(f"no warehouse at {args.warehouse}: build one with `asb demo` first")
    if args.first_visits:
        first_visits(args.warehouse.resolve(), args.first_visits, args.sessions)
        return
    rows = []
    with served(args.warehouse.resolve()) as (url, new_page):
        for round_ in range(1, args.rounds + 1):
            for role in args.roles:
                page = new_page()
                seconds, timer = sign_in(page, url, role)
                rows.append((round_, role, "sign in (Overview)", seconds))
                print(f"round {round_}  {role:8} {'sign in (Overview)':28} {seconds:6.2f} s", flush=True)
                for name, kind, argument in TOURS[role]:
                    seconds = step(page, timer, kind, argument)
                    rows.append((round_, role, name, seconds))
                    print(f"round {round_}  {role:8} {name:28} {seconds:6.2f} s  (settled "
                          f"{timer.settled:5.2f} s)", flush=True)
                page.context.close()
    for round_ in range(1, args.rounds + 1):
        times = [r[3] for r in rows if r[0] == round_]
        over = [f"{r[1]}: {r[2]} {r[3]:.2f} s" for r in rows if r[0] == round_ and r[3] > TARGET_SECONDS]
        print(f"round {round_} ({'cold' if round_ == 1 else 'warm'}): {len(times)} clicks, median "
              f"{statistics.median(times):.2f} s, max {max(times):.2f} s; over {TARGET_SECONDS} s: "
              + ("none" if not over else "; ".join(over)))


if __name__ == "__main__":
    main()
