"""`asb returns freeze`: keep a financial year's statutory returns as they are published.

    asb returns freeze --year 2024/25 --out inputs/published/returns.csv [--authority CODE ...]
                       [--warehouse FILE] [--published-by NAME] [--published-date YYYY-MM-DD]
                       [--force] [--allow-incomplete-year]

Reads the four figures of each authority (default: all nine) for the year from the warehouse's
mart_statutory_returns (as of the build's as-of date) and appends them to the file, the one that
sources.toml names as `[build] published_returns`, so that every later build shows the year's
published figures beside the current ones and says when a figure has been restated. A year
already frozen for an authority is never overwritten without --force (then it is replaced); a
year that had not ended on the warehouse's as-of date is refused without --allow-incomplete-year.
The file format is etl/marts/returns_file.py's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from pathlib import Path

import pandas as pd

from etl import argtypes
from etl.marts import returns_file
from etl.rules import authorities
from etl.rules.periods import london_today
from insight import db
from insight.export.data_return import Year


class FreezeError(ValueError):
    """A freeze that would store the wrong figures; nothing was written."""


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in this environment
        return ""


def current_figures(warehouse: Path, year: str, codes: tuple[str, ...], allow_incomplete: bool) -> pd.DataFrame:
    """The year's four figures per authority as the warehouse holds them, with its as-of date."""
    con = db.connect(warehouse)
    try:
        returns = con.execute("""
            select authority_code, financial_year, applications_received, threshold_not_met,
                   reviews_carried_out, reviews_with_recommendations, is_complete_year, as_of_date
            from mart_statutory_returns order by financial_year""").df()
    finally:
        con.close()
    years = returns["financial_year"].unique()
    if year not in set(years):
        span = f"{years[0]} to {years[-1]}" if len(years) else "none"
        raise FreezeError(f"no {year} in the warehouse's statutory returns ({span})")
    chosen = returns[(returns["financial_year"] == year) & returns["authority_code"].isin(codes)]
    as_of = pd.Timestamp(chosen["as_of_date"].iloc[0]).date()
    if not chosen["is_complete_year"].all() and not allow_incomplete:
        raise FreezeError(f"{year} has not ended on the warehouse's as-of date {as_of}: freeze a year's "
                          "published figures once it is over (or pass --allow-incomplete-year)")
    today = london_today()
    if Year.parse(year).end > today and not allow_incomplete:  # whatever the warehouse's date (as the return)
        raise FreezeError(f"{year} has not ended today ({today.isoformat()}): freeze a year's published figures "
                          "once it is over (or pass --allow-incomplete-year)")
    order = {code: i for i, code in enumerate(authorities.CODES)}
    return chosen.assign(as_of_date=as_of).sort_values("authority_code", key=lambda s: s.map(order))


def _check_published_date(published: dt.date, year: str, allow_incomplete: bool) -> None:
    """A year's figures are published once it has ended (unless an incomplete year is frozen on
    purpose), and never on a day still to come: either date would be quoted in every restatement
    note (the returns audit of 6 December 2026 froze both)."""
    end = Year.parse(year).end
    if published < end and not allow_incomplete:
        raise FreezeError(f"--published-date {published.isoformat()} is before {year} ended "
                          f"({end.day} {end:%B %Y}): a year's figures are published once it is over "
                          "(or pass --allow-incomplete-year)")
    today = london_today()
    if published > today:
        raise FreezeError(f"--published-date {published.isoformat()} is after today ({today.isoformat()}): "
                          "give the day the figures were published")


def cmd_freeze(args) -> int:
    args.warehouse = args.warehouse or db.warehouse_path()
    if not args.warehouse.exists():
        print(f"asb: error: no warehouse at {args.warehouse} (build one with `asb build`)", file=sys.stderr)
        return 2
    codes = tuple(dict.fromkeys(args.authority)) if args.authority else authorities.CODES
    args.published_by = _user() if args.published_by is None else args.published_by
    # today in England, worked out now (a default in add_parser would be the server's date when the parser was built)
    args.published_date = london_today() if args.published_date is None else args.published_date
    try:
        figures = current_figures(args.warehouse, args.year, codes, args.allow_incomplete_year)
        _check_published_date(args.published_date, args.year, args.allow_incomplete_year)
        frozen = figures.assign(published_date=args.published_date, published_by=args.published_by)
        returns_file.append(args.out, frozen, force=args.force)
    except (FreezeError, returns_file.ReturnsFileError) as exc:
        print(f"asb: error: {exc}", file=sys.stderr)
        return 2
    n = len(frozen)
    print(f"froze {args.year} for {n} authorit{'y' if n == 1 else 'ies'} (warehouse as of "
          f"{frozen['as_of_date'].iloc[0]}, published {args.published_date} by {args.published_by}) -> {args.out}")
    return 0


def add_parser(sub) -> None:
    """Add `asb returns` (sub-command `freeze`) to the `asb` command's sub-commands."""
    r = sub.add_parser("returns", help="statutory returns (s.104): freeze a year's figures as published",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = r.add_subparsers(dest="action", required=True)
    f = actions.add_parser("freeze", help="append a year's figures to the published-returns file",
                           description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    f.add_argument("--year", type=argtypes.financial_year, required=True, help="the financial year, e.g. 2024/25")
    f.add_argument("--out", type=Path, required=True,
                   help="the published-returns CSV ([build] published_returns in sources.toml)")
    f.add_argument("--authority", type=argtypes.authority, nargs="+", action="extend", metavar="CODE",
                   help="authorities to freeze, GSS code or name (default: all nine)")
    f.add_argument("--warehouse", type=Path, default=None,
                   help="the warehouse file (default: $ASB_WAREHOUSE, else data/warehouse.duckdb)")
    f.add_argument("--published-by", default=None, help="who published them (default: your login name)")
    f.add_argument("--published-date", type=argtypes.date, default=None,
                   help="when they were published (default: today's date in England)")
    f.add_argument("--force", action="store_true", help="replace figures already frozen for the year")
    f.add_argument("--allow-incomplete-year", action="store_true",
                   help="freeze a year that had not ended on the warehouse's as-of date")
    f.set_defaults(func=cmd_freeze)
