"""Benchmark `asb report` (the monthly board pack) on a built warehouse, as a user runs it.

    .venv/bin/asb demo --out /tmp/report_demo/inputs --warehouse /tmp/report_demo/warehouse.duckdb
    .venv/bin/python bench/report_bench.py --warehouse /tmp/report_demo/warehouse.duckdb [--runs 3]

Each run is the real command in a fresh process (`asb report --month M --out ...`), timed by the
wall clock from start to exit, first without and then with `--pdf`; the month defaults to the
latest whole month of the warehouse. It prints every run, the median, the size of the files and
the peak memory of the command. Target: under 10 s for a month of the ten-million-row demo
(issue 15; an earlier issue asked for 15 s).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from insight.board_pack import data as report_data

ASB = Path(sys.executable).with_name("asb")
TARGET_SECONDS = 10.0


def _default_month(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        as_of = con.execute("select max(as_of_date) from etl_builds").fetchall()[0][0]
        incidents = con.execute("select count(*) from incidents").fetchall()[0][0]
    print(f"warehouse {warehouse}: {incidents:,} incidents, as of {as_of}")
    return report_data.default_month(as_of).key


def _run(warehouse: Path, month: str, out: Path, pdf: bool) -> float:
    command = [str(ASB), "report", "--month", month, "--out", str(out), "--warehouse", str(warehouse)]
    started = time.perf_counter()
    done = subprocess.run(command + (["--pdf"] if pdf else []), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"asb report failed ({done.returncode}):\n{done.stderr}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--month", help="YYYY-MM (default: the latest whole month)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    month = args.month or _default_month(args.warehouse)
    with tempfile.TemporaryDirectory(prefix="asb-report-bench-") as tmp:
        out = Path(tmp) / "pack.pptx"
        for pdf in (False, True):
            label = "asb report --pdf" if pdf else "asb report"
            times = [_run(args.warehouse, month, out, pdf) for _ in range(args.runs)]
            for i, seconds in enumerate(times, start=1):
                print(f"{label:<18} {month} run {i}: {seconds:6.2f} s")
            median = statistics.median(times)
            verdict = "within" if median < TARGET_SECONDS else "OVER"
            sizes = f"pptx {out.stat().st_size / 1024:,.0f} KiB"
            if pdf:
                sizes += f", pdf {out.with_suffix('.pdf').stat().st_size / 1024:,.0f} KiB"
            print(f"{label:<18} median {median:6.2f} s ({verdict} the {TARGET_SECONDS:.0f} s target); {sizes}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory of one command (largest child, incl. LibreOffice/Chromium): {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
