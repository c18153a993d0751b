"""Make the ward outlines the build uses by default, etl/reference/wards_derbyshire_may2025.geojson,
from the ONS Electoral Wards (May 2025) BGC file of the nine Derbyshire districts.

    .venv/bin/python scripts/make_wards.py                 # the paths below
    .venv/bin/python scripts/make_wards.py --source FILE --out FILE

The same source file gives the same bytes. Steps:
1. keep three properties per ward: WD25CD (code), WD25NM (name), LAD25CD (district code);
2. in British National Grid (EPSG:27700), simplify the wards together with
   `shapely.coverage_simplify` (tolerance TOLERANCE_M), so neighbouring wards keep one shared edge:
   no gaps, no overlaps, and the wards still tile each district;
3. back to longitude/latitude (WGS84), snap every coordinate to 5 decimal places (about 1 m)
   with `shapely.set_precision`, which keeps each polygon valid, and write the numbers rounded;
4. write the wards in code order, one feature a line, with the source and the licence in the
   FeatureCollection's "metadata" member.

Source: Office for National Statistics, licensed under the Open Government Licence v3.0;
contains OS data © Crown copyright and database right 2025 (../shared/data/real/SOURCES.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "real" / "boundaries" / "wards_may2025_bgc_derbyshire.geojson"
OUT = ROOT / "etl" / "reference" / "wards_derbyshire_may2025.geojson"
TOLERANCE_M = 50.0
DECIMALS = 5
PROPERTIES = ("WD25CD", "WD25NM", "LAD25CD")
METADATA = {
    "title": "Electoral wards (May 2025) of the nine Derbyshire districts, simplified",
    "source": "Office for National Statistics, Wards (May 2025) Boundaries UK BGC",
    "licence": "Open Government Licence v3.0",
    "attribution": "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
                   "Contains OS data © Crown copyright and database right 2025",
    "derived_by": "scripts/make_wards.py: coverage_simplify at 50 m in EPSG:27700, "
                  "coordinates to 5 decimal places (WGS84)",
}


def derive(source: Path) -> gpd.GeoDataFrame:
    """The simplified wards (WGS84), in code order."""
    if not hasattr(shapely, "coverage_simplify"):
        raise SystemExit(f"shapely {shapely.__version__} has no coverage_simplify: install shapely >= 2.1")
    wards = gpd.read_file(source, engine="pyogrio")[[*PROPERTIES, "geometry"]].to_crs(27700)
    wards = wards.sort_values("WD25CD").reset_index(drop=True)
    simple = shapely.coverage_simplify(shapely.make_valid(wards.geometry.values), TOLERANCE_M)
    lonlat = gpd.GeoSeries(simple, crs=27700).to_crs(4326).values
    snapped = shapely.set_precision(lonlat, 10.0 ** -DECIMALS)
    rounded = shapely.transform(snapped, lambda xy: np.round(xy, DECIMALS))
    if not shapely.is_valid(rounded).all():
        raise SystemExit("a simplified ward is not a valid polygon: try another tolerance")
    return gpd.GeoDataFrame(wards[list(PROPERTIES)], geometry=rounded, crs=4326)


def geojson(wards: gpd.GeoDataFrame, name: str) -> str:
    """A FeatureCollection, one feature a line (readable diffs), numbers as Python writes them."""
    head = json.dumps({"type": "FeatureCollection", "name": name, "metadata": METADATA}, ensure_ascii=False)
    features = [json.dumps({"type": "Feature", "properties": {p: row[p] for p in PROPERTIES},
                            "geometry": shapely.geometry.mapping(row.geometry)},
                           ensure_ascii=False, separators=(",", ":"))
                for _, row in wards.iterrows()]
    return head[:-1] + ', "features": [\n' + ",\n".join(features) + "\n]}\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=SOURCE)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    text = geojson(derive(args.source), OUT.stem)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {len(text.encode('utf-8')):,} bytes")


if __name__ == "__main__":
    main()
