"""Hostile partner files through the real build (the second ingest probe): half a coordinate pair
(a latitude without its longitude, a police file without its Longitude column), and names and
house numbers the scrub missed (a case reference with a non-breaking space, "12 The Crescent",
"JOHN SMITH"). Every record is loaded, merged or rejected once with its file, its row and a
reason, a bad record never takes the build down, and no personal data reaches the warehouse."""

from __future__ import annotations

import duckdb
import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, csv_text, incident_row, run_build, write_inputs

HEADER = ",".join(INCIDENT_COLUMNS)
POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                 "Crime type,Last outcome category,Context")
POLICE_TOML = EREWASH_TOML + """
[[source]]
slug = "police"
kind = "police_uk"
path = "police/*.csv"
"""


def accounted(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(file, read, loaded, rejected, merged) per file, each checked to add up."""
    got = con.execute("select source_file, rows_read, rows_loaded, rows_rejected, rows_merged from etl_loads "
                      "order by 1").fetchall()
    assert all(read == loaded + rejected + merged for _, read, loaded, rejected, merged in got)
    return got


# --- half a coordinate pair ----------------------------------------------------------------------

def test__half_a_coordinate_pair_is_an_unplaceable_reject_not_a_failed_build(tmp_path):
    """A latitude without its longitude (an empty cell, or a police file without the column) used
    to write a reject whose reason was null (DuckDB's `format` with a null argument), and the NOT
    NULL constraint on etl_rejects.reason failed the whole build."""
    police = csv_text(POLICE_HEADER.replace("Longitude,", ""),
                      ",2025-03,Derbyshire Constabulary,Derbyshire Constabulary,53.100783,On or near Meadow Lane,"
                      "E01019400,Amber Valley 001A,Anti-social behaviour,,")
    files = {"erewash/e.csv": csv_text(HEADER, incident_row("A1"), incident_row("A2", 2, latitude="52.97", postcode=""),
                                       incident_row("A3", 3, northing="336456"), incident_row("A4", 4, longitude="-1.3")),
             "police/2025-03-derbyshire-street.csv": police}
    _, con = run_build(write_inputs(tmp_path / "in", POLICE_TOML + '[source.gates]\nreject_share = "warn"\n', files))
    assert accounted(con) == [("erewash/e.csv", 4, 1, 3, 0), ("police/2025-03-derbyshire-street.csv", 1, 0, 1, 0)]
    assert con.execute("select source_file, source_row, reason_code, reason from etl_rejects order by 1, 2").fetchall() == [
        ("erewash/e.csv", 3, "unplaceable", "latitude/longitude 52.97, empty is not a usable point in Great Britain"),
        ("erewash/e.csv", 4, "unplaceable",
         "easting/northing empty, 336456.0 is not a usable British National Grid point"),
        ("erewash/e.csv", 5, "unplaceable", "latitude/longitude empty, -1.3 is not a usable point in Great Britain"),
        ("police/2025-03-derbyshire-street.csv", 2, "unplaceable",
         "latitude/longitude 53.100783, empty is not a usable point in Great Britain")]


# --- personal data in free text and loose references -----------------------------------------------

def personal_text(con: duckdb.DuckDBPyConnection, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every text column of every warehouse table holding a needle."""
    hits = []
    columns = con.execute("select table_name, column_name from information_schema.columns "
                          "where data_type = 'VARCHAR' or data_type like 'VARCHAR[]%'").fetchall()
    for table, column in columns:
        for needle in needles:
            if con.execute(f'select count(*) from "{table}" where contains(lower("{column}"::varchar), ?)',
                           [needle.lower()]).fetchone()[0]:
                hits.append((table, column, needle))
    return hits


def test__names_and_house_numbers_in_capitals_or_with_a_non_breaking_space_never_reach_the_warehouse(tmp_path):
    """A case reference written with a non-breaking space ("Mrs Patel" pasted from a web page) was
    not looked at (DuckDB's \\s is ASCII's); "12 The Crescent" and "JOHN SMITH" stayed whole in a
    free-text column."""
    header = HEADER + ",case_ref"
    files = {"erewash/e.csv": csv_text(
        header, incident_row("A1") + ",Mrs\u00a0Patel", incident_row("A2", 2, location_desc="Outside 12 The Crescent") + ",C-1",
        incident_row("A3", 3, location_desc="JOHN SMITH at the door") + ",C-2", incident_row("A4", 4) + ",C-3")}
    _, con = run_build(write_inputs(tmp_path / "in", EREWASH_TOML, files))
    assert accounted(con) == [("erewash/e.csv", 4, 4, 0, 0)]
    assert personal_text(con, ["Patel", "Crescent", "SMITH"]) == []
    assert con.execute("select source_row, case_ref, location_desc from incidents order by 1").fetchall() == [
        (2, "[name]", "Market Place"), (3, "C-1", "Outside [address]"), (4, "C-2", "[name] at the door"),
        (5, "C-3", "Market Place")]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test__a_record_with_one_field_too_many_and_an_empty_last_field_is_rejected_not_shifted(tmp_path, newline):
    """An unquoted comma in the text ("Market Place, Ilkeston") and an empty last field make one
    field too many, which DuckDB's reader took for a trailing delimiter: every value after the comma
    moved one column right, silently (the person reference read as the victim type). The record is
    now rejected with its own row number and why, in one file and in a partner's monthly batch, and
    the other records load as they are."""
    shifted = incident_row("A2", 2, location_desc="Market Place, Ilkeston", is_hate="")
    files = {"erewash/e1.csv": csv_text(HEADER, incident_row("A1"), shifted, incident_row("A3", 3, is_hate=""))}
    for month in (2, 3):  # a batch of files sharing a header: read together unless one is broken
        files[f"erewash/m{month}.csv"] = csv_text(HEADER, incident_row(f"M{month}", month))
    files["erewash/m4.csv"] = csv_text(HEADER, incident_row("M4", 4), shifted.replace("A2", "M5"))
    files = {name: text.replace("\n", newline) for name, text in files.items()}   # Excel writes CRLF
    _, con = run_build(write_inputs(tmp_path / "in", EREWASH_TOML, files))
    rejects = con.execute("select source_file, source_row, reason_code, reason from etl_rejects order by 1, 2").fetchall()
    assert [(f.split("/")[-1], r) for f, r, _, _ in rejects] == [("e1.csv", 3), ("m4.csv", 3)]
    assert all("17 fields, the header has 16" in reason for *_, reason in rejects), rejects
    loaded = dict(con.execute("select split_part(incident_id, ':', 2), victim_type from incidents").fetchall())
    assert set(loaded) == {"A1", "A3", "M2", "M3", "M4"} and set(loaded.values()) == {"individual"}
    assert accounted(con)
