"""Every combination of an application's decision, route, outcome and stage dates builds (the
black-box audit of the case-review marts, 8 December 2026). A "not met" application reviewed by
discretion whose decision date was blank, unreadable or before 2000 (kept, its date left empty and
listed in data_errors, as the README says) stopped the whole build with a traceback: the
statutory-exceptions note quoted the missing date, and a text with a null in it is null
(mart_statutory_exceptions.reason is not null). One register holds the whole grid here, so that
any other check quoting a date that can be missing fails the same way."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from conftest import register_connection

AS_OF = dt.date(2023, 3, 31)
DECISIONS = ("met", "not_met", "pending", "")
ROUTES = ("discretion", "victim", "")
DECISION_DATES = ("", "TBC", "1999-12-31", "2022-05-10", "2022-05-01")   # the last before receipt
REVIEW_DATES = ("", "TBC", "2022-05-24", "2023-04-20")                   # the last after the year end
OUTCOMES = ("", "recommendations", "no_further_action", "pending")
COUNTS = ("", "0", "2")
TOLD = ("", "2022-06-01")
GRID = list(itertools.product(DECISIONS, ROUTES, DECISION_DATES, REVIEW_DATES, OUTCOMES, COUNTS, TOLD))


def _rows() -> list[str]:
    rows = []
    for n, (decision, route, decided, reviewed, outcome, count, told) in enumerate(GRID):
        rows.append(f"CR-{n},Erewash,P-{n % 50},2022-05-05,2022-05-06,{route},{decision},{decided},,{reviewed},"
                    f"{outcome},{count},{told},")
    return rows


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    yield from register_connection(tmp_path_factory.mktemp("grid"), _rows(), AS_OF)


def test__register_grid__every_application_is_loaded_or_rejected_once_and_the_build_publishes(built):
    loaded = built.execute("select count(*) from applications").fetchall()[0][0]
    rejected = built.execute("select count(*) from etl_rejects where kind = 'applications'").fetchall()[0][0]
    assert loaded + rejected == len(GRID) and loaded > 0
    assert built.execute("select count(*) from mart_review_turnaround").fetchall()[0][0] == loaded


def test__register_grid__every_exception_names_its_year_and_says_why(built):
    rows = built.execute("select financial_year, check_code, reason from mart_statutory_exceptions").fetchall()
    assert rows and all(year and reason for year, _, reason in rows)
    assert not [r for r in rows if "None" in r[2] or "NULL" in r[2]]
    # the audit's case: not met, reviewed by discretion, its decision date unknown
    said = {r[2] for r in rows if r[1] == "reviewed_by_discretion"}
    assert any("threshold not met on an unrecorded date, reviewed by discretion on 2022-05-24" in s for s in said), said


def test__register_grid__the_statutory_returns_count_each_application(built):
    received = built.execute("select sum(applications_received) from mart_statutory_returns").fetchall()[0][0]
    assert received == built.execute("select count(*) from applications where received_date <= ?",
                                     [AS_OF]).fetchall()[0][0]
