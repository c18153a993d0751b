"""Benchmark each page's server-side run (Streamlit AppTest, no browser) on a built warehouse.

    .venv/bin/python bench/page_bench.py --warehouse /tmp/asb55/warehouse.duckdb [--as-of 2026-10-01]

After a start-up run (imports, the first connection and Streamlit's scan of the installed packages
for components, each paid once per server process), for each page: the first run (cold: its query results not cached yet) and the mean of three reruns (warm: what a user switching back to the page, or changing a widget, waits for).
`--as-of` asks the pages for a date other than the build's (the threshold and case review pages
evaluate it live); several dates are measured one after another in the same server process, each
page's first run at each date cold (nothing of that date cached), and the slowest first run of
each page over the dates is printed last: `--as-of 2024-03-15 2024-12-31 ...` checks "any date". Every page runs signed in as the demo OPCC analyst, who may open all of them.

`--server-warm-up` first runs what the server runs in a background thread when it starts
(`insight.ui.session.warm_up_imports`: the imports, the sample figures and the queries of every
page's first view at the build's date), and waits for it: the figures are then what a person
waits for once the server has been up for its first seconds (6.6 s of warm-up at ten million
incidents). Without it, each page's first query reads the warehouse's columns from the file
into DuckDB's buffer as well (what the first person after a start may meet).
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from insight.access import auth
from insight.ui import session as ui_access

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("app_pages/overview.py", "app_pages/data_quality.py", "app_pages/threshold.py", "app_pages/maps.py",
         "app_pages/turnaround.py", "app_pages/appeals.py", "app_pages/partnership.py")


_COMPONENTS: list = []   # the start-up run's component registry, shared by every later AppTest


def signed_in_app() -> AppTest:
    """The dashboard in AppTest, signed in as the demo OPCC analyst (a session token, so no run is
    spent on the sign-in form and the first timed run of a page is really cold).

    A server scans the installed packages for Streamlit components once, when it starts
    (streamlit/runtime/runtime.py); AppTest scans on the first run of every instance (0.3 s here),
    so the instances share the start-up run's scan and a page's cold run is the page's own work."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
    if _COMPONENTS and hasattr(at, "_bidi_component_manager"):
        at._bidi_component_manager = _COMPONENTS[0]
    ui_access.start_session(at.session_state, auth.DEMO_USERS["opcc"][0])
    return at


def start_up() -> float:
    """The start-up run (seconds): imports, the first connection and the component scan."""
    started = time.perf_counter()
    at = signed_in_app().switch_page(PAGES[1])
    at.run()
    if getattr(at, "_bidi_component_manager", None) is not None:
        _COMPONENTS[:] = [at._bidi_component_manager]
    return time.perf_counter() - started


def demo_users() -> None:
    """Point $ASB_USERS at a temporary file of the demo users unless it is set."""
    if not os.environ.get(auth.USERS_ENV):
        folder = Path(tempfile.mkdtemp(prefix="asb-bench-users-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)  # not left behind in /tmp
        os.environ[auth.USERS_ENV] = str(auth.write_accounts(folder / "users.toml", auth.demo_accounts(fast=True)))


def _time_page(page: str, params: dict) -> tuple[float, float]:
    at = signed_in_app()
    at.query_params.update(params)
    at.switch_page(page)
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    if at.exception or "Sign in" in [t.value for t in at.title]:
        raise SystemExit(f"{page}: {[e.value for e in at.exception] or 'not signed in'}")
    warm = []
    for _ in range(3):
        started = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - started)
    return cold, statistics.mean(warm)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--as-of", nargs="+", default=[None], metavar="DATE",
                    help="sidebar as-of date(s) (default: the build's)")
    ap.add_argument("--server-warm-up", action="store_true",
                    help="run the server's start-up warm-up first and wait for it (see above)")
    args = ap.parse_args()
    os.environ["ASB_WAREHOUSE"] = str(args.warehouse)
    demo_users()
    print(f"warehouse {args.warehouse}")
    print(f"{'start-up (imports, first connection)':<32} {start_up():6.2f} s")
    if args.server_warm_up:
        started = time.perf_counter()
        thread = ui_access.warm_up_imports()
        if thread is not None:
            thread.join()
        print(f"{'server warm-up (waited for)':<32} {time.perf_counter() - started:6.2f} s")
    slowest: dict[str, tuple[float, float, str]] = {}
    for as_of in args.as_of:
        print(f"as of {as_of or 'the build date'}")
        for page in PAGES:
            cold, warm = _time_page(page, {"as_of": as_of} if as_of else {})
            print(f"{page:<32} cold {cold:6.2f} s   warm {warm:6.2f} s")
            before = slowest.get(page, (0.0, 0.0, ""))
            slowest[page] = (max(before[0], cold), max(before[1], warm),
                             (as_of or "the build date") if cold > before[0] else before[2])
    if len(args.as_of) > 1:
        print(f"slowest over {len(args.as_of)} dates")
        for page, (cold, warm, at) in slowest.items():
            print(f"{page:<32} cold {cold:6.2f} s ({at})   warm {warm:6.2f} s")


if __name__ == "__main__":
    main()
