"""Case review marts (etl/marts/reviews.py + SQL) on hand-built applications and appeals, through the real build.

One build, as of Monday 30 June 2025, of a register whose every row is one scenario; working days
are counted by hand in the comments (England: weekends and bank holidays excluded, the start
counts, the end does not). Derby's decision limit drops from 10 to 5 working days on 1 Jan 2025
in this build's settings, to show the limit in force at receipt applies.

    CT-ON-TIME  received Mon 3 Mar -> decided Fri 14 Mar = 9 working days (limit 10: in time)
    CT-ORDER    acknowledged after the decision, met before being told, plan closed before the
                outcome letter: kept by staging, flagged with reasons, no negative duration
    CT-CONTRA   "not met" but a review was held: the contradiction published tables show
    CT-NO-REVIEW  threshold met, no review though the limit has passed: a contradiction (s.104(1));
                more on the statutory checks in tests/warehouse/test_statutory.py
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import APPLICATIONS_HEADER, REGISTERS_TOML, build_module_warehouse, write_inputs
from support import open_app

from etl.marts import registry
from etl.rules import settings as rule_settings
from insight import db

D = dt.date
AS_OF = D(2025, 6, 30)
EREWASH, DERBY, BOLSOVER = "E07000036", "E06000015", "E07000033"
HEADER = APPLICATIONS_HEADER
APPLICATIONS = [
    "CT-ON-TIME,Erewash,P1,2025-03-03,2025-03-05,victim,met,2025-03-14,2025-03-17,2025-04-10,recommendations,3,"
    "2025-04-17,2025-05-06",
    "CT-LATE,Erewash,P2,2024-12-20,2024-12-31,victim,not_met,2025-01-09,2025-01-09,,,,,",
    "CT-XMAS21,Erewash,P3,2021-12-24,2021-12-29,victim,not_met,2022-01-05,2022-01-05,,,,,",
    "CT-ORDER,Erewash,P4,2025-05-01,2025-05-06,victim,met,2025-05-02,2025-05-20,2025-05-15,recommendations,2,"
    "2025-05-22,2025-05-21",
    "CT-BACKWARDS,Erewash,P5,2025-04-10,,victim,not_met,2025-04-09,,,,,,",
    "CT-PENDING,Erewash,P6,2025-06-18,,victim,pending,,,,,,,",
    "CT-NO-REVIEW,Erewash,P7,2025-05-27,2025-05-28,victim,met,2025-05-30,2025-06-02,,,,,",
    "CT-CONTRA,Erewash,P8,2025-01-06,2025-01-07,victim,not_met,2025-01-10,2025-01-13,2025-02-03,recommendations,2,"
    "2025-02-07,",
    "CT-DISCRETION,Erewash,P9,2025-02-03,2025-02-04,discretion,not_met,2025-02-10,2025-02-11,2025-03-03,"
    "no_further_action,0,2025-03-06,",
    "CT-CARRY,Erewash,P10,2025-03-24,2025-03-25,victim,met,2025-04-03,2025-04-04,2025-04-24,no_further_action,0,"
    "2025-04-29,",
    "CT-NOREC,Erewash,P11,2025-04-01,2025-04-02,victim,met,2025-04-07,2025-04-08,,recommendations,2,,",
    "BDC-TWICE,Bolsover,P12,2024-06-03,2024-06-04,victim,not_met,2024-06-10,2024-06-11,2024-06-24,"
    "no_further_action,0,2024-06-26,",
    "BDC-COUNT,Bolsover,P13,2024-07-01,2024-07-02,victim,met,2024-07-05,2024-07-08,2024-07-22,recommendations,0,"
    "2024-07-25,",
    "DCC-OLD,Derby,P14,2024-12-02,2024-12-03,victim,met,2024-12-11,2024-12-12,,,,,",
    "DCC-NEW,Derby,P15,2025-02-03,2025-02-04,victim,not_met,2025-02-12,2025-02-12,,,,,",
]
APPEALS = """appeal_ref,application_ref,authority,received_date,appellant,grounds,outcome,decision_date
OPCC-1,CT-LATE,Erewash,2025-01-20,victim,threshold_decision,upheld,2025-02-14
OPCC-2,CT-ON-TIME,Erewash,2025-05-19,victim,review_process,not_upheld,2025-06-20
OPCC-3,CT-CONTRA,Erewash,2025-05-30,victim,action_plan_delivery,pending,
OPCC-4,CT-ORDER,Erewash,2025-05-21,victim,review_process,withdrawn,
"""
TOML = """
[build]
settings = "rules.toml"
""" + REGISTERS_TOML
DERBY_RULE = '\n[[rule]]\nauthority = "Derby"\neffective_from = "2025-01-01"\nsla_decision_days = 5\n'


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The hand-built register, built once with the real ETL (path of the warehouse)."""
    rules = rule_settings.DEFAULT_PATH.read_text(encoding="utf-8") + DERBY_RULE
    inputs = write_inputs(tmp_path_factory.mktemp("reviews") / "inputs", TOML, {
        "applications.csv": "\n".join([HEADER, *APPLICATIONS]) + "\n", "appeals.csv": APPEALS,
        "rules.toml": rules})
    return build_module_warehouse(inputs, AS_OF)


