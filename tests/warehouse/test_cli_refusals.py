"""`asb build`, `asb check`, `asb export return` and `asb returns freeze` on inputs and arguments
they cannot use: one `asb: error:` line (exit 2) before anything is written, never a traceback nor
an input overwritten (probe report /tmp/probe_cli/report.md, bugs B1, B3-B7, B9-B11)."""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest
from conftest import CASES_TOML, INCIDENT_COLUMNS, TEST_KEY, build_module_warehouse, write_inputs

from etl import build as build_mod
from etl.marts import returns_file
from etl.rules import settings
from etl.sources import extract
from insight import cli

AS_OF = dt.date(2025, 6, 30)
APPLICATIONS = """application_ref,authority,person_ref,received_date,acknowledged_date,threshold_route,decision,decision_date,decision_notified_date,review_date,outcome,recommendations_count,outcome_notified_date,action_plan_closed_date
ER-1,Erewash,P1,2024-05-01,2024-05-02,victim,met,2024-05-08,2024-05-09,2024-05-29,recommendations,2,2024-06-03,
"""
APPEALS = "appeal_ref,application_ref,authority,received_date,appellant,grounds,outcome,decision_date\n"
DEFAULTS = settings.DEFAULT_PATH.read_text(encoding="utf-8").split("\n[[rule]]")[0] + "\n"


def _incidents(days=("2024-05-06", "2025-04-07", "2025-05-08", "2025-06-09")) -> str:
    rows = [",".join(INCIDENT_COLUMNS)]
    for n, day in enumerate(days * 6, 1):
        rows.append(f"E{n},council,,{day},,nuisance,noise,,,,,NG10 1AA,Market Place,,individual,N")
    return "\n".join(rows) + "\n"


def _inputs(folder: Path, build_table: str = "", files: dict | None = None) -> Path:
    return write_inputs(folder, build_table + CASES_TOML, {
        "erewash/incidents.csv": _incidents(), "applications.csv": APPLICATIONS, "appeals.csv": APPEALS,
        **(files or {})})


