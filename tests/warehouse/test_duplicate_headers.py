"""A header that names one canonical column twice ("Date" written twice, or "Reported Date" beside
"reported_date"): before, the build read one of them silently (the first for a repeated name, the
last for two spellings of one name), so a file whose second "Date" was the closing date could load
the wrong day. Now, when a column the build reads could be either of several header columns:
- they hold the same value in every record: the first is read, and the file's note says so;
- they differ: the file is refused, its reason names the columns and the lines that choose one
  under [source.columns]; as for any unreadable file, the build then fails and keeps the previous
  warehouse, or (gate `unreadable_file = "warn"`) publishes the other files;
- a column chosen there by its exact name (the repeated one's is "Date_1", as `asb check` lists
  it) is read, and the note says which of the repeated columns it was.
Every reader gives the same answer: DuckDB's (one file, or several read together), the careful
reader (a short record) and a workbook's."""

from __future__ import annotations

import datetime as dt

import pytest
import xlsxwriter
from conftest import TEST_KEY, run_build, write_inputs

from etl import build
from etl.sources import check

TOML = """
[[source]]
slug = "council"
kind = "incidents"
path = "b/*.{ext}"
{gates}
{extra}

[[source]]
slug = "housing"
kind = "incidents"
path = "h/*.csv"
"""
GOOD = ("incident_ref,agency,authority,reported_date,asb_category,asb_type\n"
        "H1,housing,Erewash,2025-04-02,nuisance,noise\n")


def _header(first: str, second: str) -> list[str]:
    return ["incident_ref", "agency", "authority", first, "asb_category", "asb_type", second]


def _rows(same: bool) -> list[list[str]]:
    return [["C1", "council", "Erewash", "2025-04-20", "nuisance", "noise", "2025-04-20" if same else "2025-05-01"],
            ["C2", "council", "Erewash", "2025-04-21", "nuisance", "noise", "2025-04-21" if same else "2025-05-02"]]


def _csv(header: list[str], rows: list[list[str]], short: bool = False) -> str:
    lines = [",".join(header), *(",".join(r) for r in rows)]
    if short:   # a record with too few fields: the careful reader reads the file
        lines.append("C9,council,Erewash")
    return "\n".join(lines) + "\n"


WARN = '[source.gates]\nunreadable_file = "warn"'


def _inputs(root, header, rows, ext="csv", extra="", short=False, files=1, gates=WARN):
    if ext == "xlsx":
        path = root / "in" / "b" / "c.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet()
        for r, row in enumerate([header, *rows]):
            sheet.write_row(r, 0, row)
        book.close()
        content = {}
    else:
        content = {f"b/c{n}.csv": _csv(header, [[f"{r[0]}{n}", *r[1:]] for r in rows], short) for n in range(files)}
    return write_inputs(root / "in", TOML.format(ext=ext, extra=extra, gates=gates), {**content, "h/h.csv": GOOD})


def _build(inputs):
    return run_build(inputs, as_of=dt.date(2025, 6, 30))


READERS = [pytest.param("csv", False, 1, id="duckdb"), pytest.param("csv", True, 1, id="careful"),
           pytest.param("csv", False, 2, id="batch"), pytest.param("xlsx", False, 1, id="workbook")]
SPELLINGS = [pytest.param("reported_date", "reported_date", id="repeated"),
             pytest.param("Reported Date", "reported_date", id="two-spellings")]


@pytest.mark.parametrize("ext, short, files", READERS)
@pytest.mark.parametrize("first, second", SPELLINGS)
def test__build__two_columns_for_one_with_other_values_refuse_the_file(tmp_path, monkeypatch, ext, short, files,
                                                                       first, second):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    result, con = _build(_inputs(tmp_path, _header(first, second), _rows(same=False), ext, short=short, files=files))
    loads = con.execute("select source_file, rows_loaded, file_error from etl_loads where source = 'council' "
                        "order by 1").fetchall()
    assert len(loads) == files
    for name, loaded, error in loads:
        assert loaded == 0, loads
        assert error.startswith(f"{name}: its header has 2 columns that could be reported_date "
                                f"({first!r} in column 4 and {second!r} in column 7), with other values in 2 "
                                "of 2 records: say which one is reported_date under [source.columns]"), error
        assert f'reported_date = "{first}" for the first' in error
        assert "for the second" in error
    # a bad file never takes the others down; no day of either column was published
    assert con.execute("select incident_id from incidents").fetchall() == [("housing:H1",)]
    assert not any(str(d) in {"2025-04-20", "2025-05-01"} for (d,) in
                   con.execute("select reported_date from incidents").fetchall())