@pytest.fixture(scope="module")
def con(warehouse):
    connection = db.connect(warehouse)
    yield connection
    connection.close()


def _row(con, table: str, key: str, value: str) -> dict:
    frame = con.execute(f"select * from {table} where {key} = ?", [value]).df()
    assert len(frame) == 1, f"{table}: {len(frame)} rows for {value}"
    return frame.iloc[0].to_dict()


def _none(value) -> object:
    return None if pd.isna(value) else value


# --- mart_review_turnaround --------------------------------------------------------------------------

STAGE_COLUMNS = ["acknowledge", "decision", "decision_notice", "review", "outcome_notice", "total", "action_plan"]


@pytest.mark.parametrize(("ref", "days", "within"), [
    # ack: Mon 3 -> Wed 5 = 2; decision: 3 -> Fri 14 Mar = 9; told Mon 17 = 1; meeting Thu 10 Apr = 19
    # from Fri 14 Mar; outcome Thu 17 Apr = 5; total 33; plan closed Tue 6 May = 10 (Good Friday,
    # Easter Monday and the early May bank holiday excluded)
    ("CT-ON-TIME", [2, 9, 1, 19, 5, 33, 10], [True, True, True, True, True, True]),
    # ack Fri 20 -> Tue 31 Dec 2024 = 5 (20, 23, 24, 27, 30: just in time); decided Thu 9 Jan = 11 (late)
    ("CT-LATE", [5, 11, 0, None, None, None, None], [True, False, True, None, None, None]),
    # Christmas 2021 on a weekend: Mon 27 and Tue 28 Dec, Mon 3 Jan are substitute bank holidays
    ("CT-XMAS21", [1, 5, 0, None, None, None, None], [True, True, True, None, None, None]),
    # told Tue 20 May, 11 working days after the decision of Fri 2 May (5 May a bank holiday): late
    ("CT-ORDER", [2, 1, 11, 8, 5, 14, None], [True, True, False, True, True, True]),
    # Tue 27 May (after the late May bank holiday) -> Wed 28 = 1; -> Fri 30 = 3; told Mon 2 Jun = 1
    ("CT-NO-REVIEW", [1, 3, 1, None, None, None, None], [True, True, True, None, None, None]),
])
def test__turnaround__working_days_and_limits_by_hand(con, ref, days, within):
    row = _row(con, "mart_review_turnaround", "application_ref", ref)
    assert [_none(row[f"{s}_working_days"]) for s in STAGE_COLUMNS] == days
    assert [_none(row[f"{s}_within_sla"]) for s in STAGE_COLUMNS[:-1]] == within
    assert (row["sla_acknowledge_days"], row["sla_decision_days"], row["sla_review_days"],
            row["sla_total_days"]) == (5, 10, 20, 35)


