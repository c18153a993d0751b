"""Wards by default (issue 16, item 5): a build without `[build] ward_path` takes the nine districts'
May 2025 wards shipped in the package (etl/reference/), fills ref_ward and gives every placed
incident its ward by point in polygon; an explicit `ward_path` still wins."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import geopandas as gpd
import shapely
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, run_build, write_inputs

from etl.rules import authorities

SHIPPED = Path(__file__).resolve().parents[2] / "etl" / "reference" / "wards_derbyshire_may2025.geojson"
HEADER = ",".join(INCIDENT_COLUMNS)
# Ilkeston Market Place (Erewash), Derby city centre, a Long Eaton postcode, and no location at all
ROWS = ["E1,council,,2025-03-01,,personal,noise,52.9707,-1.3096,,,,Market Place,ECN-1,individual,N",
        "E2,council,,2025-03-02,,personal,noise,52.9225,-1.4746,,,,Corn Market,ECN-2,individual,N",
        "E3,council,,2025-03-03,,personal,noise,,,,,NG10 1AA,High Street,ECN-3,individual,N",
        "E4,council,,2025-03-04,,personal,noise,,,,,,,ECN-4,individual,N"]


def _build(tmp_path, toml: str = EREWASH_TOML, extra: dict | None = None):
    files = {"erewash/export.csv": "\n".join([HEADER, *ROWS]) + "\n", **(extra or {})}
    return run_build(write_inputs(tmp_path / "in", toml, files))


def test__build__wards_by_default_without_ward_path(tmp_path):
    _, con = _build(tmp_path)
    shipped = gpd.read_file(SHIPPED, engine="pyogrio")
    ref = con.execute("select ward_code, ward_name, authority_code, area_km2, boundary_geojson from ref_ward").df()
    assert len(ref) == len(shipped) == 176
    # each ward in the district that holds most of it: the ONS district of the ward
    assert dict(zip(ref["ward_code"], ref["authority_code"], strict=True)) == dict(
        zip(shipped["WD25CD"], shipped["LAD25CD"], strict=True))
    assert Counter(ref["authority_code"]) == Counter(shipped["LAD25CD"]) and set(ref["authority_code"]) == set(
        authorities.CODES)
    assert ref["area_km2"].gt(0).all() and ref["boundary_geojson"].map(json.loads).map(len).gt(0).all()
    placed = con.execute("select incident_id, authority_code, ward_code, longitude, latitude from incidents "
                         "order by incident_id").fetchall()
    assert [r[0] for r in placed] == [f"erewash_council:E{n}" for n in (1, 2, 3, 4)]
    for ref_, authority, ward, lon, lat in placed[:3]:
        holding = shipped[shipped.contains(shapely.Point(lon, lat))]
        assert list(holding["WD25CD"]) == [ward], ref_
        assert holding["LAD25CD"].iloc[0] == authority, ref_
    assert placed[0][1] == placed[2][1] == "E07000036"
    assert placed[1][1] == "E06000015"  # the point decides the authority, and its ward is in Derby
    assert placed[3][2] is None  # no location: no ward
    assert con.execute("select count(*) from incidents where ward_code is not null and ward_code not in "
                       "(select ward_code from ref_ward)").fetchall()[0][0] == 0


def test__build__an_explicit_ward_path_still_wins(tmp_path):
    box = shapely.box(-1.35, 52.94, -1.28, 53.0)  # around Ilkeston
    layer = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": shapely.geometry.mapping(box),
                                                        "properties": {"ward_code": "W1", "ward_name": "Test ward"}}]}
    toml = '[build]\nward_path = "wards.geojson"\n' + EREWASH_TOML
    _, con = _build(tmp_path, toml, {"wards.geojson": json.dumps(layer)})
    assert con.execute("select ward_code, ward_name, authority_code from ref_ward").fetchall() == [
        ("W1", "Test ward", "E07000036")]
    wards = dict(con.execute("select incident_id, ward_code from incidents").fetchall())
    assert wards == {"erewash_council:E1": "W1", "erewash_council:E2": None, "erewash_council:E3": None,
                     "erewash_council:E4": None}


def test__demo__every_placed_incident_has_a_ward(con):
    """The demo warehouse (built without ward_path) has the 176 wards, and every incident with a
    point has a ward, almost always in its own authority."""
    assert con.execute("select count(*), count(distinct authority_code) from ref_ward").fetchall()[0] == (176, 9)
    placed, with_ward, same = con.execute("""select count(*), count(i.ward_code),
            count(*) filter (where w.authority_code = i.authority_code)
        from incidents i left join ref_ward w using (ward_code) where i.easting is not null""").fetchall()[0]
    assert placed > 1000 and with_ward == placed
    assert same / placed > 0.99
