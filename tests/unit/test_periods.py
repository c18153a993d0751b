"""The default period is the twelve months that end on the as-of date: whole months when the
as-of date is a month's last day (so its previous period is the twelve whole months before), a
year of days otherwise, whatever leap day lies between."""

from __future__ import annotations

import datetime as dt

import pytest

from etl.rules import periods

D = dt.date


@pytest.mark.parametrize(("as_of", "start"), [
    (D(2026, 6, 30), D(2025, 7, 1)),
    (D(2026, 1, 31), D(2025, 2, 1)),
    (D(2025, 2, 28), D(2024, 3, 1)),    # after a leap year: not 29 Feb 2024 (366 days, 13 months)
    (D(2029, 2, 28), D(2028, 3, 1)),
    (D(2024, 2, 29), D(2023, 3, 1)),    # a leap day
    (D(2024, 2, 28), D(2023, 3, 1)),     # a leap year, not its last day: a year of days
    (D(2025, 2, 27), D(2024, 2, 28)),
    (D(2026, 3, 30), D(2025, 3, 31)),
])
def test__default_period__the_twelve_months_to_the_as_of_date(as_of, start):
    assert periods.default_period(as_of) == (start, as_of)
    days = (as_of - start).days + 1
    assert days in (365, 366) and not (days == 366 and not any(
        (start + dt.timedelta(n)).month == 2 and (start + dt.timedelta(n)).day == 29 for n in range(days)))


@pytest.mark.parametrize("as_of", [D(2025, 2, 28), D(2026, 6, 30), D(2024, 2, 29)])
def test__default_period__at_a_month_end_compares_whole_months(as_of):
    start, end = periods.default_period(as_of)
    before = periods.previous_period(start, end)
    assert start.day == 1 and before[0].day == 1 and before[1] == start - dt.timedelta(days=1)
    assert (before[0].year + 1, before[0].month) == (start.year, start.month)
