"""An export that ends every record with a delimiter its header lacks ("...;Market Place;": the
partner-source audit of 6 December 2026) lost every record as a malformed_row reject, and the
reject-share gate advised the encoding, skip_rows or the column map, none of which helps. Such a
file is read without that empty last field, and its file note says so; a file where only some
records have one field too many keeps them as rejects, each with its number and why."""

from __future__ import annotations

import datetime as dt

from conftest import TEST_KEY, run_build, write_inputs

TOML = """
[[source]]
slug = "av"
kind = "incidents"
path = "f/*.csv"
authority = "Amber Valley"
date_format = "%d/%m/%Y"
[source.columns]
incident_ref = "Ref"
reported_date = "Date Logged"
asb_category = "Category"
asb_type = "ASB Type"
latitude = "Lat"
longitude = "Long"
location_desc = "Where"
[source.constants]
agency = "council"
"""
HEADER = "Ref;Date Logged;Category;ASB Type;Lat;Long;Where"


def _record(n: int, end: str = ";") -> str:
    return f"AV-{n};0{n}/04/2025;Nuisance;noise;53.05{n}0;-1.40{n}0;Market Place{end}"


def _build(tmp_path, monkeypatch, lines: list[str]):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    inputs = write_inputs(tmp_path / "in", TOML, {"f/a.csv": "\r\n".join([HEADER, *lines]) + "\r\n"})
    return run_build(inputs, as_of=dt.date(2025, 6, 30))[1]


def test__every_record_ending_with_a_delimiter_is_read_without_it(tmp_path, monkeypatch):
    con = _build(tmp_path, monkeypatch, [_record(n) for n in range(1, 10)])
    assert con.execute("select count(*) from incidents").fetchall()[0][0] == 9
    assert con.execute("select count(*) from etl_rejects").fetchall()[0][0] == 0
    assert con.execute("select location_desc from incidents limit 1").fetchall()[0][0] == "Market Place"
    note = con.execute("select file_note from etl_loads").fetchall()[0][0]
    assert note == "every record ends with a delimiter (';') the header does not: read as no field (9 records)"


def test__some_records_one_field_too_long_stay_rejects(tmp_path, monkeypatch):
    lines = [_record(n, "") for n in range(1, 9)] + [_record(9)]
    con = _build(tmp_path, monkeypatch, lines)
    assert con.execute("select count(*) from incidents").fetchall()[0][0] == 8
    (row, code, reason), = con.execute("select source_row, reason_code, reason from etl_rejects").fetchall()
    assert (row, code) == (10, "malformed_row")
    assert "its last field empty: a delimiter after the last value?" in reason


def test__the_build_summary_names_the_reasons_of_its_rejects(tmp_path, monkeypatch):
    """The summary said only "1 rejected rows": it now says which reasons, and where to look."""
    from etl import build, cli

    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    lines = [_record(n, "") for n in range(1, 8)] + [_record(8), "AV-9;31/02/2025;Nuisance;noise;53.05;-1.40;Park"]
    inputs = write_inputs(tmp_path / "in", TOML, {"f/a.csv": "\r\n".join([HEADER, *lines]) + "\r\n"})
    result = build.build(inputs, tmp_path / "w.duckdb", dt.date(2025, 6, 30))
    assert result.reject_reasons == {"bad_date": 1, "malformed_row": 1}
    assert ("2 rejected rows (1 bad_date, 1 malformed_row; etl_rejects and the Data quality page list them)"
            in cli._summary(result))


def test__a_duplicate_key_names_the_values_it_did_not_take(tmp_path, monkeypatch):
    """A cumulative export corrects a record (the hate flag, the type) in a later file: the build
    keeps the first file's and rejects the correction; its reason names what differs, so the
    partner sees which value was not taken (the partner-source audit)."""
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    april = [_record(1, ""), _record(2, "")]
    may = [_record(1, ""), _record(2, "").replace(";noise;", ";littering;")]
    inputs = write_inputs(tmp_path / "in", TOML, {
        "f/a_2025-04.csv": "\r\n".join([HEADER, *april]) + "\r\n",
        "f/b_2025-05.csv": "\r\n".join([HEADER, *may]) + "\r\n"})
    con = run_build(inputs, as_of=dt.date(2025, 6, 30))[1]
    (reason,), = con.execute("select reason from etl_rejects where reason_code = 'duplicate_key'").fetchall()
    assert reason == "incident_ref 'AV-2' already used in f/a_2025-04.csv row 3 with other values (asb_type)", reason
    assert con.execute("select rule, count(*) from etl_merged group by 1").fetchall() == [("repeated_row", 1)]