def test__turnaround__out_of_order_stages_are_flagged_never_negative(con):
    row = _row(con, "mart_review_turnaround", "application_ref", "CT-ORDER")
    assert row["has_data_error"]
    assert row["data_errors"].split("; ") == [
        "acknowledged_date 2025-05-06 is after decision_date 2025-05-02",
        "review_date 2025-05-15 is before decision_notified_date 2025-05-20 (met before the applicant was told)",
        "action_plan_closed_date 2025-05-21 is before outcome_notified_date 2025-05-22"]
    assert pd.isna(row["action_plan_working_days"])
    frame = con.execute("select * from mart_review_turnaround").df()
    days = frame[[c for c in frame.columns if c.endswith("_working_days")]]
    assert (days.fillna(0) >= 0).all().all()
    assert not frame.loc[~frame["application_ref"].isin(["CT-ORDER", "CT-BACKWARDS"]), "has_data_error"].any()


def test__turnaround__a_decision_before_receipt_is_a_data_error_not_a_reject(con):
    """The application stays in the statutory counts; the backwards stage is listed and has no duration."""
    row = _row(con, "mart_review_turnaround", "application_ref", "CT-BACKWARDS")
    assert row["data_errors"] == "decision_date 2025-04-09 is before received_date 2025-04-10"
    assert pd.isna(row["decision_working_days"])
    assert con.execute("select count(*) from etl_rejects where kind = 'applications'").fetchall()[0][0] == 0
    assert con.execute("select count(*) from mart_review_turnaround").fetchall()[0][0] == \
        con.execute("select count(*) from applications").fetchall()[0][0] == len(APPLICATIONS)


@pytest.mark.parametrize(("ref", "rule_id", "limit", "days", "within"), [
    ("DCC-OLD", "E06000015@2014-10-20", 10, 7, True),   # received before the change: limit 10
    ("DCC-NEW", "E06000015@2025-01-01", 5, 7, False),   # received after it: limit 5
])
def test__turnaround__the_limit_in_force_when_received(con, ref, rule_id, limit, days, within):
    row = _row(con, "mart_review_turnaround", "application_ref", ref)
    assert (row["rule_id"], row["sla_decision_days"], row["decision_working_days"], row["decision_within_sla"]) == (
        rule_id, limit, days, within)


@pytest.mark.parametrize(("ref", "is_open", "open_days", "open_stage"), [
    ("CT-PENDING", True, 8, "decision"),      # Wed 18 Jun -> Mon 30 Jun = 8 working days
    ("CT-NO-REVIEW", True, 24, "review"),     # Tue 27 May -> Mon 30 Jun = 4 + 4 weeks = 24
    ("CT-ON-TIME", False, None, None),
    ("CT-LATE", False, None, None),           # not met and told: closed
])
def test__turnaround__open_cases_aged_to_the_as_of_date(con, ref, is_open, open_days, open_stage):
    row = _row(con, "mart_review_turnaround", "application_ref", ref)
    assert (row["is_open"], _none(row["open_working_days"]), _none(row["open_stage"])) == (
        is_open, open_days, open_stage)


def test__open_stages__overdue_and_at_risk(con):
    got = con.execute("""select application_ref, stage, started_date, sla_days, due_date, working_days_elapsed,
                                working_days_left, is_overdue, is_at_risk
                         from mart_review_open_stages where application_ref in ('CT-PENDING', 'CT-NO-REVIEW')
                         order by application_ref, stage""").fetchall()
    assert got == [
        # decided Fri 30 May; 20 working days later is Fri 27 Jun; 21 have passed by Mon 30 Jun
        ("CT-NO-REVIEW", "review", D(2025, 5, 30), 20, D(2025, 6, 27), 21, -1, True, False),
        ("CT-PENDING", "acknowledge", D(2025, 6, 18), 5, D(2025, 6, 25), 8, -3, True, False),
        # 10 working days from Wed 18 Jun is Wed 2 Jul: 2 left, within the 3-day margin
        ("CT-PENDING", "decision", D(2025, 6, 18), 10, D(2025, 7, 2), 8, 2, False, True)]