def _asb(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _one_error_line(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("asb: error:"), err
    assert all(w in lines[0] for w in words), err


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return build_module_warehouse(_inputs(tmp_path_factory.mktemp("refusals") / "inputs"), AS_OF)


# --- B4: --warehouse naming an input -----------------------------------------------------------------

BUILD = ('[build]\nsettings = "rules.toml"\npublished_returns = "returns.csv"\npseudonym_key_file = "key.txt"\n\n')


@pytest.mark.parametrize("target, what", [
    ("erewash/incidents.csv", "a file of source erewash_council"), ("applications.csv", "case_reviews"),
    ("sources.toml", "sources.toml"), ("rules.toml", "rules file"), ("returns.csv", "published-returns"),
    ("key.txt", "key file")])
def test__build__a_warehouse_naming_an_input_is_refused_before_anything_is_written(tmp_path, capsys, target, what):
    inputs = _inputs(tmp_path / "in", BUILD, {"rules.toml": DEFAULTS, "key.txt": TEST_KEY,
                                              "returns.csv": ",".join(returns_file.COLUMNS) + "\n"})
    before = {p: p.read_bytes() for p in inputs.rglob("*") if p.is_file()}
    code, _, err = _asb(capsys, "build", "--inputs", inputs, "--warehouse", inputs / target, "--as-of", AS_OF, "--quiet")
    assert code == 2
    _one_error_line(err, str((inputs / target).resolve()), what)
    assert {p: p.read_bytes() for p in inputs.rglob("*") if p.is_file()} == before


# --- B1, B3: the rules and published-returns files, checked before any file is read ---------------

@pytest.mark.parametrize("build_table, files, words", [
    ('[build]\nsettings = "nope.toml"\n', {}, ["nope.toml"]),
    ('[build]\nsettings = "rules.toml"\n', {"rules.toml": DEFAULTS.replace("victim_threshold = 3", "victim_threshold = 0")},
     ["rules.toml", "victim_threshold"]),
    ('[build]\nsettings = "rules.toml"\n', {"rules.toml": b"# caf\xe9\n" + DEFAULTS.encode()}, ["rules.toml", "UTF-8"]),
    ('[build]\nsettings = "rules.toml"\n', {"rules.toml": DEFAULTS + "[[rules]]\nauthority = \"Erewash\"\n"},
     ["rules.toml", "rules"]),
    ('[build]\npublished_returns = "returns.csv"\n',
     {"returns.csv": ",".join(returns_file.COLUMNS).encode() + b"\nE07000036,2023/24,5,1,1,1,2024-06-01,Caf\xe9,\n"},
     ["returns.csv", "UTF-8"]),
])
def test__build_and_check__a_bad_rules_or_returns_file_is_one_line_before_any_file_is_read(
        tmp_path, capsys, monkeypatch, build_table, files, words):
    inputs = _inputs(tmp_path / "in", build_table, files)

    def never(*args, **kwargs):
        raise AssertionError("an input file was read before the settings were checked")

    monkeypatch.setattr(extract, "extract", never)
    code, _, err = _asb(capsys, "build", "--inputs", inputs, "--warehouse", tmp_path / "w.duckdb", "--quiet")
    assert code == 2
    _one_error_line(err, *words)
    assert not (tmp_path / "w.duckdb").exists()
    code, _, err = _asb(capsys, "check", "--inputs", inputs)
    assert code == 2
    _one_error_line(err, *words)


def test__build__a_published_returns_folder_is_one_line(tmp_path, capsys):
    inputs = _inputs(tmp_path / "in", '[build]\npublished_returns = "returns.csv"\n')
    (inputs / "returns.csv").mkdir()
    code, _, err = _asb(capsys, "build", "--inputs", inputs, "--warehouse", tmp_path / "w.duckdb", "--quiet")
    assert code == 2
    _one_error_line(err, "returns.csv", "folder")


def test__freeze__onto_a_file_not_utf8_is_one_line(warehouse, tmp_path, capsys):
    latin = tmp_path / "latin.csv"
    latin.write_bytes(",".join(returns_file.COLUMNS).encode() + b"\nE07000036,2023/24,5,1,1,1,2024-06-01,Caf\xe9,\n")
    before = latin.read_bytes()
    code, _, err = _asb(capsys, "returns", "freeze", "--warehouse", warehouse, "--year", "2024/25", "--out", latin)
    assert code == 2
    _one_error_line(err, "latin.csv", "UTF-8")
    assert latin.read_bytes() == before


# --- B5, B6: the warehouse's folder -------------------------------------------------------------------

def test__build__a_killed_builds_spill_folder_does_not_stop_the_next_build(tmp_path, monkeypatch):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    inputs = _inputs(tmp_path / "in")
    spill = tmp_path / ".w.duckdb.building-999999.spill"
    spill.mkdir()
    (spill / "duckdb_temp_block-1.block").write_bytes(b"x")
    build_mod.build(inputs, tmp_path / "w.duckdb", AS_OF)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "secrets", "w.duckdb"] or \
        sorted(p.name for p in tmp_path.iterdir()) == ["in", "w.duckdb"]


def test__build__a_warehouse_that_cannot_be_written_is_one_line(tmp_path, capsys, monkeypatch):
    inputs = _inputs(tmp_path / "in")
    real = duckdb.connect

    def read_only(database=":memory:", *args, **kwargs):
        if ".building-" in str(database):
            raise duckdb.IOException(f'IO Error: Cannot open file "{database}": Read-only file system')
        return real(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", read_only)
    code, _, err = _asb(capsys, "build", "--inputs", inputs, "--warehouse", tmp_path / "ro" / "w.duckdb", "--quiet")
    assert code == 2
    _one_error_line(err, "cannot write the warehouse", str(tmp_path / "ro" / "w.duckdb"), "Read-only")
    monkeypatch.setattr(duckdb, "connect", real)
    monkeypatch.setattr(os, "access", lambda path, mode, *a, **k: False)
    code, _, err = _asb(capsys, "build", "--inputs", inputs, "--warehouse", tmp_path / "ro2" / "w.duckdb", "--quiet")
    assert code == 2
    _one_error_line(err, "cannot write the warehouse", str(tmp_path / "ro2"))


# --- B7: a far-future --as-of ------------------------------------------------------------------------

def test__build__an_as_of_after_today_is_refused(tmp_path, capsys):
    inputs = _inputs(tmp_path / "in")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["build", "--inputs", str(inputs), "--warehouse", str(tmp_path / "w.duckdb"), "--as-of", "2090-01-01"])
    assert exit_.value.code == 2 and "after today" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


def test__export__a_year_not_ended_today_is_refused_whatever_the_warehouses_date(tmp_path, capsys, monkeypatch):
    """A warehouse built (through the API) as of a later date than its day counts the current year as
    complete: the return and the freeze still refuse a year that has not ended today."""
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    build_mod.build(_inputs(tmp_path / "in"), tmp_path / "w.duckdb", dt.date(2027, 6, 30))
    code, _, err = _asb(capsys, "export", "return", "--warehouse", tmp_path / "w.duckdb", "--year", "2026/27",
                        "--out", tmp_path / "out", "--authority", "Erewash")
    assert code == 2 and "has not ended today" in err and not (tmp_path / "out").exists()
    code, _, err = _asb(capsys, "returns", "freeze", "--warehouse", tmp_path / "w.duckdb", "--year", "2026/27",
                        "--out", tmp_path / "returns.csv")
    assert code == 2 and "has not ended" in err and not (tmp_path / "returns.csv").exists()


# --- B9: export --force --------------------------------------------------------------------------------

def test__export_force__never_deletes_the_folder_holding_the_warehouse_and_inputs(warehouse, tmp_path, capsys,
                                                                                   monkeypatch):
    here = tmp_path / "work"
    here.mkdir()
    (here / "wh.duckdb").write_bytes(warehouse.read_bytes())
    _inputs(here / "inputs")
    monkeypatch.chdir(here)
    for out in (".", str(here), str(tmp_path)):
        code, _, err = _asb(capsys, "export", "return", "--warehouse", "wh.duckdb", "--year", "2024/25", "--out", out,
                            "--force", "--authority", "Erewash")
        assert code == 2, out
        _one_error_line(err)
    assert (here / "wh.duckdb").exists() and (here / "inputs" / "sources.toml").exists()
    code, _, err = _asb(capsys, "export", "return", "--warehouse", "wh.duckdb", "--year", "2024/25", "--out",
                        here / "inputs", "--force", "--authority", "Erewash")
    assert code == 2 and "not an earlier export" in err and (here / "inputs" / "sources.toml").exists()
    # an earlier return is replaced
    assert _asb(capsys, "export", "return", "--warehouse", "wh.duckdb", "--year", "2024/25", "--out", "ret",
                "--authority", "Erewash")[0] == 0
    assert _asb(capsys, "export", "return", "--warehouse", "wh.duckdb", "--year", "2024/25", "--out", "ret",
                "--authority", "Erewash", "--force")[0] == 0


# --- B10: a source whose path matches nothing ---------------------------------------------------------

def test__build_and_check__a_source_matching_no_file_is_said(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    inputs = _inputs(tmp_path / "in")
    with (inputs / "sources.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[source]]\nslug = "housing"\nkind = "incidents"\npath = "housng/*.csv"\nauthority = "Erewash"\n')
    code, out, _ = _asb(capsys, "build", "--inputs", inputs, "--warehouse", tmp_path / "w.duckdb", "--as-of", AS_OF,
                        "--quiet")
    assert code == 0 and "note: source housing: no file matches path 'housng/*.csv'" in out
    code, out, _ = _asb(capsys, "check", "--inputs", inputs)
    assert "\nwarning: source housing: no file matches path 'housng/*.csv'" in out


# --- B11: a return of a year not ended ------------------------------------------------------------------

def test__export__an_incomplete_year_is_marked_and_later_months_are_not_available(warehouse, tmp_path, capsys):
    out = tmp_path / "part"
    assert _asb(capsys, "export", "return", "--warehouse", warehouse, "--year", "2025/26", "--out", out,
                "--authority", "Erewash", "--allow-incomplete-year")[0] == 0
    with next(out.glob("*_return.csv")).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["as_of_date"], r["is_complete_year"]) for r in rows} == {("2025-06-30", "false")}
    months = {r["month"]: r["value"] for r in rows if r["field"] == "incidents" and r["asb_type"] == "all"}
    assert [months[m] for m in ("2025-04", "2025-05", "2025-06")] == ["6", "6", "6"]
    assert {months[m] for m in months if "2025-07" <= m <= "2026-03"} == {"[x]"} and months["all"] == "18"
    page = next(out.glob("*_s104.html")).read_text(encoding="utf-8")
    assert "1 April 2025 to 30 June 2025" in page and "31 March 2026" not in page
    assert "(to 2025-06-30)" in next(out.glob("*_s104.csv")).read_text(encoding="utf-8")
    assert "Not a whole year" in (out / "README.md").read_text(encoding="utf-8")
    whole = tmp_path / "whole"
    assert _asb(capsys, "export", "return", "--warehouse", warehouse, "--year", "2024/25", "--out", whole,
                "--authority", "Erewash")[0] == 0
    with next(whole.glob("*_return.csv")).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["as_of_date"], r["is_complete_year"]) for r in rows} == {("2025-06-30", "true")}
    assert "[x]" not in {r["value"] for r in rows}


def test__check__a_reader_that_stops_early_ends_no_traceback(tmp_path):
    """`asb check --json | head` (a reader closing the pipe before the report is written) ended in
    a Python traceback (BrokenPipeError: the fuzz audit of 6 December 2026); it exits quietly with
    128 + SIGPIPE, as a command piped into head does."""
    import signal
    import subprocess
    import sys

    inputs = _inputs(tmp_path / "in")
    command = [sys.executable, "-c", "import sys; from insight.cli import main; sys.exit(main())",
               "check", "--inputs", str(inputs), "--json"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    proc.stdout.close()   # before the command has written anything: it starts in over half a second
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 128 + signal.SIGPIPE, err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
