"""sources.toml is written by hand by each partnership's administrator: every mistake in it is
refused before anything is read, in one line naming the entry and the key (never a traceback from
deep inside the build, nor a wrong value taken silently: `duplicate_days = 1.5` is not 1)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from etl.sources import config

ROOT = Path(__file__).resolve().parents[2]
SOURCE = '[[source]]\nslug = "erewash"\nkind = "incidents"\npath = "erewash/*.csv"\nauthority = "E07000036"\n'

BAD_SOURCE = {
    # extra lines of the [[source]] entry: the key the message must name
    'skip_rows = "two"': "skip_rows",
    "skip_rows = -1": "skip_rows",
    "skip_rows = 1.5": "skip_rows",
    "skip_rows = true": "skip_rows",
    'max_reject_share = "half"': "max_reject_share",
    "max_reject_share = 1.5": "max_reject_share",
    'date_format = "%Q-%d"': "date_format",
    "date_format = 20250101": "date_format",
    '[source.date_formats]\nreported_date = "%Y-%Q"': "date_formats",
    'delimiter = ";;"': "delimiter",
    "delimiter = 59": "delimiter",
    'columns = "Ref"': "columns",
    '[source.columns]\nincident_ref = 5': "columns",
    '[source.values]\nasb_category = "personal"': "values",
    '[source.constants]\nagency = ["council"]': "constants",
    "sheet = 3": "sheet",
    "timezone = 5": "timezone",
    "person_ref_pattern = 5": "person_ref_pattern",
    'gates = "warn"': "gates",
    "encoding = 5": "encoding",
}


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "sources.toml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("line", list(BAD_SOURCE))
def test__config__a_wrong_value_is_refused_naming_its_key(tmp_path, line):
    with pytest.raises(config.ConfigError, match=rf"#1 \(erewash\).*{BAD_SOURCE[line]}"):
        config.load(_write(tmp_path, SOURCE + line + "\n"))


@pytest.mark.parametrize(("text", "key"), [
    ('[[source]]\nslug = 5\nkind = "incidents"\npath = "a/*.csv"\n', "slug"),
    ('[[source]]\nslug = "a"\nkind = "incidents"\npath = ["a/*.csv", "b/*.csv"]\n', "path"),
    ('[[source]]\nslug = "a"\nkind = "incidents"\npath = "a/*.csv"\nauthority = 5\n', "authority"),
    ("source = 5\n", "source"),
    ('source = ["erewash"]\n', "source"),
    (SOURCE + '[build]\nduplicate_distance_m = "far"\n', "duplicate_distance_m"),
    (SOURCE + "[build]\nduplicate_distance_m = -5\n", "duplicate_distance_m"),
    (SOURCE + "[build]\nduplicate_distance_m = nan\n", "duplicate_distance_m"),   # no number: no merge at all
    (SOURCE + "[build]\nduplicate_days = 1.5\n", "duplicate_days"),
    (SOURCE + '[build]\ndemo = "yes"\n', "demo"),
    (SOURCE + "[build]\nsettings = 5\n", "settings"),
    (SOURCE + 'build = "fast"\n', "build"),
])
def test__config__a_wrong_entry_or_build_value_is_refused_naming_it(tmp_path, text, key):
    with pytest.raises(config.ConfigError, match=key):
        config.load(_write(tmp_path, text))


@pytest.mark.parametrize("line", ['skip_rows = 2', 'max_reject_share = 0.2', 'max_reject_share = 1',
                                  'date_format = "%d/%m/%Y"', 'delimiter = ";"', 'delimiter = "\\t"',
                                  '[source.date_formats]\nreported_date = "%d-%b-%y"'])
def test__config__good_values_still_load(tmp_path, line):
    cfg = config.load(_write(tmp_path, SOURCE + line + "\n"))
    assert cfg.sources[0].slug == "erewash"


def test__cli__a_bad_sources_toml_is_one_line_and_exit_2(tmp_path):
    inputs = _write(tmp_path / "in" if (tmp_path / "in").mkdir() is None else tmp_path, SOURCE + 'skip_rows = "two"\n')
    done = subprocess.run([sys.executable, "-m", "insight.cli", "build", "--inputs", str(inputs), "--warehouse",
                           str(tmp_path / "w.duckdb"), "--quiet"], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "ASB_PSEUDONYM_KEY": "k" * 32,
                               "HOME": str(tmp_path)})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("asb: error:") and "skip_rows" in done.stderr
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("argv, message", [
    (["build", "--inputs", "{in}", "--warehouse", "{tmp}"], "is a folder"),
    (["build", "--inputs", "{in}", "--warehouse", "{file}/w.duckdb"], "is a file, not a folder"),
    (["demo", "--out", "{file}", "--warehouse", "{tmp}/w.duckdb"], "is a file, not a folder"),
    (["demo", "--out", "{tmp}/d", "--warehouse", "{file}/w.duckdb"], "is a file, not a folder"),
    (["demo", "--scale", "-1", "--out", "{tmp}/d", "--warehouse", "{tmp}/w.duckdb"], "zero or more"),
    (["demo", "--scale", "nan", "--out", "{tmp}/d", "--warehouse", "{tmp}/w.duckdb"], "zero or more"),
    (["build", "--inputs", "{in}", "--warehouse", "{tmp}/w.duckdb", "--as-of", "0001-01-01"], "outside 2000 to 2099"),
    (["build", "--inputs", "{in}", "--warehouse", "{tmp}/w.duckdb", "--as-of", "9999-12-31"], "outside 2000 to 2099"),
    (["demo", "--out", "{tmp}/d", "--warehouse", "{tmp}/w.duckdb", "--as-of", "1999-12-31"], "outside 2000 to 2099"),
    # the demo's three years would start in 1998: refused here, not by its build's gates minutes later
    (["demo", "--out", "{tmp}/d", "--warehouse", "{tmp}/w.duckdb", "--as-of", "2001-06-30"], "too early for the demo"),
])
def test__cli__paths_and_sizes_it_cannot_use_are_refused_before_any_work(tmp_path, capsys, argv, message):
    """A folder given as the warehouse was found only when the finished build moved its file into
    place (minutes later, a traceback); now argparse refuses it first, in one line."""
    from insight import cli

    (tmp_path / "a file").write_text("x")
    inputs = _write(tmp_path / "in" if (tmp_path / "in").mkdir() is None else tmp_path, SOURCE)
    names = {"in": str(inputs), "tmp": str(tmp_path), "file": str(tmp_path / "a file")}
    with pytest.raises(SystemExit) as exit_:
        cli.main([a.format(**names) for a in argv])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "d").exists() and not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("pattern", ["erewash/*.csv", "erewash/*.CSV", "erewash/export*.Csv"])
def test__config__a_files_extension_matches_in_any_case(tmp_path, pattern):
    """Windows systems write EXPORT.CSV or export.Csv: `*.csv` finds them, as Explorer would (the
    rest of the pattern, the folders and the name, keep their case)."""
    from etl.sources import config

    for name in ("export.csv", "EXPORT2.CSV", "export3.Csv", "notes.txt"):
        (tmp_path / "erewash").mkdir(exist_ok=True)
        (tmp_path / "erewash" / name).write_text("x", encoding="utf-8")
    (tmp_path / "Erewash").mkdir()
    (tmp_path / "Erewash" / "other.csv").write_text("x", encoding="utf-8")
    source = config.Source("erewash", "incidents", pattern)
    got = sorted(p.name for p in source.files(tmp_path))
    expected = ["EXPORT2.CSV", "export.csv", "export3.Csv"]
    assert got == (["export.csv", "export3.Csv"] if "export" in pattern else expected)
