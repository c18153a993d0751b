"""Benchmark the ETL: generate the demo at a scale, build it, print rows/s and peak memory per stage.

    .venv/bin/python bench/build_bench.py --scale 1          # Derbyshire-sized (target < 20 s)
    .venv/bin/python bench/build_bench.py --scale 55         # ~10 million incident rows (< 3 min, < 4 GiB)

Generation and build run in separate processes so each one's peak memory is its own. Results are
appended to bench/results.md (a table per run) and printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], env: dict) -> tuple[float, float]:
    """Run a command; return (seconds, peak RSS of the child in MiB)."""
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
    return seconds, int(proc.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=None, help="where inputs and warehouse go (temp)")
    ap.add_argument("--keep", action="store_true", help="keep the generated inputs and warehouse")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix=f"asb-bench-{args.scale}-"))
    inputs, warehouse, stats = work / "inputs", work / "warehouse.duckdb", work / "stats.json"
    env = dict(os.environ, ASB_PSEUDONYM_KEY="bench-key-0123456789abcdef", CI="1")
    py = sys.executable
    gen = ("from etl.demo import generator; import sys; s = generator.generate(__import__('pathlib').Path(sys.argv[1]), "
           "seed=int(sys.argv[2]), scale=float(sys.argv[3])); print(s.as_of)")
    gen_s, gen_mib = _run([py, "-c", gen, str(inputs), str(args.seed), str(args.scale)], env)
    size_mib = sum(p.stat().st_size for p in inputs.rglob("*") if p.is_file()) / 2**20
    as_of = dt.date(2026, 10, 31).isoformat()
    build_s, build_mib = _run([py, "-m", "etl.cli", "build", "--inputs", str(inputs), "--warehouse",
                               str(warehouse), "--as-of", as_of, "--quiet", "--stats", str(stats)], env)
    result = json.loads(stats.read_text())
    reports = result["counts"]["reports"]
    lines = [f"\n### scale {args.scale:g} ({dt.date.today()}, {platform.node()}, {os.cpu_count()} cores)\n",
             f"- generate: {gen_s:.1f} s, peak {gen_mib:,.0f} MiB, {size_mib:,.0f} MiB of input files",
             f"- build: {build_s:.1f} s wall (build itself {result['seconds']:.1f} s), peak {build_mib:,.0f} MiB; "
             f"{reports:,} incident rows -> {result['counts']['incidents']:,} incidents, "
             f"{result['counts']['rejects']:,} rejects; {reports / result['seconds']:,.0f} incident rows/s overall",
             f"- warehouse file: {warehouse.stat().st_size / 2**20:,.0f} MiB\n",
             "| stage | seconds | rows | rows/s | peak RSS so far (MiB) |", "|---|---|---|---|---|"]
    for s in result["stages"]:
        rate = f"{s['rows'] / s['seconds']:,.0f}" if s["rows"] and s["seconds"] else ""
        lines.append(f"| {s['stage']} | {s['seconds']:.2f} | {s['rows']:,} | {rate} | {s['peak_rss_mib']:,.0f} |")
    text = "\n".join(lines)
    print(text)
    with open(ROOT / "bench" / "results.md", "a", encoding="utf-8") as fh:
        fh.write(text + "\n")
    if not args.keep and not args.workdir:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
