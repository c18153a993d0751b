"""Case review marts on the edges a black-box audit found (5 December 2026), each on a register of
its own built with the real ETL as of 30 June 2025:

    A-WD1     withdrawn, its decision dated the day before receipt: a data error, as a met one's is
    A-WD2     withdrawn, told on 10 April of a decision of 17 April: a data error
    A-PT/WT   pending or withdrawn, told on 10 March of a decision with no date: a data error, as
              a met one's (A-MT) is (the registers fuzz of 6 December 2026: none was listed)
    B-HP      High Peak's only application, received 3 April 2023, "not met" on 30 March 2023: the
              not-met counts in 2022/23, a year with nothing received; that year cannot add up, so
              the application contradicts itself there (dated_before_receipt), never a quiet year
    B-CH      a review on 20 March 2023 of an application received on 4 April 2023: the same
    D-2012    received in 2012, before the case review (and any rule) existed: no limit applies,
              and the row says so rather than leaving its limits empty without a word
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import register_connection

D = dt.date
AS_OF = D(2025, 6, 30)
HIGH_PEAK, CHESTERFIELD, EREWASH = "E07000037", "E07000034", "E07000036"
APPLICATIONS = [
    "A-WD1,Erewash,P1,2025-05-04,2025-05-14,victim,withdrawn,2025-05-03,,,,,,",
    "A-WD2,Erewash,P2,2025-04-15,,victim,withdrawn,2025-04-17,2025-04-10,,,,,",
    "A-OK,Erewash,P3,2025-04-15,2025-04-16,victim,withdrawn,2025-04-17,2025-04-17,,,,,",
    "A-PT,Erewash,P7,2025-03-03,,victim,pending,,2025-03-10,,,,,",
    "A-WT,Erewash,P8,2025-03-03,,victim,withdrawn,,2025-03-10,,,,,",
    "A-MT,Erewash,P9,2025-03-03,,victim,met,,2025-03-10,,,,,",
    "B-HP,High Peak,P4,2023-04-03,2023-04-04,victim,not_met,2023-03-30,2023-04-05,,,,,",
    "B-CH,Chesterfield,P5,2023-04-04,2023-04-05,victim,met,2023-04-06,2023-04-06,2023-03-20,no_further_action,0,"
    "2023-04-28,",
    "D-2012,Derby,P6,2012-05-01,2012-05-02,victim,not_met,2012-05-10,2012-05-10,,,,,",
]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    yield from register_connection(tmp_path_factory.mktemp("edges"), APPLICATIONS, AS_OF)


def errors(con, ref: str) -> str | None:
    return con.execute("select data_errors from mart_review_turnaround where application_ref = ?",
                       [ref]).fetchall()[0][0]


def test__turnaround__a_withdrawn_applications_dates_out_of_order_are_data_errors(con):
    assert "decision_date 2025-05-03 is before received_date 2025-05-04" in errors(con, "A-WD1")
    assert "decision_notified_date 2025-04-10 is before decision_date 2025-04-17" in errors(con, "A-WD2")
    assert errors(con, "A-OK") is None
    # still no stage timed for a withdrawn application
    assert con.execute("select decision_working_days, decision_notice_working_days from mart_review_turnaround "
                       "where application_ref = 'A-WD1'").fetchall() == [(None, None)]


@pytest.mark.parametrize("ref", ["A-PT", "A-WT", "A-MT"])
def test__turnaround__told_of_a_decision_with_no_date_is_a_data_error_whatever_the_decision(con, ref):
    assert "decision_notified_date 2025-03-10 but no decision_date" in (errors(con, ref) or "")


def test__turnaround__received_before_any_rule_says_no_limit_applies(con):
    [(rule, limit, days, within, why)] = con.execute(
        "select rule_id, sla_decision_days, decision_working_days, decision_within_sla, data_errors "
        "from mart_review_turnaround where application_ref = 'D-2012'").fetchall()
    assert (rule, limit, within) == (None, None, None) and days == 6   # 7 May 2012 a bank holiday
    assert "received_date 2012-05-01 is before any rule in force" in why


@pytest.mark.parametrize(("code", "year", "ref", "reason"), [
    (HIGH_PEAK, "2022/23", "B-HP",
     'threshold decision ("not met") on 2023-03-30, before the application was received on 2023-04-03'),
    (CHESTERFIELD, "2022/23", "B-CH", "review held on 2023-03-20, before the application was received on 2023-04-04"),
])
def test__statutory__a_stage_dated_before_receipt_makes_its_year_inconsistent(con, code, year, ref, reason):
    assert con.execute("select check_code, severity, reason from mart_statutory_exceptions "
                       "where authority_code = ? and financial_year = ? and application_ref = ?",
                       [code, year, ref]).fetchall() == [("dated_before_receipt", "contradiction", reason)]
    [(received, consistent, contradictions)] = con.execute(
        "select applications_received, is_consistent, contradictions from mart_statutory_returns "
        "where authority_code = ? and financial_year = ?", [code, year]).fetchall()
    assert (received, consistent, contradictions) == (0, False, 1)
