"""Locating by distinct location inputs (etl/transform/locate.py): each distinct set of a row's
coordinates, postcode, declared authority and LSOA name is placed once and joined back to its
rows (through a view, or a table written once when the sets are many). Every row must find its
own place exactly once, whatever its inputs hold: nothing at all,
a 0, 0 placeholder (-0.0 too), NaN, the same point under two declared authorities, the same
unusable postcode text under two authorities. A lost row fails the accounting; a row joined to
two places would be counted twice; a place borrowed from another set of inputs shows here."""

from __future__ import annotations

import json

import pytest
from conftest import INCIDENT_COLUMNS, run_build, write_inputs

from etl.transform import locate

COUNTY_TOML = """
[[source]]
slug = "county-feed"
kind = "incidents"
path = "county/*.csv"
"""

ILKESTON = ("52.970600", "-1.309600")   # a point in Erewash


def _row(ref: str, authority: str = "", lat: str = "", lon: str = "", postcode: str = "", easting: str = "",
         northing: str = "") -> str:
    values = dict.fromkeys(INCIDENT_COLUMNS, "")
    values.update(incident_ref=ref, agency="council", authority=authority, reported_date="2025-03-04",
                  asb_category="personal", asb_type="noise", latitude=lat, longitude=lon, easting=easting,
                  northing=northing, postcode=postcode, location_desc="Market Place", person_ref=f"ECN-{ref}",
                  victim_type="individual", is_hate="N")
    return ",".join(values[c] for c in INCIDENT_COLUMNS)


# ref -> (row, expected: authority code of the published incident, or the reject code)
ROWS = {
    "NONE-ER": (_row("NONE-ER", "Erewash"), "E07000036"),
    "NONE-DE": (_row("NONE-DE", "Derby"), "E06000015"),           # the same inputs but the authority
    "NONE-NO": (_row("NONE-NO"), "unplaceable"),                    # nothing at all
    "ZERO-PC": (_row("ZERO-PC", "Derby", "0", "0", "NG10 1AA"), "E07000036"),         # 0, 0 is no point
    "NEGZERO-PC": (_row("NEGZERO-PC", "Derby", "-0.0", "-0.0", "NG10 1AA"), "E07000036"),
    "ZERO-NONE": (_row("ZERO-NONE", "Bolsover", "-0.0", "0.0"), "E07000033"),        # no point: declared
    "NAN": (_row("NAN", "Erewash", "NaN", "-1.3"), "unplaceable"),
    "NAN-2": (_row("NAN-2", "Derby", "nan", "-1.3"), "unplaceable"),
    "PT-ER": (_row("PT-ER", "Erewash", *ILKESTON), "E07000036"),
    "PT-DE": (_row("PT-DE", "Derby", *ILKESTON), "E07000036"),     # a point outranks the declared authority
    "PT-NONE": (_row("PT-NONE", "", *ILKESTON), "E07000036"),
    # a minus sign as Word or a web page writes it (U+2212, an en dash, a full-width hyphen-minus)
    # is a minus: the same point, not "longitude '-1.309600' is not a number"
    "PT-MINUS": (_row("PT-MINUS", "", ILKESTON[0], "\u2212" + ILKESTON[1][1:]), "E07000036"),
    "PT-DASH": (_row("PT-DASH", "", ILKESTON[0], "\u2013" + ILKESTON[1][1:]), "E07000036"),
    "PT-FULL": (_row("PT-FULL", "", ILKESTON[0], "\uff0d" + ILKESTON[1][1:]), "E07000036"),
    "BNG-ER": (_row("BNG-ER", "Derby", easting="446500", northing="341900"), "E07000036"),
    "BAD-PC-1": (_row("BAD-PC-1", "Erewash", postcode="ring 07700 900123"), "unplaceable"),
    "BAD-PC-2": (_row("BAD-PC-2", "Derby", postcode="ring 07700 900123"), "unplaceable"),
}
# many rows sharing one set of inputs each (the join back is one-to-many)
COPIES = {f"COPY-{n}": (_row(f"COPY-{n}", "Erewash" if n % 2 else "Derby", *ILKESTON), "E07000036")
          for n in range(40)}
COPIES |= {f"BARE-{n}": (_row(f"BARE-{n}", "Chesterfield"), "E07000034") for n in range(30)}


def test__locate__a_view_until_the_rows_hold_many_distinct_places():
    assert not locate.materialise_located(34_171, 10_080_953)    # the scale-55 demo
    assert not locate.materialise_located(3_000, 3_000)           # a small build: every row its own
    assert locate.materialise_located(2_000_000, 10_000_000)      # partners geocoding each incident


@pytest.mark.parametrize("materialise", [False, True], ids=["view", "table"])
def test__locate__every_row_takes_the_place_of_its_own_inputs_once(tmp_path, monkeypatch, materialise):
    asked = []
    monkeypatch.setattr(locate, "materialise_located", lambda keys, rows: asked.append((keys, rows)) or materialise)
    rows = ROWS | COPIES
    text = "\n".join([",".join(INCIDENT_COLUMNS), *(r for r, _ in rows.values())]) + "\n"
    inputs = write_inputs(tmp_path / "in", COUNTY_TOML, {"county/feed.csv": text})
    _, con = run_build(inputs)
    assert len(asked) == 1 and asked[0][1] == len(rows) and asked[0][0] < len(rows)
    published = dict(con.execute("select incident_id, authority_code from incidents").fetchall())
    rejects = con.execute("select json_extract_string(raw_values, '$.incident_ref'), reason_code, reason, "
                          "raw_values from etl_rejects").fetchall()
    got = {ref.split(":", 1)[1]: code for ref, code in published.items()}
    assert len(got) == len(published)
    for ref, code, _, _ in rejects:
        assert ref not in got, f"{ref} is both loaded and rejected"
        got[ref] = code
    assert len(published) + len(rejects) == len(rows)
    assert got == {ref: expected for ref, (_, expected) in rows.items()}
    # each published point is its own: the copies of Ilkeston all have the same LSOA and cell
    cells = con.execute("select distinct lsoa_code, h3_r9 from incidents where incident_id like '%:COPY-%' "
                        "or incident_id like '%:PT-%'").fetchall()
    assert len(cells) == 1 and None not in cells[0]
    # the rows without a point keep none, whichever authority they declared
    no_point = ("incident_id like '%:NONE-%' or incident_id like '%:BARE-%' or incident_id like '%:ZERO-NONE'")
    assert con.execute(f"select count(*), count(lsoa_code), count(easting) from incidents where {no_point}"
                       ).fetchall()[0] == (33, 0, 0)
    # the unusable postcode's text is scrubbed in the reason and the raw values of both rows
    bad = [(reason, raw) for ref, _, reason, raw in rejects if ref.startswith("BAD-PC")]
    assert len(bad) == 2
    for reason, raw in bad:
        assert "07700" not in reason and "07700" not in raw, (reason, raw)
        assert json.loads(raw)["postcode"] is not None
    nan = {ref: reason for ref, _, reason, _ in rejects if ref.startswith("NAN")}
    assert set(nan) == {"NAN", "NAN-2"} and all("latitude/longitude" in r for r in nan.values())
