"""A phone number, an e-mail or a name typed into a coordinate column never reaches the warehouse.

A partner's incident file may carry contact details in its latitude, longitude, easting or
northing cell, alone or beside a good other half of the pair. Text that is not a number is a
`bad_value` reject whose reason and raw values are scrubbed (etl/transform/scrub.py); a phone
number written as one run of digits ("07700900123", "+447700900123") reads as a number, so the
row used to reach location, where the unplaceable reason quoted it and its raw values kept it
("latitude/longitude 7700900123.0, empty is not a usable point"). One real build of a hand-made
file; every column of every table (text or not) is searched for the digits.
"""

from __future__ import annotations

import csv
import io
import json

import duckdb
import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, build_module_warehouse, text_holding, write_inputs

VALUES = ["07700 900123", "+44 7700 900123", "call 07700900123", "jane@example.com", "Mrs Patel",
          "52.9, ring 07700 900123", "07700900123", "+447700900123", "447700900123", "7700900123",
          "07700900123.5"]
# the other half of each pair, when the row gives it
OTHER = {"latitude": ("longitude", "-1.3"), "longitude": ("latitude", "52.9"),
         "easting": ("northing", "340000"), "northing": ("easting", "445000")}
FORBIDDEN = ["7700900", "900123", "07700", "447700", "example.com", "jane", "patel"]


def _row(ref: str, **values: str) -> dict[str, str]:
    row = dict(zip(INCIDENT_COLUMNS, [ref, "council", "", "2025-03-03", "", "personal", "noise", "", "", "",
                                      "", "NG10 1AA", "Market Place", f"ECN-{ref}", "individual", "N"], strict=True))
    row.update(values)
    return row


def _file() -> str:
    """Each value in each coordinate column, alone and beside a good other half (no postcode, so
    the coordinate is what places the row); two good rows a postcode places, and two rows with a
    real coordinate outside Great Britain whose reason still quotes it."""
    rows = [_row("G1"), _row("G2"), _row("S1", latitude="1.5", longitude="52.9", postcode=""),
            _row("S2", easting="336456", postcode="")]
    for column, (other, good) in OTHER.items():
        for n, value in enumerate(VALUES):
            rows.append(_row(f"{column}-{n}", postcode="", **{column: value}))
            rows.append(_row(f"{column}-{n}-pair", postcode="", **{column: value, other: good}))
    out = io.StringIO()
    writer = csv.DictWriter(out, INCIDENT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coordinates")
    inputs = write_inputs(folder / "in", EREWASH_TOML + '[source.gates]\nreject_share = "warn"\n',
                          {"erewash/e.csv": _file()})
    con = duckdb.connect(str(build_module_warehouse(inputs)), read_only=True)
    yield con
    con.close()


def test__coordinates__no_contact_detail_typed_into_one_reaches_any_column_of_any_table(built):
    assert text_holding(built, FORBIDDEN) == []


def test__coordinates__every_row_is_rejected_with_a_reason_that_names_the_column(built):
    rejects = built.execute("select reason_code, reason, raw_values from etl_rejects").fetchall()
    assert len(rejects) == 2 * len(VALUES) * len(OTHER) + 2
    assert built.execute("select count(*) from incident_reports").fetchone()[0] == 2
    reasons = {reason for _, reason, _ in rejects}
    # a number that is no coordinate is named as such; the good half and real points stay quoted
    assert "latitude/longitude [not a coordinate], empty is not a usable point in Great Britain" in reasons
    assert "latitude/longitude 52.9, [not a coordinate] is not a usable point in Great Britain" in reasons
    assert "easting/northing 445000.0, [not a coordinate] is not a usable British National Grid point" in reasons
    assert "latitude/longitude 1.5, 52.9 is not a usable point in Great Britain" in reasons
    assert "easting/northing 336456.0, empty is not a usable British National Grid point" in reasons
    assert "latitude '[phone]' is not a number" in reasons and "northing '[name]' is not a number" in reasons
    # the quotes round a value stay round its placeholder (an e-mail took the opening one with it)
    assert "easting '[email]' is not a number" in reasons
    raw = [json.loads(r) for code, _, r in rejects if code == "unplaceable"]
    assert {"incident_ref": "S1", "latitude": 1.5, "longitude": 52.9} == {
        k: v for k, v in next(r for r in raw if r["incident_ref"] == "S1").items()
        if k in ("incident_ref", "latitude", "longitude")}
