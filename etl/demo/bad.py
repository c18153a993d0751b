"""Deliberately bad rows for the demo, so the ETL's rejects and the data-quality page have content.

The plan below says which source gets which kinds (reject codes as the ETL should report them).
Bad incident rows are extra anonymous reports (so they never change anyone's threshold count);
bad applications and appeals are altered copies of real ones. Each is an ordinary row until
`patch_row` changes the cells that make it bad, in the layout's own style (an impossible date in
the source's date format, a value outside its value map, a place outside Derbyshire, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from etl.demo.incidents import HOUSING_AUTHORITIES, PLANTED, Span, day_number, make_reports
from etl.rules.authorities import CODES

KINDS = ("bad_date", "future_date", "too_old_date", "missing_key", "duplicate_key", "unknown_authority",
         "outside_area", "unplaceable", "bad_value", "occurred_after_reported", "date_order",
         "unknown_application", "stage_order")
# Not rejects: an application whose decision predates its receipt is kept in the statutory counts
# and listed as a data error on the turnaround page (etl/transform/stage.py SOFT_DATES).
DATA_ERROR_KINDS = ("stage_order",)
PLAN = {
    "amber_valley_council": ("bad_value", "bad_value", "missing_key", "future_date"),
    "bolsover_council": ("missing_key", "duplicate_key"),
    "chesterfield_council": ("bad_date", "outside_area", "unplaceable", "occurred_after_reported"),
    "derby_council": ("bad_date", "bad_date", "too_old_date", "future_date", "duplicate_key", "outside_area"),
    "erewash_council": ("unplaceable", "outside_area", "bad_date"),
    "high_peak_council": ("occurred_after_reported",),
    "derbyshire_police": ("occurred_after_reported", "occurred_after_reported", "duplicate_key",
                          "missing_key", "future_date", "too_old_date", "outside_area", "bad_value"),
    "trent_peak_homes": ("unknown_authority", "unknown_authority", "bad_date", "unplaceable", "too_old_date"),
    "derby_case_reviews": ("stage_order", "duplicate_key", "bad_value"),
    "chesterfield_case_reviews": ("bad_date", "stage_order", "missing_key"),
    "district_case_reviews": ("future_date", "too_old_date", "bad_value", "unknown_authority", "missing_key"),
    "opcc_appeals": ("unknown_application", "unknown_application", "missing_key", "bad_value", "date_order",
                     "bad_date", "duplicate_key"),
    "action_plans": ("unknown_application", "missing_key"),
}
KEYS = {"incidents": "incident_ref", "applications": "application_ref", "appeals": "appeal_ref",
        "actions": "action_ref"}
MAIN_DATE = {"incidents": "reported_date", "applications": "received_date", "appeals": "received_date",
             "actions": "agreed_date"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
UNKNOWN_AUTHORITY = "Nottingham City Council"
UNKNOWN_POSTCODE = "ZZ99 9ZZ"


def code(kind: str) -> int:
    return KINDS.index(kind) + 1


def plant_bad_reports(rng, places, span: Span, specs) -> pd.DataFrame:
    """Anonymous reports marked with the bad kind they will be given, in each planned incident source."""
    frames = []
    for spec in specs:
        kinds = PLAN.get(spec.slug, ()) if spec.kind == "incidents" else ()
        if not kinds:
            continue
        n = len(kinds)
        if spec.authority:
            auth = np.full(n, CODES.index(spec.authority))
        else:
            auth = rng.choice(HOUSING_AUTHORITIES if spec.agency == 2 else np.arange(9), size=n)
        rep = rng.integers(span.first + 60, span.last - 60, n)
        frames.append(make_reports(rng, places, spec.agency, auth, rep, lag=np.zeros(n), role=PLANTED,
                                   bad=[code(k) for k in kinds]))
    return pd.concat(frames, ignore_index=True)


def plant_bad_copies(rng, table: pd.DataFrame, kinds_by_auth: list[tuple[list, tuple]]) -> pd.DataFrame:
    """Altered copies of real applications or appeals; `kinds_by_auth` pairs authorities with kinds."""
    copies = []
    for auths, kinds in kinds_by_auth:
        pool = table[table.auth.isin(auths) & (table.bad == 0)]
        for kind in kinds:
            ok = pool[~np.isnan(pool.decision_date.to_numpy())] if kind in ("date_order", "stage_order") else pool
            row = ok.iloc[[int(rng.integers(len(ok)))]].copy()
            row["bad"] = code(kind)
            row["template"] = row.index
            copies.append(row)
    return pd.concat(copies, ignore_index=True)


@dataclass
class PatchContext:
    kind: str  # incidents | applications | appeals
    layout: object
    as_of_day: int
    days: dict  # canonical date column -> day number (NaN = empty) of this row
    format_day: object  # (day, column) -> the file's value for that day
    nth: int  # how many rows of this bad kind came before in the source
    other_ref: str | None  # a good row's reference, for duplicate_key
    foreign: dict  # demo_geo.foreign_places()


def impossible_date(fmt: str, nth: int):
    """31 February in the column's declared format, or (every other time) unparseable text."""
    if fmt == "excel":
        return ("TBC", "31/02/2024")[nth % 2]
    if nth % 2:
        return "TBC"
    if fmt == "iso":
        return "2024-02-31"
    for token, text in (("%d", "31"), ("%m", "02"), ("%b", "Feb"), ("%Y", "2024"), ("%y", "24"),
                        ("%H", "10"), ("%M", "15")):
        fmt = fmt.replace(token, text)
    return fmt