@pytest.mark.parametrize("ext, short, files", READERS)
@pytest.mark.parametrize("first, second", SPELLINGS)
def test__build__two_columns_for_one_with_the_same_values_load_once_with_a_note(tmp_path, monkeypatch, ext, short,
                                                                                files, first, second):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    _, con = _build(_inputs(tmp_path, _header(first, second), _rows(same=True), ext, short=short, files=files))
    got = con.execute("select reported_date from incidents where source = 'council' order by 1").fetchall()
    assert [d.isoformat() for (d,) in got] == sorted(["2025-04-20", "2025-04-21"] * files)
    for (note,) in con.execute("select file_note from etl_loads where source = 'council'").fetchall():
        assert (f"its header has 2 columns that could be reported_date ({first!r} in column 4 and {second!r} in "
                "column 7), with the same value in every record: read once") in note, note


def test__build__by_default_the_refused_file_keeps_the_previous_warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    with pytest.raises(build.BuildError, match=r"unreadable_file.*b/c0.csv: its header has 2 columns that could "
                                               r"be reported_date"):
        _build(_inputs(tmp_path, _header("Date", "Date"), _rows(same=False), gates="",
                       extra='[source.columns]\nreported_date = "date"'))


@pytest.mark.parametrize("chosen, column, other, days", [
    ("Date_1", 7, 4, ["2025-05-01", "2025-05-02"]), ("Date", 4, 7, ["2025-04-20", "2025-04-21"])])
def test__build__a_column_chosen_by_its_exact_name_is_read_and_the_note_says_which(tmp_path, monkeypatch, chosen,
                                                                                   column, other, days):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    _, con = _build(_inputs(tmp_path, _header("Date", "Date"), _rows(same=False),
                            extra=f'[source.columns]\nreported_date = "{chosen}"'))
    assert [d.isoformat() for (d,) in con.execute(
        "select reported_date from incidents where source = 'council' order by 1").fetchall()] == days
    note = con.execute("select file_note from etl_loads where source = 'council'").fetchall()[0][0]
    assert (f"reported_date is read from column {column} ({chosen!r}), as sources.toml says; column {other} has "
            "the same header") in note


def test__build__a_repeated_header_no_column_reads_changes_nothing(tmp_path, monkeypatch):
    """Two "Notes" columns: neither is read, nothing is said of them (they are ignored columns)."""
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    header = ["incident_ref", "agency", "authority", "reported_date", "Notes", "asb_category", "asb_type", "Notes"]
    rows = [["C1", "council", "Erewash", "2025-04-20", "x", "nuisance", "noise", "y"]]
    _, con = _build(_inputs(tmp_path, header, rows))
    assert con.execute("select rows_loaded, file_error, file_note, ignored_columns from etl_loads "
                       "where source = 'council'").fetchall() == [(1, None, None, "Notes, Notes_1")]


def test__check__says_it_before_the_build(tmp_path):
    reports = {r["source"]: r for r in check.check(_inputs(tmp_path, _header("Date", "date"), _rows(same=False),
                                                            extra='[source.columns]\nreported_date = "DATE"'))}
    council = reports["council"]
    assert council["status"] == "refused", council
    assert "its header has 2 columns that could be reported_date ('Date' in column 4 and 'date' in column 7)" \
        in council["error"]
    same = {r["source"]: r for r in check.check(_inputs(tmp_path / "same", _header("Date", "date"), _rows(same=True),
                                                         extra='[source.columns]\nreported_date = "DATE"'))}
    assert same["council"]["ok"], same["council"]
    assert any("with the same value in every record: read once" in n for n in same["council"]["notes"])
