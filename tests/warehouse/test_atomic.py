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
from etl.sources import extract

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


def _big_build_running(tmp_path, sig: int):
    """A warehouse of two incidents, then a build of the 22 real police months started in a
    process and sent `sig` well into its extraction: (the process, its inputs, the warehouse, the
    warehouse's hash before, the process's stderr)."""
    folder = real_data("police_uk", "derbyshire")
    inputs = write_inputs(tmp_path / "in", TOML, {"e/a.csv": CSV})
    warehouse = tmp_path / "w.duckdb"
    run_build(inputs, warehouse)[1].close()
    before = _sha(warehouse)
    (inputs / "sources.toml").write_text(
        TOML + f'\n[[source]]\nslug = "police"\nkind = "police_uk"\npath = "{folder}/*.csv"\n', encoding="utf-8")
    env = dict(os.environ, ASB_PSEUDONYM_KEY=TEST_KEY)
    proc = subprocess.Popen([sys.executable, "-m", "etl.cli", "build", "--inputs", str(inputs), "--warehouse",
                             str(warehouse), "--as-of", "2025-06-30", "--quiet"], env=env, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 60
    while not list(tmp_path.glob(".w.duckdb.building-*")) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # well into extraction, before publishing
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc, inputs, warehouse, before, err


def test__build__killed_midway_keeps_old_warehouse(tmp_path):
    """SIGKILL during a build of the 22 real police months: the old file is unchanged and opens."""
    proc, inputs, warehouse, before, _ = _big_build_running(tmp_path, signal.SIGKILL)
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


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test__build__stopped_midway_says_so_in_one_line_and_leaves_nothing_behind(tmp_path, sig):
    """Ctrl-C (SIGINT) or a service stop (SIGTERM) during a build: one line saying the previous
    warehouse is kept, no traceback, exit code 128 + the signal, and none of its temporary files
    left (a SIGKILL's are cleared by the next build, above)."""
    proc, _, warehouse, before, err = _big_build_running(tmp_path, sig)
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err and err.strip() == "asb: stopped: the warehouse was not replaced (the previous one " \
        "is kept)", err
    assert _sha(warehouse) == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".w.duckdb")]


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


def test__build__stages_the_incidents_in_a_private_scratch_file_it_then_deletes(tmp_path, monkeypatch):
    """The rows staged as read live in the build's scratch database (a file beside the temporary
    warehouse, readable by its owner alone), not in the warehouse or the temporary catalogue; the
    build deletes it whether it succeeds or fails. Free text with personal data is scrubbed and
    counted, in the same transaction as the rows, though the counts go to the warehouse. The
    warehouse is called scratch.duckdb: DuckDB names its database "scratch" after the file."""
    csv = CSV + "E5,council,2025-03-03,personal,noise,DE7 5AB,ECN-2\n"
    inputs = write_inputs(tmp_path / "in", TOML + '[source.columns]\nlocation_desc = "where"\n',
                          {"e/a.csv": csv.replace("person_ref\n", "person_ref,where\n", 1)
                                         .replace("ECN-1\n", "ECN-1,outside 12 Market Street call 07700 900123\n")
                                         .replace(",\n", ",,\n").replace("ECN-2\n", "ECN-2,park\n")})
    seen = {}
    real_drop = build._drop

    def watching(con, names):
        if "stg_incidents" in names:
            seen["where"] = con.execute("select database_name, temporary from duckdb_tables() "
                                        "where table_name = 'stg_incidents'").fetchall()
            seen["rows"] = con.execute("select count(*) from stg_incidents").fetchall()[0][0]
            seen["files"] = {p.name: oct(p.stat().st_mode & 0o777) for p in tmp_path.glob(".scratch.duckdb.building-*")}
        real_drop(con, names)
        if "stg_incidents" in names:
            seen["after"] = con.execute("select count(*) from duckdb_tables() "
                                        "where table_name = 'stg_incidents'").fetchall()[0][0]

    monkeypatch.setattr(build, "_drop", watching)
    result, con = run_build(inputs, tmp_path / "scratch.duckdb")
    assert seen["where"] == [(extract.SCRATCH, False)] and seen["rows"] == 3 and seen["after"] == 0
    scratch = [name for name in seen["files"] if name.endswith(".scratch")]
    assert len(scratch) == 1 and seen["files"][scratch[0]] == "0o600"
    assert result.counts["incidents"] == 3
    assert not list(tmp_path.glob(".scratch.duckdb.building-*"))
    assert con.execute("select database_name from duckdb_databases() where not internal").fetchall() == [("scratch",)]
    text = " ".join(str(v) for r in con.execute("select location_desc from incidents").fetchall() for v in r)
    assert "07700" not in text and "12 Market" not in text and "park" in text
    assert {r[0] for r in con.execute("select removed from etl_scrubbed where source_file = 'e/a.csv'").fetchall()} \
        >= {"phone"}
    assert not con.execute("select count(*) from etl_loads where file_error is not null").fetchall()[0][0]
    # a build that fails deletes its scratch file too
    con.close()
    (inputs / "e" / "broken.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(build.BuildError):
        build.build(inputs, tmp_path / "scratch.duckdb", dt.date(2025, 6, 30))
    assert not list(tmp_path.glob(".scratch.duckdb.building-*"))


def test__build__a_warehouse_named_with_quotes_and_a_comma_builds(tmp_path):
    """The build's spill folder, its scratch database and the search path that names it quote the
    warehouse's file name: an apostrophe, a double quote and a comma in it are no SQL."""
    inputs = write_inputs(tmp_path / "in", TOML, {"e/a.csv": CSV})
    warehouse = tmp_path / "O'Brien, \"ASB\".duckdb"
    result, con = run_build(inputs, warehouse)
    assert result.counts["incidents"] == 2
    assert con.execute("select count(*) from incidents").fetchall()[0][0] == 2
    assert [p.name for p in tmp_path.iterdir() if p.name != "in"] == [warehouse.name]


@pytest.mark.parametrize("how", ["rewritten", "replaced"])
def test__a_file_changed_while_the_build_read_it_fails_the_build_and_keeps_the_old(tmp_path, monkeypatch, how):
    """A partner's upload still being written (or replaced) while the build runs: the file's hash
    (etl_loads.file_sha256) was of one version and its records of another, numbered by a
    blank-line scan of a third (the audit of 6 December 2026). A file whose size, time or inode
    changed between its hashing and the end of the build fails the build, naming it; the old
    warehouse stays."""
    inputs = write_inputs(tmp_path / "in", TOML, {"e/a.csv": CSV, "e/b.csv": CSV.replace("E1", "E3").replace("E2", "E4")})
    warehouse = tmp_path / "w.duckdb"
    run_build(inputs, warehouse)[1].close()
    before = _sha(warehouse)
    real = extract.extract

    def changing(*args, **kwargs):
        loads = real(*args, **kwargs)
        target = inputs / "e" / "b.csv"
        if how == "rewritten":
            with open(target, "a", encoding="utf-8") as fh:
                fh.write("E5,council,2025-03-05,personal,noise,NG10 1AA,ECN-5\n")
        else:
            new = inputs / "e" / "b.new"
            new.write_text(CSV.replace("E1", "E7"), encoding="utf-8")
            os.replace(new, target)
        return loads

    monkeypatch.setattr(extract, "extract", changing)
    with pytest.raises(build.BuildError, match=r"e/b\.csv changed while the build read it"):
        build.build(inputs, warehouse, dt.date(2025, 6, 30))
    assert _sha(warehouse) == before
