"""A small build in under 3 s (issue 15): each shortcut gives what the work it saves gave.

The Gi* shortcut is held to esda and to the cell-by-cell computation in test_hotspots.py; whole
warehouses built before and after are compared table by table with bench/same_warehouse.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest
from conftest import TEST_KEY, write_inputs

from etl import cache, sqlfile
from etl.marts import hotspots, reviews
from etl.rules import workdays
from etl.transform import geo

ROOT = Path(__file__).resolve().parents[2]


def test__cli__a_build_imports_no_read_side_module():
    """`asb build` does not import sign-in, audit, the board pack or the exports; `asb --help`
    still lists every command."""
    from insight import cli

    code = ("import sys; from insight import cli; cli.parser('build'); "
            "print(sorted(m for m in sys.modules if m.startswith('insight.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['insight.cli']"
    listed = cli.parser().format_help()
    assert all(command in listed for command in (*cli.WRITE_SIDE, *(c for c, _ in cli.READ_SIDE)))


def test__cli__build_process_ends_with_its_summary_and_whole_warehouse(tmp_path):
    """The build's process leaves its last objects to the system at exit (etl/cli.py): the summary
    still reaches a pipe, the stats file is whole and the warehouse opens with every row."""
    inputs = write_inputs(tmp_path / "in", """
[[source]]
slug = "erewash"
kind = "incidents"
path = "e/*"
authority = "Erewash"
""", {"e/a.csv": "incident_ref,agency,reported_date,asb_category,asb_type,postcode,person_ref\n"
                 "E1,council,2025-03-01,personal,noise,NG10 1AA,ECN-1\n"
                 "E2,council,2025-03-02,nuisance,littering,DE7 5AB,\n"})
    warehouse, stats = tmp_path / "w.duckdb", tmp_path / "stats.json"
    proc = subprocess.run([sys.executable, "-m", "insight.cli", "build", "--inputs", str(inputs), "--warehouse",
                           str(warehouse), "--as-of", "2025-06-30", "--quiet", "--stats", str(stats)],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, ASB_PSEUDONYM_KEY=TEST_KEY))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"warehouse {warehouse} built in") and "2 incidents" in proc.stdout
    assert json.loads(stats.read_text())["counts"]["incidents"] == 2
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from incidents").fetchall() == [(2,)]
    assert con.execute("select count(*) from mart_hotspot_cells").fetchall()[0][0] > 30_000
    con.close()


def _working_days(fill) -> list[tuple]:
    """ref_working_days of a new in-memory warehouse after `fill(con)`."""
    con = duckdb.connect()
    con.execute(sqlfile.read("warehouse"))
    fill(con)
    return con.execute("select * from ref_working_days order by calendar_date").fetchall()


def _insert_made(con) -> None:
    con.register("_made", workdays.calendar())
    con.execute("insert into ref_working_days by name select * from _made")


def test__working_days__kept_calendar_equals_the_made_one(tmp_path, monkeypatch):
    """ref_working_days from the cache equals the calendar made from the holidays package, and an
    unreadable entry is made again."""
    monkeypatch.setenv("ASB_CACHE_DIR", str(tmp_path / "cache"))
    made = _working_days(_insert_made)
    assert len(made) > 36_000 and ("Christmas Day" in {r[2] for r in made})
    assert _working_days(reviews.store_calendar) == made       # made and kept
    (entry,) = (tmp_path / "cache").glob("working-days-*")
    assert _working_days(reviews.store_calendar) == made       # read back
    entry.write_bytes(b"spoilt")
    assert _working_days(reviews.store_calendar) == made       # made again, and kept again
    assert set(np.load(entry, allow_pickle=False).files) == {"calendar_date", "is_working_day", "bank_holiday",
                                                            "working_day_index"}


def test__outlines__kept_equal_the_made_ones_and_follow_the_outlines(tmp_path, monkeypatch):
    """The simplified GeoJSON outlines come from the cache when the same outlines and tolerance
    were simplified before; other outlines or another tolerance are made afresh."""
    monkeypatch.setenv("ASB_CACHE_DIR", str(tmp_path / "cache"))
    districts = geo.load_boundaries(None, None).districts
    made = geo.outlines_geojson(districts, "authority_code", 50.0)
    assert len(list((tmp_path / "cache").glob("outlines-*"))) == 1
    assert geo.outlines_geojson(districts, "authority_code", 50.0) == made
    assert list(made) == list(districts["authority_code"])
    coarser = geo.outlines_geojson(districts, "authority_code", 500.0)
    moved = districts.copy()
    moved["geometry"] = moved.geometry.translate(100.0, 0.0)
    assert geo.outlines_geojson(moved, "authority_code", 50.0) != made
    assert coarser != made and len(list((tmp_path / "cache").glob("outlines-*"))) == 3


def test__district_cells__arrays_hold_each_districts_cells_and_their_union():
    """The cells per district as sorted read-only arrays, "all" their sorted union (each once),
    the same cells `district_cells` lists."""
    districts = geo.load_boundaries(None, None).districts
    arrays = hotspots.district_cell_arrays(districts, 8)
    lists = hotspots.district_cells(districts, 8)
    assert list(lists) == list(districts["authority_code"]) and set(arrays) == {*lists, "all"}
    for code, cells in lists.items():
        assert cells == sorted(cells) and arrays[code].tolist() == cells
    assert arrays["all"].tolist() == sorted(set().union(*lists.values()))
    assert not arrays["all"].flags.writeable
    assert cache.cache_dir().is_dir() and np.array_equal(hotspots.district_cell_arrays(districts, 8)["all"],
                                                         arrays["all"])


def _failing_frame(con, context):
    raise RuntimeError("a model that fails")


def test__registry__a_subject_is_written_in_one_transaction(tmp_path, monkeypatch):
    """A subject's models are committed together: after `build` another connection sees them; a
    model that fails leaves none of the subject's rows."""
    from etl.marts import registry

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(sqlfile.read("warehouse"))
    con.execute("insert into police_crimes (source, month, crime_type, source_file, source_row, police_ref) "
                "values ('s', '2025-05-01', 'Burglary', 'f.csv', 2, 'k-1')")
    context = registry.Context(dt.date(2025, 6, 30))

    def months(connection) -> int:
        return connection.execute("select count(*) from mart_source_months").fetchall()[0][0]

    registry.build(con, "quality", context)
    assert months(con.cursor()) == 1  # committed
    con.execute("delete from mart_source_months")
    monkeypatch.setattr(registry, "MODELS", (*registry.MODELS, registry.Model("mart_x", "quality",
                                                                              python=_failing_frame)))
    with pytest.raises(RuntimeError, match="a model that fails"):
        registry.build(con, "quality", context)
    assert months(con) == 0  # mart_source_months, made before the failure, rolled back with it