# --- statutory returns -------------------------------------------------------------------------------

RETURN_COLUMNS = ["applications_received", "threshold_not_met", "reviews_carried_out",
                  "reviews_with_recommendations", "carried_in_applications", "counts_add_up", "contradictions",
                  "notes", "is_consistent", "is_complete_year"]


@pytest.mark.parametrize(("code", "year", "expected"), [
    (EREWASH, "2021/22", [1, 1, 0, 0, 0, True, 0, 0, True, True]),
    (EREWASH, "2023/24", [0, 0, 0, 0, 0, True, 0, 0, True, True]),
    # received: ON-TIME, LATE, CONTRA, DISCRETION, CARRY; not met: LATE, CONTRA, DISCRETION;
    # reviews: CONTRA (a contradiction), DISCRETION (allowed, a note); CARRY decided next year (a note)
    (EREWASH, "2024/25", [5, 3, 2, 1, 0, True, 1, 2, False, True]),
    # reviews of ON-TIME and CARRY (carried in) and ORDER; NOREC: recommendations, no review, and
    # met without a review (closed: an outcome recorded); NO-REVIEW: met 30 May, review due 27 Jun
    # BACKWARDS: received 10 April, "decided" (not met) the day before: counted, a data error and
    # a contradiction (dated_before_receipt)
    (EREWASH, "2025/26", [5, 1, 3, 2, 2, True, 4, 2, False, False]),
    # the published-style contradiction: 2 received, 1 not met, 2 reviews: 1 + 2 > 2
    (BOLSOVER, "2024/25", [2, 1, 2, 1, 0, False, 2, 0, False, True]),
    # OLD met on 11 Dec 2024 and never reviewed (due 13 Jan 2025): s.104(1) makes the review mandatory
    (DERBY, "2024/25", [2, 1, 0, 0, 0, True, 1, 0, False, True]),
])
def test__statutory_returns__hand_counted(con, code, year, expected):
    row = con.execute(f"select {', '.join(RETURN_COLUMNS)} from mart_statutory_returns "
                      "where authority_code = ? and financial_year = ?", [code, year]).fetchall()
    assert list(row[0]) == expected


def test__statutory_returns__every_authority_every_year_zeros_included(con):
    years = con.execute("select distinct financial_year from mart_statutory_returns order by 1").fetchall()
    assert [y for (y,) in years] == ["2021/22", "2022/23", "2023/24", "2024/25", "2025/26"]
    assert con.execute("select count(*) from mart_statutory_returns").fetchall()[0][0] == 9 * 5
    totals = con.execute("select sum(applications_received) from mart_statutory_returns").fetchall()[0][0]
    assert totals == len(APPLICATIONS)
    bounds = con.execute("""select year_start_date, year_end_date from mart_statutory_returns
                            where financial_year = '2024/25' limit 1""").fetchall()[0]
    assert bounds == (D(2024, 4, 1), D(2025, 3, 31))


