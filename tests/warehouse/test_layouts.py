"""Declared layouts: column maps, date styles, value maps, encodings, delimiters, XLSX, BNG; and cases.

Each partner layout is described in sources.toml and read by the one generic reader; the tests
prove every declared feature reaches the same canonical incident.
"""

from __future__ import annotations

import datetime as dt

import pytest
import xlsxwriter
from conftest import run_build, write_inputs

MAPPED = """
[[source]]
slug = "high-peak"
kind = "incidents"
path = "hp/*"
authority = "High Peak"
encoding = "{encoding}"
delimiter = "{delimiter}"
date_format = "{date_format}"
[source.columns]
incident_ref = "Case No"
reported_date = "Date Reported"
asb_category = "Category"
asb_type = "Sub Type"
postcode = "Post Code"
location_desc = "Where"
person_ref = "ECINS Ref"
[source.values.asb_category]
"Personal (targeted)" = "personal"
[source.constants]
agency = "council"
"""


def _mapped_file(delimiter: str, date: str) -> str:
    rows = [["Case No", "Date Reported", "Category", "Sub Type", "Post Code", "Where", "ECINS Ref",
             "Reporter Name", "Contact Phone"],
            ["HP-1", date, "Personal (targeted)", "Noise", "SK17 6AA", "Café on Spring Gardens", "ECN-9",
             "Jane Doe", "07700 900123"]]
    return "\n".join(delimiter.join(r) for r in rows) + "\n"


@pytest.mark.parametrize(("encoding", "delimiter", "date_format", "date", "bom"), [
    ("utf-8", ",", "iso", "2025-03-04", False),
    ("utf-8", ";", "%d/%m/%Y", "04/03/2025", True),
    ("cp1252", ";", "%d-%b-%y", "04-Mar-25", False),
    ("latin-1", ",", "%d/%m/%Y", "04/03/2025 14:30", False),
    ("utf-8", ",", "excel", "45720", False),
])
def test__build__declared_csv_layouts(tmp_path, encoding, delimiter, date_format, date, bom):
    """Every declared CSV variation gives the same incident; personal columns are never read."""
    text = _mapped_file(delimiter, date)
    data = text.encode("utf-8" if encoding.startswith("utf") else "cp1252")
    toml = MAPPED.format(encoding=encoding, delimiter=delimiter, date_format=date_format)
    inputs = write_inputs(tmp_path / "in", toml, {"hp/export.csv": (b"\xef\xbb\xbf" if bom else b"") + data})
    _, con = run_build(inputs)
    assert con.execute("select incident_id, authority_code, reported_date, asb_category, asb_type, "
                       "location_desc from incidents").fetchall() == [
        ("high_peak:HP-1", "E07000037", dt.date(2025, 3, 4), "personal", "noise", "Café on Spring Gardens")]
    assert con.execute("select ignored_columns from etl_loads").fetchall() == [("Reporter Name, Contact Phone",)]


def test__build__xlsx_sheet_bng_and_date_cells(tmp_path):
    """An XLSX sheet with real date cells and British National Grid coordinates."""
    path = tmp_path / "in" / "housing" / "asb.xlsx"
    path.parent.mkdir(parents=True)
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Cover").write(0, 0, "Derbyshire Homes ASB export")
    sheet = book.add_worksheet("ASB Log")
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, ["Ref", "Logged", "Type", "Category", "Easting", "Northing", "Council", "Hate?"])
    sheet.write_row(1, 0, ["H-1", None, "Drugs", "Nuisance", 435200, 336400, "Derby City Council", "Yes"])
    sheet.write_datetime(1, 1, dt.datetime(2025, 5, 6), date)
    sheet.write_row(2, 0, ["H-2", "not a date", "Drugs", "Nuisance", 435200, 336400, "Derby", "No"])
    book.close()
    toml = """
[[source]]
slug = "derbyshire-homes"
kind = "incidents"
path = "housing/*.xlsx"
sheet = "ASB Log"
date_format = "%d/%m/%Y"
[source.columns]
incident_ref = "Ref"
reported_date = "Logged"
asb_type = "Type"
asb_category = "Category"
authority = "Council"
is_hate = "Hate?"
[source.constants]
agency = "housing"
"""
    inputs = write_inputs(tmp_path / "in", toml, {})
    _, con = run_build(inputs)
    assert con.execute("select incident_id, authority_code, reported_date, is_hate, easting, agency "
                       "from incidents").fetchall() == [
        ("derbyshire_homes:H-1", "E06000015", dt.date(2025, 5, 6), True, 435200.0, "housing")]
    assert con.execute("select source_row, reason_code from etl_rejects").fetchall() == [(3, "bad_date")]


