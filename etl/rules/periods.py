"""Calendar periods every figure is counted over: the default period, the previous period of
equal length, the same day some months earlier."""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

LONDON = ZoneInfo("Europe/London")


def london_today() -> date:
    """Today's date in England (Europe/London), whatever the server's time zone, worked out when
    called: a pack made, a return frozen, a report dated or a build run at 00:30 BST on 1 August
    on a server that runs on UTC is of 1 August, as the people who read it (and the partners'
    timestamps, moved to Europe/London) have it."""
    return dt.datetime.now(LONDON).date()


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period just before, of equal length: as many whole months when the period is made of
    whole months (so a calendar year compares with the year before), else as many days."""
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        year, month = divmod(start.year * 12 + start.month - 1 - months, 12)
        return date(year, month + 1, 1), start - timedelta(days=1)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def default_period(as_of: date) -> tuple[date, date]:
    """The twelve months that end on the as-of date: on a month's last day, twelve whole months
    (as of 28 February 2025: from 1 March 2024, not 29 February, which made 366 days and a
    thirteenth month of one day); else from the day after the same day a year earlier."""
    if (as_of + timedelta(days=1)).day == 1:
        return months_before(as_of + timedelta(days=1), 12), as_of
    return months_before(as_of, 12) + timedelta(days=1), as_of


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (clamped to the month's end)."""
    return (pd.Timestamp(day) - pd.DateOffset(months=months)).date()


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def whole_months(start: date, end: date) -> tuple[date, date]:
    """The calendar months that hold `start` to `end`: from the first day of start's month to the
    last day of end's."""
    return start.replace(day=1), month_end(end)


def last_month_end(day: date) -> date:
    """`day` when it is a month's last day, else the last day of the month before."""
    return day if is_month_end(day) else day.replace(day=1) - timedelta(days=1)


def ending_by(start: date, end: date, as_of: date, build_as_of: date) -> tuple[date, date]:
    """The period, ending on the as-of date at the latest, so that every page counts what was known
    on that date (a period to 31 October as of 30 June counted, on the Overview, 24 appeals where the
    Appeals page knew 8: the downloads audit of 6 December 2026). The default period (twelve months
    to the build's date) follows the as-of date to its own twelve months, as does a period that
    starts after it; another period is cut at it."""
    if end <= as_of:
        return start, end
    if (start, end) == default_period(build_as_of) or start > as_of:
        return default_period(as_of)
    return start, as_of
