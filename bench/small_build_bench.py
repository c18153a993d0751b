"""Benchmark a small build end to end: `asb build` of one police.uk month, wall time of the whole
command (interpreter, imports, build, exit), with an empty reference cache and with a warm one.

    .venv/bin/python bench/small_build_bench.py --month path/to/2024-01-derbyshire-street.csv
    .venv/bin/python bench/small_build_bench.py --month ... --code /tmp/before --code .   # before/after

Each `--code` folder is a checkout of this repository (e.g. `git worktree add /tmp/before <commit>`);
its `asb build` runs as `python -m insight.cli build` from that folder, so its own modules are the
ones imported. The checkouts take turns, run by run, so a busy machine slows each of them alike.
"cold" is the first build with an empty `ASB_CACHE_DIR` (boundaries, H3 cells, permutation draws
and the other entries of etl/cache.py made and kept); "warm" builds find them. `--pyc` lets Python
keep compiled modules (in a temporary folder) as an installed package does; without it the
environment decides (PYTHONDONTWRITEBYTECODE=1 compiles every module of the project on every run).
After the runs, the last warehouses of the checkouts are compared table by table
(bench/same_warehouse.py). Prints a table; nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import same_warehouse  # noqa: E402


def _build(code: Path, inputs: Path, warehouse: Path, env: dict) -> tuple[float, float]:
    """Run `asb build` of `code`; return (wall seconds of the command, seconds inside the build)."""
    stats = warehouse.with_suffix(".json")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "insight.cli", "build", "--inputs", str(inputs), "--warehouse",
                           str(warehouse), "--quiet", "--stats", str(stats)],
                          cwd=code, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode:
        sys.exit(f"build failed in {code}:\n{proc.stdout}\n{proc.stderr}")
    return wall, json.loads(stats.read_text())["seconds"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--month", type=Path, required=True, help="a data.police.uk street-level CSV")
    ap.add_argument("--code", type=Path, action="append", help="a checkout to run (repeatable; default: this one)")
    ap.add_argument("--repeats", type=int, default=5, help="warm builds per checkout")
    ap.add_argument("--pyc", action="store_true", help="keep compiled modules between runs")
    args = ap.parse_args()
    codes = [c.resolve() for c in (args.code or [Path(__file__).resolve().parents[1]])]
    work = Path(tempfile.mkdtemp(prefix="asb-small-bench-"))
    try:
        inputs = work / "inputs"
        inputs.mkdir()
        (inputs / "sources.toml").write_text(
            f'[[source]]\nslug = "police-uk"\nkind = "police_uk"\npath = "{args.month.resolve().as_posix()}"\n')
        base = {k: v for k, v in os.environ.items() if not (args.pyc and k == "PYTHONDONTWRITEBYTECODE")}
        base.update(ASB_PSEUDONYM_KEY="bench-key-0123456789abcdef", CI="1")
        envs = [dict(base, ASB_CACHE_DIR=str(work / f"cache-{i}"), PYTHONPATH=str(code),
                     **({"PYTHONPYCACHEPREFIX": str(work / f"pyc-{i}")} if args.pyc else {}))
                for i, code in enumerate(codes)]
        if args.pyc:  # compile once, outside the timings
            for code, env in zip(codes, envs, strict=True):
                subprocess.run([sys.executable, "-c", "import insight.cli, etl.build"], cwd=code, env=env, check=True)
        cold, warm = {}, {c: [] for c in codes}
        for i, (code, env) in enumerate(zip(codes, envs, strict=True)):
            cold[code] = _build(code, inputs, work / f"w{i}.duckdb", env)
        for _ in range(args.repeats):
            for i, (code, env) in enumerate(zip(codes, envs, strict=True)):
                warm[code].append(_build(code, inputs, work / f"w{i}.duckdb", env))
        print(f"{args.month.name}, {args.repeats} warm builds each, load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores{', compiled modules kept' if args.pyc else ''}\n")
        print("| checkout | cold: wall (build) | warm: median wall (build) | warm: fastest wall |")
        print("|---|---|---|---|")
        for code in codes:
            walls, builds = [w for w, _ in warm[code]], [b for _, b in warm[code]]
            print(f"| {code} | {cold[code][0]:.2f} s ({cold[code][1]:.2f} s) | {statistics.median(walls):.2f} s "
                  f"({statistics.median(builds):.2f} s) | {min(walls):.2f} s |")
        for i in range(1, len(codes)):
            lines = same_warehouse.compare(str(work / "w0.duckdb"), str(work / f"w{i}.duckdb"))
            differ = [line for line in lines if line.startswith("DIFF")]
            print(f"\n{codes[i]} against {codes[0]}: "
                  + ("every table the same" if not differ else "\n".join(differ)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
