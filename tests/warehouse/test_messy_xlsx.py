"""Messy partner workbooks through the real build: title rows, mixed date cells, blank and "Total"
rows, merged header cells, a chosen sheet, numbers stored as text; and what Excel makes of a sheet
named .csv (a workbook renamed, "Unicode Text" in UTF-16). Every record is loaded, merged or
rejected exactly once and numbered so the partner can find it in the workbook.

Numbering (etl/sources/readers.py, etl_rejects.source_row "record number in the file, header = 1"):
an XLSX record's number is its row number in the sheet as Excel shows it. Title rows above the
header count (as skipped lines do in a CSV); a row with no value in any cell is no record (like a
blank CSV line) but Excel still numbers it, so the records after it keep their Excel numbers:

    row 1   Erewash ASB export (merged A1:P1)     skipped (skip_rows = 2)
    row 2   Run 01/04/2025                        skipped
    row 3   incident_ref, agency, ...             header
    row 4   X1, council, ...                      loaded, source_row 4
    row 5   (blank)                               no record
    row 6   X2, council, ...                      loaded, source_row 6
    row 7   Total, 2                              one reject, source_row 7

One build (module scope) holds every variant as its own source; the tests are parametrized over
the variants and check their own source's rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
from conftest import INCIDENT_COLUMNS, run_build, write_inputs

from etl.sources import config

HEADER = INCIDENT_COLUMNS
MARCH_31 = dt.date(2025, 3, 31)
APPLICATION_COLUMNS = ["application_ref", "person_ref", "received_date", "acknowledged_date", "decision",
                       "decision_date", "review_date", "outcome"]


def record(ref: str, reported=dt.date(2025, 3, 3), person="ECN-1", occurred=None, desc="Market Place") -> list:
    """One incident row in the canonical column order; None is an empty cell."""
    return [ref, "council", None, reported, occurred, "personal", "noise", None, None, None, None, "NG10 1AA",
            desc, person, "individual", "N"]


TITLE = ["Erewash Borough Council: ASB cases"] + [None] * (len(HEADER) - 1)
RUN = ["Run 01/04/2025 09:00"] + [None] * (len(HEADER) - 1)
BLANK = [None] * len(HEADER)


@dataclass
class Sheet:
    rows: list[list]
    merged: tuple[str, ...] = ()  # ranges such as "A1:P1"


@dataclass
class Variant:
    toml: str                                # extra keys of the source (after authority)
    files: dict[str, dict[str, Sheet] | bytes]  # file name -> sheet name -> sheet (first first), or bytes
    loaded: dict[str, list[int]]             # file -> Excel rows loaded
    rejected: dict[str, list[int]] = field(default_factory=dict)   # file -> Excel rows rejected
    refused: dict[str, str] = field(default_factory=dict)          # file -> text in etl_loads.file_error
    kind: str = "incidents"


def _rows(n: int, prefix: str, start: int = 1) -> list[list]:
    return [record(f"{prefix}{i}", person=f"ECN-{prefix}{i}") for i in range(start, start + n)]


VARIANTS: dict[str, Variant] = {
    "one title row, skip_rows = 1": Variant(
        "skip_rows = 1\n", {"a.xlsx": {"Sheet1": Sheet([TITLE, HEADER, *_rows(3, "T")])}},
        {"a.xlsx": [3, 4, 5]}),
    "two title rows (one merged), skip_rows = 2": Variant(
        "skip_rows = 2\n", {"a.xlsx": {"Sheet1": Sheet([TITLE, RUN, HEADER, *_rows(3, "U")], ("A1:P1",))}},
        {"a.xlsx": [4, 5, 6]}),
    "two title rows, no skip_rows: refused, the other file loads": Variant(
        '[source.gates]\nunreadable_file = "warn"\n',
        {"a.xlsx": {"Sheet1": Sheet([TITLE, RUN, HEADER, *_rows(3, "V")], ("A1:P1",))},
         "b.xlsx": {"Sheet1": Sheet([HEADER, *_rows(2, "W")])}},
        # refused, its records below the line taken for the header each a file_refused reject
        {"a.xlsx": [], "b.xlsx": [2, 3]}, {"a.xlsx": [2, 3, 4, 5, 6]}, refused={"a.xlsx": "set skip_rows = 2"}),
    "group labels merged above the header, skip_rows = 1": Variant(
        "skip_rows = 1\n",
        {"a.xlsx": {"Sheet1": Sheet([["Report", None, None, None, None, None, None, "Place"] + [None] * 5
                                     + ["Person", None, None], HEADER, *_rows(2, "G")],
                                    ("A1:G1", "H1:M1", "N1:P1"))}},
        {"a.xlsx": [3, 4]}),
    "a header cell merged across two columns": Variant(
        "", {"a.xlsx": {"Sheet1": Sheet([HEADER[:13] + [None] + HEADER[13:],
                                         *[r[:13] + ["(continued)"] + r[13:] for r in _rows(2, "M")]],
                                        ("M1:N1",))}},
        {"a.xlsx": [2, 3]}),
    "blank rows between records and a Total row": Variant(
        "", {"a.xlsx": {"Sheet1": Sheet([HEADER, *_rows(2, "B"), BLANK, BLANK, *_rows(1, "B", 3), BLANK,
                                         ["Total", 3] + [None] * (len(HEADER) - 2), BLANK, BLANK])}},
        {"a.xlsx": [2, 3, 6]}, rejected={"a.xlsx": [8]}),
    "the data on the second sheet, chosen by sheet =": Variant(
        'sheet = "Data"\n',
        {"a.xlsx": {"Read me": Sheet([["This workbook holds the ASB cases"], ["Do not edit"]]),
                    "Data": Sheet([HEADER, *_rows(2, "S")])}},
        {"a.xlsx": [2, 3]}),
    # a cover or notes sheet first and no sheet declared: the refusal names the sheet that fits
    "a cover sheet first, no sheet declared: refused, naming the sheet that fits": Variant(
        '[source.gates]\nunreadable_file = "warn"\n',
        {"a.xlsx": {"Cover": Sheet([["ASB cases export"], ["Generated 01/04/2025"]]),
                    "Cases": Sheet([HEADER, *_rows(2, "V")])}},
        # the sheet read (the cover) has one record below its first line, rejected with the file
        {"a.xlsx": []}, {"a.xlsx": [2]}, refused={"a.xlsx": "sheet 'Cases' fits: set sheet = \"Cases\" in sources.toml"}),
    "a sheet that is not there: refused, naming the sheets": Variant(
        'sheet = "Cases"\n[source.gates]\nunreadable_file = "warn"\n',
        {"a.xlsx": {"Data": Sheet([HEADER, *_rows(2, "N")])}}, {"a.xlsx": []}, refused={"a.xlsx": "'Data'"}),
    "mixed date cells": Variant(
        'date_format = "%d/%m/%Y"\n',
        {"a.xlsx": {"Sheet1": Sheet([HEADER,
                                     record("D-date-cell", MARCH_31, "ECN-D1", occurred=MARCH_31),
                                     record("D-datetime-cell", dt.datetime(2025, 3, 31, 14, 5), "ECN-D2",
                                            occurred=dt.datetime(2025, 3, 31, 9, 0)),
                                     record("D-declared-text", "31/03/2025", "ECN-D3", occurred="31/03/2025"),
                                     record("D-iso-text", "2025-03-31", "ECN-D4", occurred="2025-03-31"),
                                     record("D-serial", 45747, "ECN-D5", occurred=45747),
                                     record("D-serial-text", "45747", "ECN-D6", occurred="45747"),
                                     record("D-empty-occurred", MARCH_31, "ECN-D7")])}},
        {"a.xlsx": [2, 3, 4, 5, 6, 7, 8]}),
    "datetime cells in a source that writes UTC": Variant(
        'timezone = "UTC"\n',
        {"a.xlsx": {"Sheet1": Sheet([HEADER,
                                     record("Z-late", dt.datetime(2025, 3, 31, 23, 30), "ECN-Z1"),
                                     record("Z-evening", dt.datetime(2025, 3, 31, 22, 30), "ECN-Z2")])}},
        {"a.xlsx": [2, 3]}),
    "person refs as numbers and as text": Variant(
        "", {"a.xlsx": {"Sheet1": Sheet([HEADER, record("P1", dt.date(2025, 3, 3), 540123),
                                         record("P2", dt.date(2025, 3, 10), "540123"),
                                         record("P3", dt.date(2025, 3, 17), " 540123 "),
                                         record("P4", dt.date(2025, 3, 24), 540123.0),
                                         record(1001, dt.date(2025, 3, 25), "ECN-Q1")])}},
        {"a.xlsx": [2, 3, 4, 5, 6]}),
    "a workbook saved with a .csv name: refused as a workbook": Variant(
        '[source.gates]\nunreadable_file = "warn"\n',
        {"export.csv": {"Sheet1": Sheet([HEADER, *_rows(2, "K")])},
         "b.xlsx": {"Sheet1": Sheet([HEADER, *_rows(1, "L")])}},
        {"export.csv": [], "b.xlsx": [2]}, refused={"export.csv": "Excel workbook"}),
    "Excel's Unicode Text (UTF-16, tabs) saved as .csv": Variant(
        "", {"export.csv": ("\ufeff" + "\r\n".join("\t".join("" if v is None else str(v) for v in r) for r in [
            HEADER, record("U16-1", dt.date(2025, 3, 3), "ECN-Y1", desc="Café £5 shop"),
            record("U16-2", dt.date(2025, 3, 4), "ECN-Y2")]) + "\r\n").encode("utf-16")},
        {"export.csv": [2, 3]}),
    "applications with empty optional dates": Variant(
        "", {"a.xlsx": {"Sheet1": Sheet([APPLICATION_COLUMNS,
                                         ["CT1", "ECN-A1", dt.date(2025, 3, 3), None, "pending", None, None, None],
                                         ["CT2", "ECN-A2", "2025-03-04", dt.date(2025, 3, 5), "met",
                                          45726, None, "pending"],
                                         BLANK[:8]])}},
        {"a.xlsx": [2, 3]}, kind="applications"),
}
SLUGS = {name: f"v{n}" for n, name in enumerate(VARIANTS)}


def save_workbook(path: Path, sheets: dict[str, Sheet]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, sheet in sheets.items():
        ws = book.create_sheet(name)
        for r, row in enumerate(sheet.rows, 1):
            for c, value in enumerate(row, 1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
        for merged in sheet.merged:
            ws.merge_cells(merged)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def excel_records(path: Path, sheet: str | None, skip_rows: int) -> list[int]:
    """Excel row numbers of the records below the header, as openpyxl (read-only, values only) reads
    the sheet: a row with no value in any cell is no record. A .csv (Excel's Unicode Text) is read
    with the csv module instead: UTF-16 by its byte-order mark, the delimiter sniffed."""
    if path.suffix == ".csv":
        data = path.read_bytes()
        text = data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig")
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t|")
        records = [r for r in csv.reader(io.StringIO(text, newline=""), dialect) if any(c.strip() for c in r)]
        return list(range(skip_rows + 2, skip_rows + 1 + len(records)))
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = book[sheet] if sheet else book.worksheets[0]
    rows = [n for n, row in enumerate(ws.iter_rows(values_only=True), 1)
            if n > skip_rows + 1 and any(v is not None and str(v).strip() for v in row)]
    book.close()
    return rows


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("messy_xlsx")
    toml = []
    for name, v in VARIANTS.items():
        slug = SLUGS[name]
        toml.append(f'[[source]]\nslug = "{slug}"\nkind = "{v.kind}"\npath = "{slug}/*"\n'
                    f'authority = "E07000036"\n{v.toml}')
        for file, content in v.files.items():
            if isinstance(content, bytes):
                (root / "in" / slug).mkdir(parents=True, exist_ok=True)
                (root / "in" / slug / file).write_bytes(content)
            else:
                save_workbook(root / "in" / slug / file, content)
    inputs = write_inputs(root / "in", "\n".join(toml), {})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
        result, con = run_build(inputs, root / "warehouse.duckdb")
    yield inputs, result, con
    con.close()


def _table(kind: str) -> str:
    return {"incidents": "incident_reports", "applications": "applications"}[kind]


@pytest.mark.parametrize("name", list(VARIANTS))
def test__xlsx__every_record_once_numbered_as_excel_shows_it(built, name):
    inputs, _, con = built
    v, slug = VARIANTS[name], SLUGS[name]
    for file in v.files:
        rel = f"{slug}/{file}"
        read, loaded, rejected, merged, error = con.execute("""select rows_read, rows_loaded, rows_rejected,
            rows_merged, file_error from etl_loads where source = ? and source_file = ?""", [slug, rel]).fetchall()[0]
        assert read == loaded + rejected + merged
        got_loaded = [r[0] for r in con.execute(f"select source_row from {_table(v.kind)} where source = ? "
                                                "and source_file = ? order by 1", [slug, rel]).fetchall()]
        got_rejected = [r[0] for r in con.execute("select source_row from etl_rejects where source = ? and "
                                                  "source_file = ? order by 1", [slug, rel]).fetchall()]
        assert got_loaded == v.loaded[file], rel
        assert got_rejected == v.rejected.get(file, []), rel
        if file in v.refused:   # its records, if it could tell them, each rejected as file_refused
            assert read == rejected == len(v.rejected.get(file, [])) and v.refused[file] in error, error
            assert {r for (r,) in con.execute("select reason_code from etl_rejects where source = ? and "
                                              "source_file = ?", [slug, rel]).fetchall()} <= {"file_refused"}
            continue
        assert error is None
        source = next(s for s in config.load(inputs).sources if s.slug == slug)
        assert read == len(excel_records(inputs / rel, source.sheet, source.skip_rows)) == len(
            got_loaded) + len(got_rejected)


def test__xlsx__a_refused_file_says_why_and_the_build_goes_on(built):
    _, result, con = built
    errors = dict(con.execute("select source_file, file_error from etl_loads where file_error is not null").fetchall())
    refused = {f"{SLUGS[n]}/{f}" for n, v in VARIANTS.items() for f in v.refused}
    assert set(errors) == refused
    title = errors[f"{SLUGS['two title rows, no skip_rows: refused, the other file loads']}/a.xlsx"]
    assert "header looks like line 3 of sheet 'Sheet1': set skip_rows = 2 in sources.toml" in title
    assert any("unreadable_file (warn)" in n for n in result.notes)
    assert con.execute("select count(*) from incidents").fetchall()[0][0] > 20


@pytest.mark.parametrize(("ref", "reported", "occurred"), [
    ("D-date-cell", MARCH_31, MARCH_31),
    ("D-datetime-cell", MARCH_31, MARCH_31),
    ("D-declared-text", MARCH_31, MARCH_31),
    ("D-iso-text", MARCH_31, MARCH_31),
    ("D-serial", MARCH_31, MARCH_31),
    ("D-serial-text", MARCH_31, MARCH_31),
    ("D-empty-occurred", MARCH_31, MARCH_31),    # an empty occurred_date defaults to reported, not a reject
    ("Z-late", dt.date(2025, 4, 1), dt.date(2025, 4, 1)),  # 23:30 UTC is 00:30 BST on 1 April
    ("Z-evening", MARCH_31, MARCH_31),
])
def test__xlsx__every_kind_of_date_cell_falls_on_the_right_day(built, ref, reported, occurred):
    _, _, con = built
    got = con.execute("""select i.reported_date, i.occurred_date from incident_reports r
        join incidents i using (incident_id) where r.report_id like '%:' || ?""", [ref]).fetchall()
    assert got == [(reported, occurred)]


def test__xlsx__empty_optional_dates_are_null_not_rejects(built):
    _, _, con = built
    slug = SLUGS["applications with empty optional dates"]
    rows = con.execute("""select application_ref, received_date, acknowledged_date, decision_date, review_date,
        date_errors from applications where source = ? order by 1""", [slug]).fetchall()
    assert rows == [("CT1", dt.date(2025, 3, 3), None, None, None, None),
                    ("CT2", dt.date(2025, 3, 4), dt.date(2025, 3, 5), dt.date(2025, 3, 10), None, None)]


def test__xlsx__person_refs_typed_as_numbers_or_text_are_one_person_and_refs_keep_no_decimals(built):
    _, _, con = built
    slug = SLUGS["person refs as numbers and as text"]
    keys = con.execute("""select count(distinct person_key) from incidents
        where source = ? and incident_id not like '%:1001'""", [slug]).fetchall()
    assert keys == [(1,)]
    assert con.execute("select incident_id from incidents where source = ? and incident_id like '%1001%'",
                       [slug]).fetchall() == [(f"{slug}:1001",)]


def test__xlsx__unicode_text_keeps_its_accents_and_pound_signs(built):
    _, _, con = built
    slug = SLUGS["Excel's Unicode Text (UTF-16, tabs) saved as .csv"]
    assert con.execute("select location_desc from incidents where source = ? order by incident_id",
                       [slug]).fetchall() == [("Café £5 shop",), ("Market Place",)]


def test__xlsx__merged_and_chosen_sheets_load_the_right_values(built):
    _, _, con = built
    merged = SLUGS["a header cell merged across two columns"]
    assert con.execute("select distinct location_desc from incidents where source = ?", [merged]).fetchall() == [
        ("Market Place",)]
    ignored = con.execute("select ignored_columns from etl_loads where source = ?", [merged]).fetchall()[0][0]
    assert ignored == "column14"
    sheet = SLUGS["the data on the second sheet, chosen by sheet ="]
    assert con.execute("select count(*) from incidents where source = ?", [sheet]).fetchall() == [(2,)]


def _cell_values():
    from hypothesis import strategies as st

    return st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True),
                     st.sampled_from([0.0, 1.0, 2.5, -0.0]), st.text(max_size=4),
                     st.text(st.sampled_from(["a", " ", "\t", "\n", "\x1c", "\x85", "\xa0", "\u200b", "\u2028",
                                              "\u3000", "\ufeff"]), max_size=4),
                     st.dates(dt.date(1999, 12, 30), dt.date(2026, 12, 31)),
                     st.datetimes(dt.datetime(1999, 12, 30), dt.datetime(2026, 12, 31)),
                     st.sampled_from([dt.datetime(2025, 3, 31), dt.date(2025, 3, 31), dt.time(23, 30)]))


def test__xlsx__a_column_s_texts_are_each_cell_s_whatever_it_mixes():
    """A workbook column is converted a distinct value at a time (readers._cells): the texts are
    the cell-by-cell conversion's, whatever the column mixes (True, 1 and 1.0, a date and the same
    day at midnight as a datetime, NaN, times, text with spaces)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from etl.sources import readers

    @settings(max_examples=300, deadline=None)
    @given(st.lists(_cell_values(), max_size=30))
    def check(values):
        column = tuple(values)
        assert readers._cells(column).to_pylist() == [readers._cell(v) for v in column]
        texts = tuple(v for v in values if v is None or type(v) is str)   # pyarrow's trim alone
        assert readers._cells(texts).to_pylist() == [readers._cell(v) for v in texts]

    check()


