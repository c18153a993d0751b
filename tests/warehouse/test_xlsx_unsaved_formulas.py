"""A workbook written by a program that does not calculate formulas (a script using openpyxl, an
export tool) holds formulas with no saved result: calamine reads such a cell as empty, so its rows
were rejects saying "incident_ref is empty" of a cell that is not (the partner-file audit of 6
December 2026). The file's note now says how many cells hold a formula with no saved result, the
first one's reference, and how to mend it; `asb check` shows the same note."""

from __future__ import annotations

import datetime as dt

import openpyxl
from conftest import TEST_KEY, run_build, write_inputs

from etl.sources import check

TOML = """
[[source]]
slug = "housing"
kind = "incidents"
path = "h/*.xlsx"
authority = "E07000036"
[source.constants]
agency = "housing"
[source.gates]
reject_share = "warn"
"""
COLUMNS = ["incident_ref", "reported_date", "asb_category", "asb_type", "location_desc"]


def _inputs(root, formulas: bool):
    inputs = write_inputs(root / "in", TOML, {})
    (inputs / "h").mkdir()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    sheet.append(["H-1", dt.datetime(2025, 3, 10), "nuisance", "noise", "Market Place"])
    if formulas:   # openpyxl writes a formula without its result
        sheet.append(['="H-"&"2"', dt.datetime(2025, 3, 11), "nuisance", "noise", "Market Place"])
        sheet.append(["H-3", "=DATE(2025,3,12)", "nuisance", "noise", "Market Place"])
    else:
        sheet.append(["H-2", dt.datetime(2025, 3, 11), "nuisance", "noise", "Market Place"])
    book.save(inputs / "h" / "cases.xlsx")
    return inputs


NOTE = ("2 cells hold a formula with no saved result (the first: A3), read as empty: the workbook was saved by "
        "a program that does not calculate formulas; open it in Excel (or LibreOffice) and save it again")


def test__build__formulas_without_a_saved_result_are_said_in_the_file_s_note(tmp_path, monkeypatch):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    _, con = run_build(_inputs(tmp_path, formulas=True), as_of=dt.date(2025, 6, 30))
    assert con.execute("select file_note from etl_loads").fetchall() == [(NOTE,)]
    assert con.execute("select count(*) from etl_rejects").fetchall()[0][0] == 2   # as before, now explained


def test__build__a_workbook_without_such_formulas_has_no_note(tmp_path, monkeypatch):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    _, con = run_build(_inputs(tmp_path, formulas=False), as_of=dt.date(2025, 6, 30))
    assert con.execute("select file_note, rows_loaded from etl_loads").fetchall() == [(None, 2)]


def test__check__shows_the_note(tmp_path):
    report = check.check(_inputs(tmp_path, formulas=True))[0]
    assert report["read"]["note"] == NOTE
