"""A workbook's whole numbers under a zero-padded number format ("00000") are the text Excel shows.

A partner's case system that keeps references or a person's number as numbers shows them with
their leading zeros through the cell's format; its CSV export writes 05001, its workbook holds
5001. calamine gives the number, so the same person sent once as CSV and once as XLSX was two
people (and an incident sent in both, two incidents). The build now reads such a cell as shown
(etl/sources/readers.py `_padded_styles`), in `asb check` as in the build; a number under any
other format is read as before.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
from conftest import INCIDENT_COLUMNS, TEST_KEY, run_build, write_inputs

from etl import cli as etl_cli
from etl.sources import readers

TOML = """
[[source]]
slug = "erewash-xlsx"
kind = "incidents"
path = "erewash/*.xlsx"
authority = "E07000036"

[[source]]
slug = "erewash-csv"
kind = "incidents"
path = "erewash/*.csv"
authority = "E07000036"
"""


def _row(ref, person, day: int) -> list:
    return [ref, "council", None, dt.date(2025, 3, day), None, "personal", "noise", None, None, None, None,
            "DE7 5RP", "Market Place", person, "individual", "N"]


def _workbook(path, rows: list[list], formats: dict[int, str]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(INCIDENT_COLUMNS)
    for row in rows:
        sheet.append(row)
        for column, fmt in formats.items():
            sheet.cell(row=sheet.max_row, column=column + 1).number_format = fmt
    book.save(path)


def test__xlsx__numbers_under_a_zero_padded_format_read_as_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    ref, person = INCIDENT_COLUMNS.index("incident_ref"), INCIDENT_COLUMNS.index("person_ref")
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/e.csv": "\n".join(
        [",".join(INCIDENT_COLUMNS), ",".join(str(v or "") for v in _row("00017", "05001", 1)),
         ",".join(str(v or "") for v in _row("00018", "000123", 2))]) + "\n"})
    _workbook(inputs / "erewash" / "padded.xlsx",
              [_row(17, 5001, 3), _row(18, 123, 4), _row(1234567, 5001, 5)], {ref: "00000", person: "00000"})
    # the same person, wider format: 000123 in the CSV
    _workbook(inputs / "erewash" / "wider.xlsx", [_row("W1", 123, 6)], {person: "000000"})
    # a plain number format keeps the number as it is, and so does a text cell under zeros
    _workbook(inputs / "erewash" / "plain.xlsx", [_row("P1", 5001, 7), _row("P2", "00042", 8)],
              {person: "0", ref: "00000"})
    assert etl_cli.main(["check", "--inputs", str(inputs)]) == 0
    _, con = run_build(inputs, as_of=dt.date(2025, 3, 31))
    assert con.execute("select count(*) from etl_rejects").fetchall() == [(0,)]
    refs = {r for (r,) in con.execute("select incident_id from incidents").fetchall()}
    assert {"erewash_xlsx:00017", "erewash_xlsx:00018", "erewash_xlsx:1234567", "erewash_xlsx:W1",
            "erewash_xlsx:P1", "erewash_xlsx:P2"} <= refs, refs
    people = dict(con.execute("""select source_file || ':' || source_row, person_key from incidents""").fetchall())
    key = {name.rsplit("/", 1)[-1]: k for name, k in people.items()}
    assert key["e.csv:2"] == key["padded.xlsx:2"] == key["padded.xlsx:4"]       # 05001
    assert key["e.csv:3"] == key["wider.xlsx:2"] != key["padded.xlsx:3"]       # 000123, not 00123
    assert key["plain.xlsx:2"] != key["e.csv:2"]                                 # 5001 under "0" is 5001


def test__padded_styles__only_formats_of_zeros_alone(tmp_path):
    import zipfile

    path = tmp_path / "f.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    for n, fmt in enumerate(["00000", "0", "0.00", "000-000", "#,##0", '"ID"0000', "0000;-0000", "dd/mm/yyyy"], 1):
        sheet.cell(row=n, column=1, value=n).number_format = fmt
    book.save(path)
    with zipfile.ZipFile(path) as z:
        widths = sorted(readers._padded_styles(z).values())
    assert widths == [4, 5], widths    # "00000", and "0000;-0000"'s positive section
