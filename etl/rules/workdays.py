"""The one working-day calendar: England, weekends and England and Wales bank holidays excluded.

Bank holidays come from the `holidays` package (country GB, subdivision ENG), substitute days
included (Christmas Day 2021 fell on a Saturday, so Monday 27 and Tuesday 28 December were bank
holidays). The working days from A to B follow `numpy.busday_count(A, B)`: A counts when it is a
working day, B does not, the same day is 0, and B before A is a data error with a reason, never
a negative duration. The build stores the calendar as `ref_working_days` with a running index,
so SQL counts working days as a difference of two lookups:
`busday_count(A, B) = index(B) - index(A)`, where index(D) is the number of working days from
1 January 2000 up to the day before D. Future years hold the regular bank holidays only; one-off
days (a coronation, a state funeral) appear when the package learns of them.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import duckdb
import numpy as np
import pandas as pd

COUNTRY, SUBDIVISION = "GB", "ENG"
FIRST_DATE = dt.date(2000, 1, 1)  # staging rejects older dates
LAST_DATE = dt.date(2100, 12, 31)  # the dashboard's latest as-of date


class OutOfOrder(ValueError):
    """An end date before its start date: a data error, not a negative duration."""


@lru_cache(maxsize=1)
def bank_holidays() -> dict[dt.date, str]:
    """England and Wales bank holidays (substitute days included) from 2000 to 2100, with names."""
    import holidays  # here, not at the top: a build reads the calendar it keeps (etl/marts/reviews.py)

    found = holidays.country_holidays(COUNTRY, subdiv=SUBDIVISION,
                                      years=range(FIRST_DATE.year, LAST_DATE.year + 1))
    return dict(sorted(found.items()))


@lru_cache(maxsize=1)
def _holiday_array() -> np.ndarray:
    return np.array(sorted(bank_holidays()), dtype="datetime64[D]")


def order_problem(start: dt.date, end: dt.date, start_name: str = "start",
                  end_name: str = "end") -> str | None:
    """The reason why (start, end) cannot be a duration, or None when end is on or after start."""
    if end < start:
        return f"{end_name} {end.isoformat()} is before {start_name} {start.isoformat()}"
    return None


def working_days(start: dt.date, end: dt.date) -> int:
    """Working days from `start` to `end` (start counts if a working day, end does not).

    Raises OutOfOrder, with the reason, when `end` is before `start`."""
    problem = order_problem(start, end)
    if problem:
        raise OutOfOrder(problem)
    return int(np.busday_count(start, end, holidays=_holiday_array()))


def is_working_day(day: dt.date) -> bool:
    """Whether `day` is a working day in England (not a weekend, not a bank holiday)."""
    return bool(np.is_busday(day, holidays=_holiday_array()))


def due_date(start: dt.date, limit: int) -> dt.date:
    """The last day an event may happen and still be within `limit` working days of `start`
    (the day with working_days(start, day) == limit that is itself a working day)."""
    day = np.busday_offset(start, limit, roll="forward", holidays=_holiday_array())
    return pd.Timestamp(day).date()


def calendar(first: dt.date = FIRST_DATE, last: dt.date = LAST_DATE) -> pd.DataFrame:
    """One row per day: calendar_date, is_working_day, bank_holiday, working_day_index (working
    days from `first` up to the day before)."""
    days = np.arange(np.datetime64(first), np.datetime64(last) + 1, dtype="datetime64[D]")
    working = np.is_busday(days, holidays=_holiday_array())
    index = np.concatenate([[0], np.cumsum(working)[:-1]])
    names = bank_holidays()
    return pd.DataFrame({
        "calendar_date": days,
        "is_working_day": working,
        "bank_holiday": [names.get(d) for d in days.astype(object)],
        "working_day_index": index.astype("int32"),
    })


def store(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame | None = None) -> None:
    """Fill `ref_working_days` (declared in warehouse.sql) with the calendar (`frame`, made by
    `calendar` when not given: the build passes the one it keeps, etl/marts/reviews.py)."""
    frame = calendar() if frame is None else frame
    con.register("_working_days", frame)
    con.execute("insert into ref_working_days by name select * from _working_days order by calendar_date")
    con.unregister("_working_days")
