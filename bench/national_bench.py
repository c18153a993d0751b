"""National scale: `asb build` against a pandas + geopandas notebook on the same police.uk files.

    .venv/bin/python bench/national_bench.py                       # 290 copies: ~10 M rows, median of 3
    .venv/bin/python bench/national_bench.py --copies 29 --repeats 1   # ~1 M rows, a quick look

It writes the data set once: each of the 22 Derbyshire months of ../shared/data/real/police_uk with
its anti-social behaviour rows repeated `--copies` times (the header once), 22 files. Then, in
turns, each in a fresh process, `--repeats` times:

- (a) **the notebook**: what an analyst would write in pandas + geopandas (`reference`): read the
  CSVs with `pd.read_csv`, keep the ASB rows, make points, `gpd.sjoin` them to the nine district
  outlines, count per district and month, add the H3 resolution-9 cell of each row with `h3`,
  count per cell, and list the 20 busiest points;
- (b) **`asb build`** of the same folder as a `police_uk` source (every guarantee kept: accounting,
  rejects, de-duplication, the marts, the atomic publish).

For each it prints wall time and peak memory (RSS of the process tree, `/usr/bin/time`), the
median of the repeats, and the ratios: the notebook's time over the build's (goal: at least 3) and
the build's peak memory over the notebook's (goal: at most 1/3). The machine is shared and
noisy: compare the ratios of one run, not seconds across runs.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICE = ROOT.parent / "shared" / "data" / "real" / "police_uk" / "derbyshire"
DISTRICTS = ROOT.parent / "shared" / "data" / "real" / "boundaries" / "lad_may2023_buc_derbyshire.geojson"
AS_OF = "2024-11-30"  # the last day of the 22 months
ASB = "Anti-social behaviour"


def make_data(out: Path, copies: int) -> int:
    """The data set: each month's ASB rows repeated `copies` times, header once. Returns its rows."""
    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    for month in sorted(POLICE.glob("*-street.csv")):
        with month.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader)
            kind = header.index("Crime type")
            asb = [r for r in reader if r[kind] == ASB]
        with (out / month.name).open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            for _ in range(copies):
                writer.writerows(asb)
        rows += len(asb) * copies
    return rows


def reference(folder: Path) -> None:
    """The notebook (run in its own process by `--reference`)."""
    import geopandas as gpd
    import h3
    import pandas as pd

    frames = [pd.read_csv(p) for p in sorted(folder.glob("*.csv"))]
    df = pd.concat(frames, ignore_index=True)
    df = df[df["Crime type"] == ASB].dropna(subset=["Longitude", "Latitude"])
    points = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["Longitude"], df["Latitude"]), crs=4326)
    districts = gpd.read_file(DISTRICTS).to_crs(4326)
    code = next(c for c in districts.columns if c.upper().startswith("LAD") and c.upper().endswith("CD"))
    joined = gpd.sjoin(points, districts[[code, "geometry"]], predicate="within", how="inner")
    per_month = joined.groupby([code, "Month"]).size()
    joined["h3_r9"] = [h3.latlng_to_cell(lat, lon, 9) for lat, lon in zip(joined["Latitude"], joined["Longitude"],
                                                                          strict=True)]
    per_cell = joined.groupby("h3_r9").size()
    top = joined.groupby(["Longitude", "Latitude", "Location"]).size().nlargest(20)
    print(f"notebook: {len(df):,} ASB rows, {len(joined):,} in the districts, {len(per_month):,} district-months, "
          f"{len(per_cell):,} cells, busiest point {int(top.iloc[0]):,}")


def _timed(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MiB, stdout) of a command in a fresh process."""
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
    return seconds, int(proc.stderr.strip().splitlines()[-1]) / 1024, proc.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=290, help="times each month's ASB rows are repeated")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each side (the median is reported)")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the data set and the warehouse")
    ap.add_argument("--reference", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.reference:
        reference(args.reference)
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="asb-national-"))
    data = work / "inputs" / "police"
    rows = make_data(data, args.copies)
    size = sum(p.stat().st_size for p in data.glob("*.csv")) / 2**20
    (work / "inputs" / "sources.toml").write_text(
        '[[source]]\nslug = "police-uk"\nkind = "police_uk"\npath = "police/*.csv"\n', encoding="utf-8")
    print(f"data set: {rows:,} ASB rows in {len(list(data.glob('*.csv')))} files, {size:,.0f} MiB ({work})")
    env = dict(os.environ, ASB_PSEUDONYM_KEY="bench-key-0123456789abcdef", CI="1")
    py = sys.executable
    runs: dict[str, list[tuple[float, float]]] = {"notebook": [], "asb build": []}
    for turn in range(args.repeats):
        seconds, mib, said = _timed([py, __file__, "--reference", str(data)], env)
        runs["notebook"].append((seconds, mib))
        print(f"  [{turn + 1}] notebook   {seconds:7.1f} s  {mib:8,.0f} MiB   {said}", flush=True)
        warehouse = work / "warehouse.duckdb"
        seconds, mib, said = _timed([py, "-m", "etl.cli", "build", "--inputs", str(work / "inputs"),
                                     "--warehouse", str(warehouse), "--as-of", AS_OF, "--quiet"], env)
        runs["asb build"].append((seconds, mib))
        print(f"  [{turn + 1}] asb build  {seconds:7.1f} s  {mib:8,.0f} MiB   {said.splitlines()[-1] if said else ''}",
              flush=True)
    median = {k: (statistics.median(s for s, _ in v), statistics.median(m for _, m in v)) for k, v in runs.items()}
    print(f"\n| median of {args.repeats} | wall | peak memory |\n|---|---|---|")
    for name, (seconds, mib) in median.items():
        print(f"| {name} | {seconds:.1f} s | {mib:,.0f} MiB |")
    (nb_s, nb_m), (asb_s, asb_m) = median["notebook"], median["asb build"]
    print(f"\nspeed: the notebook takes {nb_s / asb_s:.2f}x the build's time (goal >= 3); "
          f"memory: the build peaks at {asb_m / nb_m:.2f} of the notebook's (goal <= 0.33)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
