"""Benchmark the threshold engine on a built warehouse (the national-scale demo: ~10M incidents).

    .venv/bin/python bench/build_bench.py --scale 55 --workdir /tmp/asb55     # once: build it
    .venv/bin/python bench/threshold_bench.py --warehouse /tmp/asb55/warehouse.duckdb

It re-runs the engine (rules, complaints, timeline, status, community, history) on a copy of the
warehouse and times each step, then times live evaluations as of other dates (what the page does
when the sidebar's as-of date differs from the build's). Targets: all thresholds < 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from etl.marts import registry, threshold
from etl.rules import authorities, settings
from insight import db
from insight.queries import threshold as qt


def _timed(label: str, fn, results: list) -> object:
    started = time.perf_counter()
    out = fn()
    results.append((label, time.perf_counter() - started))
    print(f"{label:<48} {results[-1][1]:7.2f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, required=True)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="asb-threshold-bench-"))
    copy = work / "w.duckdb"
    shutil.copy(args.warehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute("set memory_limit = '2GB'; set preserve_insertion_order = false")
    as_of = con.execute("select max(as_of_date) from etl_builds").fetchall()[0][0]
    n = con.execute("select count(*), count(person_key) from incidents").fetchall()[0]
    print(f"warehouse {args.warehouse}: {n[0]:,} incidents, {n[1]:,} with a person; as of {as_of}")
    results: list = []
    started = time.perf_counter()
    _timed("rules", lambda: threshold.store_rules(con, settings.load()), results)
    steps: list = []
    registry.build(con, "threshold", registry.Context(as_of), steps)
    for name, seconds in steps:
        print(f"{name:<48} {seconds:7.2f} s")
    total = time.perf_counter() - started
    print(f"{'all thresholds (target < 10 s)':<48} {total:7.2f} s")
    counts = con.execute("select count(*), count(*) filter (where is_threshold_met), "
                         "count(*) filter (where is_near_miss) from mart_threshold_status").fetchall()[0]
    print(f"  people with a qualifying complaint {counts[0]:,}; met {counts[1]:,}; near-miss {counts[2]:,}")
    for days in (30, 180):
        other = as_of - dt.timedelta(days=days)
        _timed(f"live status as of {other}", lambda d=other: registry.evaluate(con, "mart_threshold_status", d), results)
        _timed(f"live community as of {other}",
               lambda d=other: registry.evaluate(con, "mart_community_status", d), results)
        _timed(f"live second reports as of {other}",
               lambda d=other: registry.evaluate(con, "mart_second_reports", d), results)
    con.close()
    for label, when in (("build's date", as_of), ("another date", as_of - dt.timedelta(days=120))):
        _timed(f"threshold page's queries, {label}", lambda d=when: page_queries(copy, d), results)
    shutil.rmtree(work)


def page_queries(path: Path, as_of: dt.date) -> None:
    """Every query the threshold page runs, on a fresh read-only connection (as a new server
    process would), each on its own cursor as ui.load runs them."""
    con = db.connect(path)

    def cursor():
        c = con.cursor()
        c.execute("use wh")
        return c

    codes = authorities.CODES
    try:
        qt.summary(cursor(), as_of, codes)
        qt.week_queue(cursor(), as_of, codes)
        qt.near_miss_work_list(cursor(), as_of, codes)
        qt.met_without_application(cursor(), as_of, codes)
        qt.second_report_share(cursor(), as_of, codes)
        qt.second_report_trend(cursor(), as_of, codes)
        qt.second_reports(cursor(), as_of, codes)
        qt.history(cursor(), as_of, codes)
        qt.community_clusters(cursor(), as_of, codes)
    finally:
        con.close()


if __name__ == "__main__":
    main()