def test__statutory_exceptions__the_offending_applications_with_reasons(con):
    got = con.execute("""select authority_code, financial_year, application_ref, check_code, severity, reason
                         from mart_statutory_exceptions order by 1, 2, 3, 4""").fetchall()
    assert got == [
        (DERBY, "2024/25", "DCC-OLD", "met_without_review", "contradiction",
         "threshold met on 2024-12-11 but no review held by 2025-06-30, though due within 20 working days "
         "(by 2025-01-13)"),
        (BOLSOVER, "2024/25", "BDC-COUNT", "recommendations_count_mismatch", "contradiction",
         "outcome \"recommendations\" but the recommendations count is 0"),
        (BOLSOVER, "2024/25", "BDC-TWICE", "review_without_threshold_met", "contradiction",
         "review held on 2024-06-24 but the threshold decision is \"not met\" (route \"victim\")"),
        (EREWASH, "2024/25", "CT-CARRY", "decided_after_year_end", "note",
         "received on 2025-03-24 (2024/25), threshold decision on 2025-04-03 (2025/26)"),
        (EREWASH, "2024/25", "CT-CONTRA", "review_without_threshold_met", "contradiction",
         "review held on 2025-02-03 but the threshold decision is \"not met\" (route \"victim\")"),
        (EREWASH, "2024/25", "CT-DISCRETION", "reviewed_by_discretion", "note",
         "threshold not met on 2025-02-10, reviewed by discretion on 2025-03-03: counted as not met and as a review"),
        (EREWASH, "2025/26", "CT-BACKWARDS", "dated_before_receipt", "contradiction",
         "threshold decision (\"not met\") on 2025-04-09, before the application was received on 2025-04-10"),
        (EREWASH, "2025/26", "CT-CARRY", "carried_in", "note",
         "reviewed on 2025-04-24, received on 2025-03-24 (2024/25)"),
        (EREWASH, "2025/26", "CT-NO-REVIEW", "met_without_review", "contradiction",
         "threshold met on 2025-05-30 but no review held by 2025-06-30, though due within 20 working days "
         "(by 2025-06-27)"),
        (EREWASH, "2025/26", "CT-NOREC", "met_without_review", "contradiction",
         "threshold met on 2025-04-07 but closed without a review (outcome recommendations)"),
        (EREWASH, "2025/26", "CT-NOREC", "recommendations_without_review", "contradiction",
         "outcome \"recommendations\" with 2 recommendation(s) but no review date"),
        (EREWASH, "2025/26", "CT-ON-TIME", "carried_in", "note",
         "reviewed on 2025-04-10, received on 2025-03-03 (2024/25)"),
    ]


# --- appeals ----------------------------------------------------------------------------------------

APPEAL_COLUMNS = ["outcome", "is_decided", "is_upheld", "is_open", "decision_working_days", "decision_within_sla",
                  "open_working_days", "due_date", "is_overdue", "lodged_working_days", "is_within_appeal_window",
                  "application_decision", "application_decision_working_days", "application_total_working_days"]


@pytest.mark.parametrize(("ref", "expected"), [
    # Mon 20 Jan -> Fri 14 Feb = 19 (limit 20); lodged 7 working days after the letter of Thu 9 Jan
    ("OPCC-1", ["upheld", True, True, False, 19, True, None, D(2025, 2, 17), None, 7, True, "not_met", 11, None]),
    # Mon 19 May -> Fri 20 Jun = 23 (late bank holiday 26 May): over 20; lodged 19 after Thu 17 Apr
    ("OPCC-2", ["not_upheld", True, False, False, 23, False, None, D(2025, 6, 17), None, 19, True, "met", 9, 33]),
    # pending since Fri 30 May: 21 working days by Mon 30 Jun, due Fri 27 Jun; delivery: no window.
    # The application was not met yet reviewed, and its outcome told after 24 working days.
    ("OPCC-3", ["pending", False, False, True, None, None, 21, D(2025, 6, 27), True, None, None, "not_met", 4, 24]),
    ("OPCC-4", ["withdrawn", False, False, False, None, None, None, D(2025, 6, 19), None, None, None, "met", 1, 14]),
])
def test__appeals__time_to_decision_window_and_the_application(con, ref, expected):
    row = _row(con, "mart_appeals", "appeal_ref", ref)
    got = [_none(row[c]) for c in APPEAL_COLUMNS]
    got[7] = got[7].date() if got[7] is not None else None
    assert got == expected


def test__appeals__received_before_the_letter_it_appeals_is_a_data_error(con):
    row = _row(con, "mart_appeals", "appeal_ref", "OPCC-4")
    assert row["data_errors"] == ("appeal received on 2025-05-21, before the outcome letter it appeals "
                                  "against (2025-05-22)")
    assert con.execute("select count(*) from mart_appeals where data_errors is not null").fetchall()[0][0] == 1


# --- another as-of date, live ------------------------------------------------------------------------