def test__xlsx__text_cells_are_trimmed_of_what_python_strips():
    """pyarrow trims a workbook's text cells (plain.WHITESPACE) of exactly the characters
    Python's str.strip() removes, which `_cell` uses (and `plain.strip_sql` for a CSV's values)."""
    from etl.transform import plain

    assert plain.WHITESPACE == "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test__xlsx__a_hidden_first_sheet_is_passed_over_for_the_first_visible_one(tmp_path, state):
    """With no `sheet` declared, the sheet read is the first one a partner sees in Excel: a hidden
    (or "very hidden") first sheet, an old copy a template keeps, was read instead and its stale
    record loaded at a row nobody could find (the audit of 6 December 2026), and a chart sheet
    first was "empty". The file's note says which sheets were passed over."""
    from conftest import EREWASH_TOML
    from openpyxl.chart import BarChart, Reference

    book = openpyxl.Workbook()
    old = book.active
    old.title, old.sheet_state = "Old", state
    for row in (HEADER, record("STALE-1")):
        old.append(row)
    cases = book.create_sheet("Cases")
    for row in (HEADER, record("NEW-1"), record("NEW-2", person="ECN-2")):
        cases.append(row)
    chart = book.create_chartsheet("Chart", 0)
    bars = BarChart()
    bars.add_data(Reference(cases, min_col=8, min_row=1, max_row=3))
    chart.add_chart(bars)
    (tmp_path / "erewash").mkdir()
    inputs = write_inputs(tmp_path / "in", EREWASH_TOML.replace("erewash/*.csv", "erewash/*.xlsx"), {})
    (inputs / "erewash").mkdir(exist_ok=True)
    book.save(inputs / "erewash" / "cases.xlsx")
    _, con = run_build(inputs)
    assert con.execute("select incident_id, source_row from incident_reports order by 1").fetchall() == [
        ("erewash_council:NEW-1", 2), ("erewash_council:NEW-2", 3)]
    [(note,)] = con.execute("select file_note from etl_loads").fetchall()
    assert note == ("read sheet 'Cases', the first worksheet Excel shows; passed over: 'Chart' (a chart), 'Old' "
                    f"({'hidden' if state == 'hidden' else 'very hidden'}); set sheet = \"...\" in sources.toml "
                    "to read another")