def _set_day(row: dict, ctx: PatchContext, column: str, day: float) -> None:
    row[column] = ctx.format_day(day, column)


def _location(row: dict, ctx: PatchContext, outside: bool) -> None:
    lay = ctx.layout
    pcd, east, north = ctx.foreign["nottingham"]
    if lay.header("postcode"):
        display = pcd[:-3].strip() + " " + pcd[-3:]
        real = display if lay.postcode_style == "display" else pcd
        row["postcode"] = real if outside else UNKNOWN_POSTCODE
    if lay.header("latitude"):
        from etl.demo.places import bng_to_wgs84

        _, s_east, s_north = ctx.foreign["sheffield"]
        lat, lon = bng_to_wgs84(np.array([s_east]), np.array([s_north]))
        real = (f"{lat[0]:.6f}", f"{lon[0]:.6f}")
        row["latitude"], row["longitude"] = real if outside else ("99.500000", "-1.500000")
    if lay.header("easting"):
        row["easting"], row["northing"] = f"{east:.0f}", f"{north:.0f}"


def patch_row(bad: str, row: dict, ctx: PatchContext) -> dict:
    """Make one formatted row (canonical column -> file value) bad in the given way."""
    main, key = MAIN_DATE[ctx.kind], KEYS[ctx.kind]
    if bad == "bad_date":
        row[main] = impossible_date(ctx.layout.date_format_for(main), ctx.nth)
    elif bad in ("future_date", "too_old_date"):
        future = bad == "future_date"
        day = ctx.as_of_day + 20 + 17 * ctx.nth if future else day_number(date(1999, 3 + ctx.nth, 14))
        present = [c for c, d in ctx.days.items() if not np.isnan(d)]
        # applications: on the received date (a stage date in the future is a data error, not a reject)
        column = main if ctx.kind != "appeals" or bad == "too_old_date" else max(present, key=ctx.days.get)
        _set_day(row, ctx, column, day)
        if ctx.kind == "incidents":
            _set_day(row, ctx, "occurred_date", day)
    elif bad == "missing_key":
        row[key] = None
    elif bad == "duplicate_key":
        row[key] = ctx.other_ref
    elif bad == "unknown_authority":
        row["authority"] = UNKNOWN_AUTHORITY
        for column in ("postcode", "latitude", "longitude", "easting", "northing"):
            if column in row:
                row[column] = None
    elif bad in ("outside_area", "unplaceable"):
        _location(row, ctx, bad == "outside_area")
    elif bad == "bad_value":
        column, text = {"incidents": ("asb_category", "misc"), "applications": ("decision", "maybe"),
                        "appeals": ("grounds", "Unhappy with result"), "actions": ("action_type", "leaflet")}[ctx.kind]
        row[column] = text.capitalize() if ctx.layout.values.get(column) and ctx.kind == "incidents" else text
    elif bad == "occurred_after_reported":
        _set_day(row, ctx, "occurred_date", ctx.days["reported_date"] + 5 + ctx.nth)
    elif bad in ("date_order", "stage_order"):
        _set_day(row, ctx, "decision_date", ctx.days["received_date"] - 4 - ctx.nth)
    elif bad == "unknown_application":
        row["application_ref"] = f"DCC-CT-19-{901 + ctx.nth}"
    return row


def shift_copy_dates(copies: pd.DataFrame, columns: list[str], days: int) -> pd.DataFrame:
    """Duplicate-key copies differ from the original: every date a few days later."""
    dup = copies.bad == code("duplicate_key")
    for column in columns:
        copies.loc[dup, column] = copies.loc[dup, column] + days
    return copies