def test__build__missing_required_column_rejects_every_row_with_the_reason(tmp_path):
    """A file without a required column: each row is kept as a reject naming the column."""
    # every row is a reject, so the warehouse holds no incident: that gate is off for this test
    toml = MAPPED.format(encoding="utf-8", delimiter=",", date_format="iso") + '[source.gates]\nno_incidents = "off"\n'
    text = _mapped_file(",", "2025-03-04").replace("Date Reported", "Reported On")
    _, con = run_build(write_inputs(tmp_path / "in", toml, {"hp/export.csv": text}))
    assert con.execute("select source_row, reason_code, reason from etl_rejects").fetchall() == [
        (2, "missing_column", "file has no column for reported_date (looked for header 'Date Reported')")]


CASES_TOML = """
[[source]]
slug = "derby-cases"
kind = "applications"
path = "apps.csv"
date_format = "%d/%m/%Y"
[[source]]
slug = "opcc-appeals"
kind = "appeals"
path = "appeals.csv"
"""
APPS = """application_ref,authority,person_ref,received_date,acknowledged_date,decision,decision_date,review_date,outcome
CT-1,Derby,ECN-1,02/01/2025,03/01/2025,Met,10/01/2025,24/01/2025,Recommendations
CT-2,Derby,ECN-2,02/01/2025,,not met,31/12/2024,,
CT-3,Derby,ECN-3,02/01/2025,,met,,,
CT-4,Derby,ECN-4,02/01/2025,,maybe,,,
CT-5,Derby,ECN-5,02/01/2025,,pending,,,
"""
APPEALS = """appeal_ref,application_ref,authority,received_date,grounds,outcome,decision_date
AP-1,CT-1,E06000015,2025-02-01,review_process,upheld,2025-02-20
AP-2,CT-9,E06000015,2025-02-01,review_process,upheld,2025-02-20
AP-3,CT-1,E06000015,2025-02-01,review_process,not_upheld,2025-01-20
"""


def test__build__applications_and_appeals_rules(tmp_path):
    """A bad enum and an unknown application are rejects with reasons; an application's stage dates out
    of order or a decision without its date are data errors on a kept application."""
    _, con = run_build(write_inputs(tmp_path / "in", CASES_TOML, {"apps.csv": APPS, "appeals.csv": APPEALS}))
    assert con.execute("select application_ref, decision, review_date from applications order by 1").fetchall() == [
        ("CT-1", "met", dt.date(2025, 1, 24)), ("CT-2", "not_met", None), ("CT-3", "met", None),
        ("CT-5", "pending", None)]
    errors = dict(con.execute("select application_ref, data_errors from mart_review_turnaround").fetchall())
    assert errors["CT-2"] == "decision_date 2024-12-31 is before received_date 2025-01-02"
    assert errors["CT-3"] == "the threshold decision has no decision_date"
    assert errors["CT-1"] is None and errors["CT-5"] is None
    assert con.execute("select appeal_ref, application_ref from appeals").fetchall() == [("AP-1", "CT-1")]
    rejects = con.execute("select source_file, source_row, reason_code from etl_rejects order by 1, 2").fetchall()
    assert rejects == [("appeals.csv", 3, "unknown_application"), ("appeals.csv", 4, "date_order"),
                       ("apps.csv", 5, "bad_value")]
    assert con.execute("select count(*) from etl_loads where rows_read <> rows_loaded + rows_rejected "
                       "+ rows_merged").fetchall()[0][0] == 0


def test__build__ons_boundaries_give_2021_lsoas_and_wards(tmp_path):
    """[build] boundaries = "ons": LSOA 2021 codes and May 2025 wards from ../shared files."""
    from conftest import real_data

    lsoa = real_data("boundaries", "lsoa21_bgc_derbyshire.geojson")
    wards = real_data("boundaries", "wards_may2025_bgc_derbyshire.geojson")
    toml = (f'[build]\nboundaries = "ons"\nlsoa_path = "{lsoa}"\nward_path = "{wards}"\n'
            + MAPPED.format(encoding="utf-8", delimiter=",", date_format="iso"))
    _, con = run_build(write_inputs(tmp_path / "in", toml, {"hp/export.csv": _mapped_file(",", "2025-03-04")}))
    lsoa_code, ward_code, authority = con.execute(
        "select lsoa_code, ward_code, authority_code from incidents").fetchall()[0]
    names = dict(con.execute("select lsoa_code, lsoa_name from ref_lsoa").fetchall())
    assert names[lsoa_code].startswith("High Peak") and ward_code.startswith("E05")
    assert authority == "E07000037"
    assert con.execute("select count(*) from ref_lsoa").fetchall()[0][0] == 651
    assert con.execute("select boundaries from etl_builds").fetchall()[0][0] == "ons"
