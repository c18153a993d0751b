"""The working-day calendar (etl/rules/workdays.py): England, weekends and England and Wales bank holidays.

Table tests give hand-counted working days around Christmas and New Year (substitute days when
they fall on a weekend), Easter, the early and late May and August bank holidays, weekends, the
same day, and events out of order (an error with a reason, never a negative count). The SQL
lookup the marts use (`ref_working_days`, an index difference) must agree with numpy's
busday_count on random pairs of dates.

    working_days(Fri 24 Dec 2021, Wed 29 Dec 2021) = 1
    Fri 24 | Sat 25 Christmas | Sun 26 Boxing | Mon 27 + Tue 28 substitutes | (Wed 29 not counted)
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl import sqlfile
from etl.rules import workdays

D = dt.date


@pytest.mark.parametrize(("start", "end", "expected", "why"), [
    (D(2024, 6, 5), D(2024, 6, 5), 0, "same day"),
    (D(2024, 6, 3), D(2024, 6, 4), 1, "Monday to Tuesday: the Monday counts"),
    (D(2024, 6, 7), D(2024, 6, 10), 1, "Friday to Monday: the weekend does not count"),
    (D(2024, 6, 8), D(2024, 6, 10), 0, "Saturday to Monday"),
    (D(2024, 6, 8), D(2024, 6, 9), 0, "Saturday to Sunday"),
    (D(2024, 6, 3), D(2024, 6, 17), 10, "two whole weeks"),
    (D(2021, 12, 24), D(2021, 12, 29), 1, "Christmas 2021 on a Saturday: Mon 27 and Tue 28 are substitutes"),
    (D(2021, 12, 31), D(2022, 1, 4), 1, "New Year 2022 on a Saturday: Mon 3 Jan is the substitute"),
    (D(2022, 12, 23), D(2022, 12, 28), 1, "Christmas 2022 on a Sunday: Boxing Day Mon 26, substitute Tue 27"),
    (D(2020, 12, 24), D(2020, 12, 29), 1, "Boxing Day 2020 on a Saturday: Mon 28 is the substitute"),
    (D(2024, 12, 23), D(2025, 1, 2), 5, "Christmas and New Year 2024 on weekdays: 23, 24, 27, 30, 31"),
    (D(2024, 12, 25), D(2024, 12, 27), 0, "starting on Christmas Day, to the day after Boxing Day"),
    (D(2024, 12, 24), D(2024, 12, 25), 1, "ending on a bank holiday: the end never counts"),
    (D(2024, 3, 28), D(2024, 4, 2), 1, "Easter 2024: Good Friday 29 Mar and Easter Monday 1 Apr"),
    (D(2025, 4, 17), D(2025, 5, 6), 10, "Easter 2025 (18, 21 Apr) and the early May bank holiday (5 May)"),
    (D(2024, 5, 24), D(2024, 5, 28), 1, "late May (spring) bank holiday, Mon 27 May 2024"),
    (D(2025, 5, 23), D(2025, 5, 30), 4, "late May bank holiday, Mon 26 May 2025"),
    (D(2024, 8, 23), D(2024, 8, 27), 1, "August bank holiday, Mon 26 Aug 2024"),
    (D(2022, 6, 1), D(2022, 6, 6), 1, "the Platinum Jubilee holidays, Thu 2 and Fri 3 Jun 2022"),
])
def test__working_days__hand_counted(start, end, expected, why):
    assert workdays.working_days(start, end) == expected, why


@pytest.mark.parametrize(("start", "end"), [
    (D(2025, 3, 10), D(2025, 3, 7)),
    (D(2025, 1, 1), D(2024, 12, 31)),
])
def test__working_days__end_before_start_is_a_data_error_with_a_reason(start, end):
    with pytest.raises(workdays.OutOfOrder, match=f"end {end.isoformat()} is before start {start.isoformat()}"):
        workdays.working_days(start, end)
    assert workdays.order_problem(start, end, "received_date", "decision_date") == (
        f"decision_date {end.isoformat()} is before received_date {start.isoformat()}")
    assert workdays.order_problem(end, start) is None


@pytest.mark.parametrize(("day", "working"), [
    (D(2021, 12, 27), False), (D(2021, 12, 28), False), (D(2021, 12, 29), True),
    (D(2022, 1, 3), False), (D(2023, 1, 2), False), (D(2025, 4, 18), False), (D(2025, 4, 21), False),
    (D(2025, 5, 5), False), (D(2025, 5, 26), False), (D(2025, 8, 25), False), (D(2025, 8, 26), True),
    (D(2025, 6, 14), False), (D(2025, 6, 16), True),
])
def test__is_working_day__weekends_and_bank_holidays(day, working):
    assert workdays.is_working_day(day) == working


@pytest.mark.parametrize(("start", "limit", "due"), [
    (D(2025, 6, 18), 10, D(2025, 7, 2)),    # Wed + 10 working days
    (D(2024, 12, 20), 5, D(2024, 12, 31)),  # over Christmas: 23, 24, 27, 30, then the 31st
    (D(2025, 6, 14), 5, D(2025, 6, 23)),    # received on a Saturday: the clock starts on Monday
    (D(2025, 3, 3), 0, D(2025, 3, 3)),      # a limit of 0: the same day
])
def test__due_date__the_last_day_within_the_limit(start, limit, due):
    assert workdays.due_date(start, limit) == due
    assert workdays.working_days(start, due) == limit
    assert workdays.working_days(start, due + dt.timedelta(days=1)) == limit + 1  # the next day is late


@pytest.fixture(scope="module")
def calendar_db():
    con = duckdb.connect()
    con.execute(sqlfile.read("warehouse"))
    workdays.store(con)
    yield con
    con.close()


def test__store__one_row_a_day_2000_to_2100_with_names(calendar_db):
    first, last, days, holidays = calendar_db.execute("""select min(calendar_date), max(calendar_date),
        count(*), count(bank_holiday) from ref_working_days""").fetchall()[0]
    assert (first, last, days) == (workdays.FIRST_DATE, workdays.LAST_DATE, (last - first).days + 1)
    assert holidays == len(workdays.bank_holidays()) > 8 * 100
    names = dict(calendar_db.execute("""select calendar_date, bank_holiday from ref_working_days
        where calendar_date between '2021-12-25' and '2021-12-28'""").fetchall())
    assert names[D(2021, 12, 27)] == "Christmas Day (observed)" and names[D(2021, 12, 28)] == "Boxing Day (observed)"


_dates = st.dates(min_value=workdays.FIRST_DATE, max_value=workdays.LAST_DATE)


@settings(max_examples=300, deadline=None)
@given(a=_dates, b=_dates)
def test__sql_lookup__equals_busday_count(calendar_db, a, b):
    """index(B) - index(A) in ref_working_days = numpy.busday_count(A, B) with the same holidays."""
    start, end = min(a, b), max(a, b)
    got = calendar_db.execute("""select e.working_day_index - s.working_day_index
        from ref_working_days s, ref_working_days e where s.calendar_date = ? and e.calendar_date = ?""",
                              [start, end]).fetchall()[0][0]
    holidays = np.array(sorted(workdays.bank_holidays()), dtype="datetime64[D]")
    assert got == np.busday_count(start, end, holidays=holidays) == workdays.working_days(start, end)
