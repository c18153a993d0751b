"""Calendar periods every figure is counted over: the default period, the previous period of
equal length, the same day some months earlier."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd


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
    """The twelve months that end on the as-of date."""
    try:
        year_before = as_of.replace(year=as_of.year - 1)
    except ValueError:  # 29 February
        year_before = as_of.replace(year=as_of.year - 1, day=28)
    return year_before + timedelta(days=1), as_of


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (clamped to the month's end)."""
    return (pd.Timestamp(day) - pd.DateOffset(months=months)).date()
