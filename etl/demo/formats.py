"""Formatting demo rows as a partner's export writes them: one pyarrow column per canonical field.

Nothing is formatted row by row: a date is formatted once per day and taken by day number, a
place's coordinates and description once per place, a person's reference once per person, and
coded values (category, type, victim, ...) through the layout's value map. Dates in XLSX layouts
stay numbers (Excel serials); everything else is text, empty where there is no value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.demo.bad import MONTHS
from etl.demo.incidents import AGENCIES, ASB_TYPES, CATEGORIES, TYPE_CATEGORY, VICTIM_TYPES
from etl.demo.layouts import COUNCIL_NAMES, PERSONAL, POLICE_AREAS, Layout
from etl.demo.people import People
from etl.demo.places import Places
from etl.rules.authorities import CODES

EXCEL_EPOCH = 25569  # Excel serial number of 1970-01-01
DISPOSALS = ("Words of advice", "Referred to council", "Patrol strategy", "No further action",
             "Community resolution", "Referred to housing provider")
AUTHORITY_TEXTS = {"code": CODES, "police_area": POLICE_AREAS, "council": COUNCIL_NAMES}
YES_NO = ("N", "Y")


@dataclass
class Context:
    """What formatting needs besides the rows: places, people and the last day of the data."""

    places: Places
    people: People
    last_day: int

    def __post_init__(self):
        p = self.places
        display = [pcd[:-3].strip() + " " + pcd[-3:] for pcd in p.postcode]
        self.place_text = {
            "easting": pa.array([f"{e:.0f}" for e in p.easting]),
            "northing": pa.array([f"{n:.0f}" for n in p.northing]),
            "latitude": pa.array([f"{v:.6f}" for v in p.latitude]),
            "longitude": pa.array([f"{v:.6f}" for v in p.longitude]),
            "postcode": pa.array(list(p.postcode)), "postcode_display": pa.array(display),
            "location_desc": pa.array(list(p.desc))}


def format_day(day: float, fmt: str, minute: int = 0):
    """One day number in a declared format ("iso", "excel" or strptime-style with English months)."""
    if fmt == "excel":
        return float(day + EXCEL_EPOCH)
    d = date(1970, 1, 1) + timedelta(days=int(day))
    if fmt == "iso":
        return d.isoformat()
    return datetime(d.year, d.month, d.day, minute // 60, minute % 60).strftime(
        fmt.replace("%b", MONTHS[d.month - 1]))


def format_days(days, fmt: str, minutes=None) -> pa.Array:
    """Day numbers (NaN = empty) in a declared format; a time part (" %H:%M") uses `minutes`."""
    days = np.asarray(days, dtype=float)
    empty = np.isnan(days)
    if fmt == "excel":
        return pa.array(days + EXCEL_EPOCH, mask=empty)
    whole = np.where(empty, 0, days).astype(np.int64)
    date_fmt, _, time_fmt = fmt.partition(" ")
    lo = int(whole[~empty].min()) if (~empty).any() else 0
    first, table = _day_texts(date_fmt, lo, int(whole.max(initial=lo)))
    out = table.take(pa.array(whole - first, mask=empty))
    if time_fmt and minutes is not None:
        out = pc.binary_join_element_wise(out, _minute_texts().take(pa.array(np.asarray(minutes))), " ")
    return out


def _day_texts(fmt: str, lo: int, hi: int) -> tuple[int, pa.Array]:
    """(first day, texts of days first..) in the format, covering lo..hi; kept per format and
    block of 512 days, since every file of every source asks for much the same days."""
    block = (lo // 512, hi // 512)
    return block[0] * 512, _day_block_texts(fmt, *block)


@lru_cache(maxsize=1)
def _minute_texts() -> pa.Array:
    return pa.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)])


@lru_cache(maxsize=64)
def _day_block_texts(fmt: str, first_block: int, last_block: int) -> pa.Array:
    return pa.array([format_day(d, fmt) for d in range(first_block * 512, (last_block + 1) * 512)])


def lookup(layout: Layout, column: str, texts, codes) -> pa.Array:
    """Coded values as the layout writes them (through its value map); null where codes are masked."""
    mapped = [layout.values.get(column, {}).get(t, t) for t in texts]
    return pa.array(mapped, type=pa.string()).take(pa.array(np.asarray(codes)))


def incident_columns(rows, refs: pa.Array, spec, ctx: Context) -> dict[str, pa.Array]:
    """Every field of an incident layout for the rows (a slice of the report table)."""
    lay = spec.layout
    col = _column_cache(rows)
    out = {}
    for _, column in lay.fields:
        if column == "incident_ref":
            out[column] = refs
        elif column == "review_explained_date":
            out[column] = format_days(col("explained").astype(float), lay.date_format_for(column))
        elif column in ("reported_date", "occurred_date"):
            days = col("rep") if column == "reported_date" else col("occ")
            minutes = col("minute") if column == "reported_date" else None
            out[column] = format_days(days, lay.date_format_for(column), minutes)
        elif column in ctx.place_text:
            key = "postcode_display" if column == "postcode" and lay.postcode_style == "display" else column
            out[column] = ctx.place_text[key].take(col("place", arrow=True))
        elif column == "person_ref":
            out[column] = ctx.people.refs(col("person"))
        elif column == "case_ref":
            out[column] = ctx.people.case_refs(col("person"), spec.case_prefix)
        elif column in PERSONAL:
            out[column] = ctx.people.personal(col("person"), column)
        else:
            out[column] = lookup(lay, column, *_coded(column, col, lay, ctx))
    return out


def _column_cache(rows):
    """col(name) -> the rows' column as a numpy array (or pyarrow array), each converted once."""
    @cache
    def col(name: str, arrow: bool = False):
        return pa.array(col(name)) if arrow else rows[name].to_numpy()
    return col


