"""Publishing: rebuilds are repeatable, and a failed or killed build never harms the old warehouse."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest
from conftest import TEST_KEY, real_data, run_build, write_inputs

from etl import build

TOML = """
[[source]]
slug = "erewash"
kind = "incidents"
path = "e/*"
authority = "Erewash"
"""
CSV = """incident_ref,agency,reported_date,asb_category,asb_type,postcode,person_ref
E1,council,2025-03-01,personal,noise,NG10 1AA,ECN-1
E2,council,2025-03-02,nuisance,littering,DE7 5AB,
"""


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tables(con) -> dict[str, list]:
    names = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                       "where table_name <> 'etl_builds' order by 1").fetchall()]
    return {n: con.execute(f"select * from {n} order by all").fetchall() for n in names}


def test__build__rebuild_gives_the_same_warehouse(tmp_path):
    """Same inputs and as-of date: same load id, same rows in every table but the build log."""
    inputs = write_inputs(tmp_path / "in", TOML, {"e/a.csv": CSV})
    first, con1 = run_build(inputs, tmp_path / "one.duckdb")
    second, con2 = run_build(inputs, tmp_path / "two.duckdb")
    assert first.load_id == second.load_id
    assert _tables(con1) == _tables(con2)
    assert first.counts == second.counts == {"incidents": 2, "reports": 2, "applications": 0, "appeals": 0,
                                             "rejects": 0, "actions": 0}


def test__build__failed_build_leaves_old_warehouse_and_readers_working(tmp_path):
    """A build that fails is not published; a reader of the old file keeps its data after a rebuild."""
    inputs = write_inputs(tmp_path / "in", TOML, {"e/a.csv": CSV})
    warehouse = tmp_path / "w.duckdb"
    run_build(inputs, warehouse)[1].close()
    before = _sha(warehouse)
    (inputs / "e" / "broken.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(build.BuildError, match=r"unreadable_file.*broken.xlsx"):
        build.build(inputs, warehouse, dt.date(2025, 6, 30))
    assert _sha(warehouse) == before
    assert not list(tmp_path.glob(".w.duckdb.building-*"))
    (inputs / "e" / "broken.xlsx").unlink()
    reader = duckdb.connect(str(warehouse), read_only=True)
    (inputs / "e" / "b.csv").write_text(CSV.replace("E1", "E3").replace("E2", "E4"), encoding="utf-8")
    build.build(inputs, warehouse, dt.date(2025, 6, 30))
    assert reader.execute("select count(*) from incidents").fetchall()[0][0] == 2
    reader.close()  # DuckDB shares one instance per path in a process: the next connect re-opens
    fresh = duckdb.connect(str(warehouse), read_only=True)
    assert fresh.execute("select count(*) from incidents").fetchall()[0][0] == 4


def test__build__killed_midway_keeps_old_warehouse(tmp_path):
    """SIGKILL during a build of the 22 real police months: the old file is unchanged and opens."""
    folder = real_data("police_uk", "derbyshire")
    inputs = write_inputs(tmp_path / "in", TOML, {"e/a.csv": CSV})
    warehouse = tmp_path / "w.duckdb"
    run_build(inputs, warehouse)[1].close()
    before = _sha(warehouse)
    (inputs / "sources.toml").write_text(
        TOML + f'\n[[source]]\nslug = "police"\nkind = "police_uk"\npath = "{folder}/*.csv"\n', encoding="utf-8")
    env = dict(os.environ, ASB_PSEUDONYM_KEY=TEST_KEY)
    proc = subprocess.Popen([sys.executable, "-m", "etl.cli", "build", "--inputs", str(inputs), "--warehouse",
                             str(warehouse), "--as-of", "2025-06-30", "--quiet"], env=env)
    deadline = time.time() + 60
    while not list(tmp_path.glob(".w.duckdb.building-*")) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # well into extraction, before publishing
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert _sha(warehouse) == before
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from incidents").fetchall()[0][0] == 2
    con.close()
    assert list(tmp_path.glob(".w.duckdb.building-*"))  # the dead build's temp file is left ...
    build.build(inputs, warehouse, dt.date(2025, 6, 30))
    assert not list(tmp_path.glob(".w.duckdb.building-*"))  # ... and cleared by the next build
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from incidents").fetchall()[0][0] > 30_000


def test__build_cli__stats_prints_the_stage_table_and_writes_json(tmp_path, monkeypatch, capsys):
    """`asb build --stats` prints every stage with its time, rows and memory; `--stats FILE` also
    writes them as JSON for the benchmarks."""
    from etl import cli

    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    inputs = write_inputs(tmp_path / "in", TOML, {"e/a.csv": CSV})
    args = ["build", "--inputs", str(inputs), "--warehouse", str(tmp_path / "w.duckdb"), "--quiet"]
    assert cli.main([*args, "--stats"]) == 0
    table = capsys.readouterr().out.splitlines()
    stages = [line.split("|")[1].strip() for line in table if line.startswith("| ") and "---" not in line]
    assert stages[0] == "stage" and stages[-1] == "**whole build**"
    assert {"hash inputs", "extract", "publish incidents", "hotspots", "marts, accounting and checks"} <= set(stages)
    assert "| extract |" in "\n".join(table) and " MiB |" in table[-1]
    stats = tmp_path / "stats.json"
    assert cli.main([*args, "--stats", str(stats)]) == 0
    written = json.loads(stats.read_text())
    assert [s["stage"] for s in written["stages"]] == stages[1:-1]
    assert written["counts"]["incidents"] == 2
    # CPU seconds per stage (every thread), so a stage's use of the cores shows beside its wall time
    assert all(s["cpu_seconds"] >= 0 for s in written["stages"])
    assert sum(s["cpu_seconds"] for s in written["stages"]) > 0
    assert next(line for line in table if line.startswith("| stage |")).split("|")[4].strip() == "CPU seconds"
