"""The configuration files a person writes by hand (sources.toml, the rules file, the return's
field list, the published-returns file) and the arguments of `asb build` and `asb export`: each
mistake is refused in words naming the file and the key, never taken silently nor a traceback
(probe report /tmp/probe_cli/report.md, bugs B1-B3, B5, B7-B9, B12)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pytest

from etl import argtypes
from etl import build as build_mod
from etl.marts import returns_file
from etl.rules import periods, settings
from etl.sources import config
from insight.export import data_return
from insight.export import folder as outdir

SOURCE = '[[source]]\nslug = "erewash"\nkind = "incidents"\npath = "erewash/*.csv"\nauthority = "E07000036"\n'
DEFAULTS = settings.DEFAULT_PATH.read_text(encoding="utf-8").split("\n[[rule]]")[0] + "\n"


def _inputs(tmp_path: Path, text: str) -> Path:
    (tmp_path / "sources.toml").write_text(text, encoding="utf-8")
    return tmp_path


# --- sources.toml (B2, B12) -------------------------------------------------------------------------

@pytest.mark.parametrize("text, key", [
    ("duplicate_days = 3\n" + SOURCE, "duplicate_days"),
    ('[biuld]\nsettings = "nope.toml"\n' + SOURCE, "biuld"),
    (SOURCE + '[[sources]]\nslug = "x"\n', "sources"),
])
def test__config__an_unknown_top_level_key_or_section_is_refused(tmp_path, text, key):
    with pytest.raises(config.ConfigError, match=rf"sources.toml.*unknown.*'{key}'"):
        config.load(_inputs(tmp_path, text))


@pytest.mark.parametrize("extra, path, key", [
    ('sheet = "Cases"\n', "erewash/*.csv", "sheet"),
    ('encoding = "cp1252"\n', "erewash/*.xlsx", "encoding"),
    ('delimiter = ";"\n', "erewash/*.xlsx", "delimiter"),
    ('[source.date_formats]\nasb_type = "%d/%m/%Y"\n', "erewash/*.csv", "asb_type"),
])
def test__config__a_setting_that_does_not_apply_is_refused(tmp_path, extra, path, key):
    text = SOURCE.replace("erewash/*.csv", path) + extra
    with pytest.raises(config.ConfigError, match=rf"#1 \(erewash\).*{key}"):
        config.load(_inputs(tmp_path, text))


def test__config__settings_that_apply_are_still_accepted(tmp_path):
    text = (SOURCE.replace("erewash/*.csv", "erewash/*.xlsx") + 'sheet = "Cases"\n'
            + SOURCE.replace('"erewash"', '"two"') + 'encoding = "cp1252"\ndelimiter = ";"\n'
            + '[source.date_formats]\nreported_date = "%d/%m/%Y"\n'
            + SOURCE.replace('"erewash"', '"three"').replace("erewash/*.csv", "erewash/*") + 'sheet = "Cases"\n')
    cfg = config.load(_inputs(tmp_path, text))
    assert [s.sheet for s in cfg.sources] == ["Cases", None, "Cases"]


# --- the rules file (B1, B2) ------------------------------------------------------------------------

@pytest.mark.parametrize("text, words", [
    (DEFAULTS + '[[rules]]\nauthority = "Erewash"\neffective_from = "2020-01-01"\nvictim_threshold = 2\n',
     "unknown.*'rules'"),
    ("stray = 1\n" + DEFAULTS, "unknown.*'stray'"),
    (DEFAULTS + "rule = 3\n", "rule"),
    ("defaults = 3\n", "defaults"),
    (DEFAULTS + '[[rule]]\nauthority = "Derbyshire"\neffective_from = "2020-01-01"\n', "authority"),
])
def test__settings__a_misspelt_section_or_a_wrong_shape_is_refused(tmp_path, text, words):
    _refused(tmp_path / "rules.toml", text, settings.load, settings.SettingsError, words)


def test__settings__a_folder_or_a_missing_file_is_a_settings_error(tmp_path):
    with pytest.raises(settings.SettingsError, match="folder"):
        settings.load(tmp_path)
    with pytest.raises(settings.SettingsError, match="nope.toml"):
        settings.load(tmp_path / "nope.toml")


def test__settings__the_shipped_rules_still_load():
    assert len(settings.load().table) >= 9


# --- the published-returns file (B3) ----------------------------------------------------------------

def test__returns_file__not_utf8_or_a_folder_is_a_returns_file_error(tmp_path):
    latin = tmp_path / "returns.csv"
    latin.write_bytes(",".join(returns_file.REQUIRED).encode() + b"\nE07000036,2023/24,5,1,1,1,2024-06-01,Caf\xe9\n")
    with pytest.raises(returns_file.ReturnsFileError, match="returns.csv.*UTF-8"):
        returns_file.read(latin)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(returns_file.ReturnsFileError, match="folder.csv"):
        returns_file.read(folder)


# --- --as-of (B7) -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2090-01-01", (periods.london_today() + dt.timedelta(days=1)).isoformat()])
def test__as_of__a_date_after_today_is_refused(text):
    with pytest.raises(argparse.ArgumentTypeError, match="after today"):
        argtypes.as_of(text)


def test__as_of__today_and_the_demo_dates_are_still_accepted():
    today = periods.london_today()
    assert argtypes.as_of(today.isoformat()) == today
    assert argtypes.demo_as_of("2026-10-31") == dt.date(2026, 10, 31)


# --- the stale temp files of a killed build (B5) ----------------------------------------------------

def test__build__a_killed_builds_spill_folder_is_removed_and_nothing_else(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    dead = tmp_path / ".wh.duckdb.building-999999.spill"
    dead.mkdir()
    (dead / "duckdb_temp_block-1.block").write_bytes(b"x")
    (tmp_path / ".wh.duckdb.building-999999").write_bytes(b"x")
    (tmp_path / ".wh.duckdb.building-999999.wal").write_bytes(b"x")
    live = tmp_path / f".wh.duckdb.building-{os.getpid()}.spill"
    live.mkdir()
    other = tmp_path / "spill-999999"
    other.mkdir()
    build_mod._remove_stale_temps(warehouse)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


# --- the return's field list (B8) -------------------------------------------------------------------

FIELDS = data_return.FIELDS_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize("text, words", [
    (FIELDS.split("[[field]]")[0] + '[field]\nname = "a"\n', "field.*\\[\\[field\\]\\]"),
    (FIELDS.replace("suppress = false", 'suppress = "false"', 1), "suppress.*true or false"),
    (FIELDS.replace("[return]", "[retrun]"), "unknown.*'retrun'"),
    (FIELDS.replace('unit = "applications"', 'unit = "applications"\nlabell = "oops"', 1), "unknown.*'labell'"),
    (FIELDS.replace('label = "Number', 'label = 5\nx = "Number', 1), "label"),
    (FIELDS.replace('format = "derbyshire-asb-return/1"', "format = 1"), "format"),
    (FIELDS.replace("suppress = false", "suppress = true", 1), "s104.*suppress"),
])
def test__fields__a_wrong_shape_type_or_key_is_refused(tmp_path, text, words):
    _refused(tmp_path / "fields.toml", text, data_return.load_fields, data_return.ReturnError, words)


@pytest.mark.parametrize("which", ["rules", "fields"])
def test__a_rules_or_fields_file_not_utf8_is_refused_in_words(tmp_path, which):
    text, load, error = {"rules": (DEFAULTS, settings.load, settings.SettingsError),
                         "fields": (FIELDS, data_return.load_fields, data_return.ReturnError)}[which]
    path = tmp_path / f"{which}.toml"
    path.write_bytes(b"# caf\xe9\n" + text.encode())
    with pytest.raises(error, match=f"{which}.toml.*UTF-8"):
        load(path)


def test__fields__the_s104_figures_are_never_suppressed_whatever_the_field_list_says():
    spec = data_return.load_fields()
    spec = data_return.Spec(spec.format, spec.suppressed, spec.not_applicable,
                            tuple(data_return.Field(**{**f.__dict__, "suppress": True}) for f in spec.fields))
    cells = pd.DataFrame([{"authority_code": "E07000036", "measure": f"s104.{m}", "review_type": "", "outcome": "",
                           "month": "", "asb_type": "", "value": 1} for m in data_return.S104])
    assert list(data_return.protect(cells, spec, 5)) == ["1", "1", "1", "1"]


# --- export --force (B9) ----------------------------------------------------------------------------

def _export(out: Path, force: bool, files: dict[str, str]) -> None:
    with outdir.writing(out, force) as tmp:
        for name, text in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text)


RETURN = {"README.md": "r", "fields.csv": "f", "E07000036_erewash_2024-25_return.csv": "x"}
PARQUET = {"README.md": "r", "manifest.json": "{}", "data_dictionary.csv": "d", "incidents/data_0.parquet": "p"}


def test__export_force__replaces_an_earlier_export_of_the_same_kind(tmp_path):
    out = tmp_path / "out"
    _export(out, False, RETURN)
    _export(out, True, {**RETURN, "README.md": "new"})
    assert (out / "README.md").read_text() == "new"
    parquet = tmp_path / "pq"
    _export(parquet, False, PARQUET)
    _export(parquet, True, PARQUET)
    assert (parquet / "incidents" / "data_0.parquet").exists()


@pytest.mark.parametrize("extra", [{"wh.duckdb": "w"}, {"inputs/sources.toml": "s"}, {"notes.txt": "mine"}])
def test__export_force__refuses_a_folder_holding_anything_an_export_does_not_write(tmp_path, extra):
    out = tmp_path / "out"
    _export(out, False, RETURN)
    for name, text in extra.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
    with pytest.raises(outdir.FolderRefused, match="not an earlier export"):
        _export(out, True, RETURN)
    assert all((out / name).exists() for name in extra)


def test__export_force__refuses_the_working_directory_and_its_parents(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _export(out, False, RETURN)
    (out / "sub").mkdir()
    monkeypatch.chdir(out / "sub")
    with pytest.raises(outdir.FolderRefused, match="current folder"):
        _export(out, True, RETURN)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wh.duckdb").write_text("w")
    with pytest.raises(outdir.FolderRefused):
        _export(tmp_path, True, RETURN)
    assert (tmp_path / "wh.duckdb").exists() and (out / "README.md").exists()


def test__export_force__refuses_an_export_of_another_kind(tmp_path):
    out = tmp_path / "out"
    _export(out, False, PARQUET)
    with pytest.raises(outdir.FolderRefused, match="parquet"):
        _export(out, True, RETURN)
    assert (out / "manifest.json").exists() and not (out / "fields.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no hidden folder left behind


def test__export_force__refuses_a_folder_holding_the_warehouse_read(tmp_path):
    out = tmp_path / "out"
    _export(out, False, RETURN)
    with pytest.raises(outdir.FolderRefused, match="warehouse"):
        with outdir.writing(out, True, keep=(out / "E07000036_erewash_2024-25_return.csv",)):
            pass


def _refused(path, text: str, load, error, words: str) -> None:
    """`load` refuses the file `path` holding `text` with `error`, naming the file and `words`."""
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error, match=rf"{path.name}.*{words}"):
        load(path)


def test__export_folder__a_killed_export_s_hidden_folder_is_removed_by_the_next(tmp_path):
    """An export killed while it wrote (SIGKILL, a power cut) leaves its hidden folder beside --out,
    with incident rows in it: the next export to the same --out removes it, once no running export
    holds it (its lock beside it), and leaves a running one's alone (found by a black-box audit)."""
    import subprocess
    import sys

    from insight.export import folder

    out = tmp_path / "out"
    script = ("import sys, time; from pathlib import Path; from insight.export import folder\n"
              "with folder.writing(Path(sys.argv[1])) as tmp:\n"
              "    (tmp / 'rows.csv').write_text('secret'); print(tmp, flush=True); time.sleep(60)\n")
    killed = subprocess.Popen([sys.executable, "-c", script, str(out)], stdout=subprocess.PIPE, text=True)
    stale = Path(killed.stdout.readline().strip())
    killed.kill()
    killed.wait()
    running = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "other")], stdout=subprocess.PIPE, text=True)
    live = Path(running.stdout.readline().strip())
    try:
        assert stale.is_dir() and live.is_dir()
        with folder.writing(out) as tmp:
            (tmp / "fields.csv").write_text("x")
            assert not stale.exists()
        with folder.writing(tmp_path / "other") as tmp:
            (tmp / "fields.csv").write_text("x")
        assert live.is_dir() and (live / "rows.csv").exists()   # an export still running: not touched
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []
    finally:
        running.kill()
        running.wait()