@pytest.mark.parametrize("mart", registry.names("reviews"))
def test__evaluate__at_the_build_date_equals_the_stored_mart(con, mart):
    stored = con.execute(f"select * from {mart}").df()
    live = registry.evaluate(con, mart, AS_OF)
    key = list(stored.columns[:4])
    pd.testing.assert_frame_equal(live.sort_values(key).reset_index(drop=True),
                                  stored[live.columns].sort_values(key).reset_index(drop=True), check_dtype=False)


def test__evaluate__an_earlier_date_has_not_seen_later_events(con):
    """As of Sat 12 Apr 2025, CT-ON-TIME had its meeting (Thu 10) but the outcome was not yet told."""
    day = D(2025, 4, 12)
    row = registry.evaluate(con, "mart_review_turnaround", day).set_index("application_ref").loc["CT-ON-TIME"]
    assert (row["is_open"], row["open_stage"], row["open_working_days"]) == (True, "outcome_notice", 30)
    assert pd.isna(row["outcome_notified_date"]) and pd.isna(row["total_working_days"])
    stages = registry.evaluate(con, "mart_review_open_stages", day).set_index("application_ref")
    assert tuple(stages.loc["CT-ON-TIME", ["stage", "working_days_left", "is_at_risk"]]) == ("outcome_notice", 3, True)
    returns = registry.evaluate(con, "mart_statutory_returns", day).set_index(["authority_code", "financial_year"])
    assert returns.loc[(EREWASH, "2025/26"), "reviews_carried_out"] == 1  # ON-TIME only; CARRY on 24 Apr
    assert "CT-PENDING" not in set(registry.evaluate(con, "mart_review_turnaround", day)["application_ref"])


# --- the Partnership page on these cases -------------------------------------------------------------

def test__partnership_page__names_the_contradictions(warehouse, monkeypatch):
    at = open_app(monkeypatch, warehouse, "app_pages/partnership.py", authority=[EREWASH, BOLSOVER],
                  start="2024-07-01", end="2025-06-30")
    # Erewash 2024/25 and 2025/26, Bolsover 2024/25
    assert [e.value for e in at.error] == [
        "6 applications contradict the published figures; 3 authority-years inconsistent."]
    checks = next(d.value for d in at.dataframe if "check_code" in d.value.columns)
    assert list(checks.loc[checks["severity"] == "contradiction", "application_ref"]) == [
        "CT-BACKWARDS", "CT-NO-REVIEW", "CT-NOREC", "CT-NOREC", "BDC-COUNT", "BDC-TWICE", "CT-CONTRA"]
    published = next(d.value for d in at.dataframe if "figure" in d.value.columns)
    assert published["2024/25"].tolist() == [2, 1, 2, 1]  # Bolsover: the first in the sidebar's order


@pytest.mark.parametrize(("start", "end", "colour", "words"), [
    # DCC-OLD alone (decided 11 Dec, 7 days, held to 10): within its limit, though the period ends
    # under the 5-day rule of 1 January (it was "over the limit of 5")
    (D(2024, 12, 1), D(2025, 1, 31), "within", "within the limit of 10 working days (rule E06000015@2014-10-20)"),
    # DCC-NEW alone (7 days, held to 5): over
    (D(2025, 2, 1), D(2025, 3, 31), "over", "over the limit of 5 working days (rule E06000015@2025-01-01)"),
    # both (7 days each, held to 10 and to 5): the limit changed; each against its own, the median
    # decision is 0.5 working days inside it
    (D(2024, 12, 1), D(2025, 3, 31), "within", "the limits changed in the period (5 to 10 working days"),
])
def test__partnership__days_to_decision_against_the_limit_each_decision_was_held_to(con, start, end, colour, words):
    """The audit of 6 December: the median was judged against the limit in force on the period's
    last day, not the one each application was received under (README, "Which limit")."""
    from insight.queries import partnership

    frame = partnership.partnership(con, AS_OF, (DERBY,), start, end).set_index("measure")
    cell = frame.loc["median_decision_days"]
    assert cell["display"] == "7" and cell["colour"] == colour and words in cell["rule"], cell["rule"]
