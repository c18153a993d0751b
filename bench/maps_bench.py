"""Benchmark the Hotspots and maps page's server side and Gi* on a built warehouse.

    .venv/bin/python bench/maps_bench.py --warehouse /tmp/asb55/warehouse.duckdb [--gi 8 9 10]

1. The map: for each view (H3 resolution 8, 9, 10; authorities; LSOAs) the server-side work of
   drawing it for the twelve months to the build's as-of date, all nine authorities: the DuckDB
   aggregation (insight/queries/maps.py) plus building the pydeck map and serialising it to the JSON
   Streamlit sends. "first" is the first run in this process (DuckDB reading the file); "warm" is
   the mean of three more runs, uncached (what a changed filter costs; Streamlit's cache makes an
   unchanged view's rerun nearly free).
2. The whole page in Streamlit's AppTest: first run (cold) and a cached rerun.
3. Gi* (etl.marts.hotspots.gi_star, esda, 999 permutations) on every cell of one resolution whose centre
   lies in the nine districts, zero counts included, with that warehouse's 12-month counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from pathlib import Path

import numpy as np

from etl.marts import hotspots
from etl.rules import authorities, periods
from etl.transform import geo
from insight import db
from insight.charts import maps as cm
from insight.queries import maps as qm

ROOT = Path(__file__).resolve().parents[1]


def _view(con, kind: str, start: dt.date, end: dt.date, outlines) -> int:
    if kind.startswith("h3_"):
        frame = qm.hex_counts(con, authorities.CODES, start, end, int(kind[3:]))
        deck = cm.hex_map(frame, "incidents", outlines)
    else:
        frame = qm.area_counts(con, authorities.CODES, start, end, kind)
        deck = cm.area_map(frame, "incidents", outlines)
    return len(deck.to_json())


def _page(warehouse: Path) -> tuple[float, float]:
    import page_bench  # this folder: the same signed-in AppTest as the page benchmark

    page_bench.demo_users()
    at = page_bench.signed_in_app()
    at.run()  # start-up: imports and the first connection, paid once per server process
    at.switch_page("app_pages/maps.py")
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    if at.exception or "Sign in" in [t.value for t in at.title]:
        raise SystemExit([e.value for e in at.exception] or "not signed in")
    started = time.perf_counter()
    at.run()
    return cold, time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--gi", type=int, nargs="*", default=[8, 9], help="resolutions for the Gi* timing")
    args = ap.parse_args()
    os.environ[db.WAREHOUSE_ENV] = str(args.warehouse)
    con = db.connect(args.warehouse)
    as_of = con.execute("select max(as_of_date) from etl_builds").fetchall()[0][0]
    rows = con.execute("select count(*) from incidents").fetchall()[0][0]
    start = as_of.replace(year=as_of.year - 1) + dt.timedelta(days=1)
    print(f"warehouse {args.warehouse}: {rows:,} incidents, as of {as_of}, {os.cpu_count()} cores")
    outlines = qm.outlines(con)
    print("\n| map view | first (s) | warm, uncached (s) | JSON sent (MiB) |\n|---|---|---|---|")
    for kind in ("h3_8", "h3_9", "h3_10", "authority", "lsoa"):
        started = time.perf_counter()
        size = _view(con, kind, start, as_of, outlines)
        first = time.perf_counter() - started
        warm = []
        for _ in range(3):
            started = time.perf_counter()
            _view(con, kind, start, as_of, outlines)
            warm.append(time.perf_counter() - started)
        print(f"| {kind} | {first:.2f} | {statistics.mean(warm):.2f} | {size / 2**20:.1f} |")
    cold, cached = _page(args.warehouse)
    print(f"\nwhole page (AppTest): first run {cold:.2f} s, cached rerun {cached:.2f} s")

    districts = geo.load_boundaries().districts
    gi_start = periods.months_before(as_of, 12) + dt.timedelta(days=1)
    print("\n| Gi* resolution | cells | permutations | seconds |\n|---|---|---|---|")
    for res in args.gi:
        cells = sorted(set().union(*hotspots.district_cells(districts, res).values()))
        found = dict(con.execute(f"select h3_r{res}, count(*) from incidents where reported_date between ? and ? "
                                 f"group by 1", [gi_start, as_of]).fetchall())
        counts = np.array([found.get(c, 0) for c in cells], dtype=float)
        started = time.perf_counter()
        hotspots.gi_star(cells, counts, hotspots.PERMUTATIONS)
        print(f"| {res} | {len(cells):,} | {hotspots.PERMUTATIONS} | {time.perf_counter() - started:.1f} |")


if __name__ == "__main__":
    main()