def _coded(column: str, col, lay: Layout, ctx: Context):
    """(texts, codes) of a coded incident field."""
    if column == "agency":
        return AGENCIES, col("agency")
    if column == "authority":
        return AUTHORITY_TEXTS[lay.authority_style], col("auth")
    if column == "asb_category":
        return CATEGORIES, TYPE_CATEGORY[col("atype")]
    if column == "asb_type":
        return [t for t, _ in ASB_TYPES], col("atype")
    if column == "victim_type":
        return VICTIM_TYPES, col("victim")
    if column == "is_hate":
        return YES_NO, col("hate").astype(np.int8)
    if column == "_status":
        return ("Closed", "Open"), (col("rep") >= ctx.last_day - 45).astype(np.int8)
    if column == "_disposal":
        return DISPOSALS, (col("rep") + col("place")) % len(DISPOSALS)
    raise KeyError(f"no demo value for incident column {column!r}")


def case_columns(table, spec, ctx: Context) -> dict[str, pa.Array]:
    """Every field of an application or appeal layout for the rows of `table`."""
    lay = spec.layout
    out = {}
    for _, column in lay.fields:
        if column.endswith("_date"):
            out[column] = format_days(table[column].to_numpy(float), lay.date_format_for(column))
        elif column == "person_ref":
            out[column] = ctx.people.refs(table.person.to_numpy())
        elif column in PERSONAL:
            out[column] = ctx.people.personal(table.person.to_numpy(), column)
        elif column == "authority":
            out[column] = pa.array(_authority_texts(table, lay))
        elif column == "recommendations_count":
            count = table[column].to_numpy(float)
            out[column] = pa.array(np.nan_to_num(count).astype(np.int64), mask=np.isnan(count))
        else:
            mapping = lay.values.get(column, {})
            out[column] = pa.array([mapping.get(v, v) if isinstance(v, str) else None for v in table[column]],
                                   type=pa.string())
    return out


def _authority_texts(table, lay: Layout) -> list[str]:
    if lay.authority_style == "mixed":
        pairs = zip(table.auth, table.by_name, strict=True)
        return [COUNCIL_NAMES[a] if by_name else CODES[a] for a, by_name in pairs]
    return [AUTHORITY_TEXTS[lay.authority_style][a] for a in table.auth]
