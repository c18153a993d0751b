"""Case review turnaround on awkward dates, through the real build (one hand-made register as of
Monday 30 November 2026; working days counted by hand in the comments: England, weekends and bank
holidays excluded, the start counts, the end does not).

    PR-SAT        received Sat 4 Apr 2026 (Easter Saturday), decided Tue 7 Apr: 0 working days
                  (Sat, Sun and Easter Monday are not working days)
    PR-GOODFRI    received and decided on Good Friday 3 Apr 2026: 0
    PR-SAME       every stage on Mon 1 Jun 2026: 0 each, all within their limits
    PR-XMAS       met on Fri 27 Nov 2026: the review (20 working days) is due Tue 29 Dec 2026, after
                  Christmas Day (Fri 25) and Boxing Day observed (Mon 28)
    PR-OUTFIRST   outcome letter Wed 8 Jul 2026, before the threshold decision of Fri 10 Jul and with
                  no review: a data error, and no whole process (it was timed as 5 working days,
                  "within the limit")
    PR-OUTEARLY   outcome letter Mon 20 Jul 2026, after the decision (Fri 10 Jul) but before the
                  review meeting (Thu 30 Jul): no outcome stage and no whole process either
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import register_connection

AS_OF = dt.date(2026, 11, 30)
APPLICATIONS = [
    "PR-SAT,Erewash,P1,2026-04-04,2026-04-07,victim,not_met,2026-04-07,2026-04-07,,,,,",
    "PR-GOODFRI,Erewash,P2,2026-04-03,2026-04-03,victim,not_met,2026-04-03,2026-04-03,,,,,",
    "PR-SAME,Erewash,P3,2026-06-01,2026-06-01,victim,met,2026-06-01,2026-06-01,2026-06-01,no_further_action,0,"
    "2026-06-01,",
    "PR-XMAS,Erewash,P4,2026-11-20,2026-11-23,victim,met,2026-11-27,2026-11-27,,,,,",
    "PR-OUTFIRST,Erewash,P5,2026-07-01,2026-07-02,victim,met,2026-07-10,2026-07-10,,,,2026-07-08,",
    "PR-OUTEARLY,Erewash,P6,2026-07-01,2026-07-02,victim,met,2026-07-10,2026-07-10,2026-07-30,"
    "no_further_action,0,2026-07-20,",
]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    yield from register_connection(tmp_path_factory.mktemp("probe_dates"), APPLICATIONS, AS_OF)


def _row(con, ref: str) -> dict:
    frame = con.execute("select * from mart_review_turnaround where application_ref = ?", [ref]).df()
    assert len(frame) == 1
    return {k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in frame.iloc[0].items()}


@pytest.mark.parametrize(("ref", "acknowledge", "decision"), [("PR-SAT", 0, 0), ("PR-GOODFRI", 0, 0)])
def test__turnaround__received_on_a_weekend_or_bank_holiday_counts_no_day(con, ref, acknowledge, decision):
    row = _row(con, ref)
    assert (row["acknowledge_working_days"], row["decision_working_days"]) == (acknowledge, decision)
    assert row["decision_within_sla"] and row["data_errors"] is None


def test__turnaround__every_stage_on_the_day_of_receipt_is_zero_days_within(con):
    row = _row(con, "PR-SAME")
    stages = ["acknowledge", "decision", "decision_notice", "review", "outcome_notice", "total"]
    assert [row[f"{s}_working_days"] for s in stages] == [0] * 6
    assert all(row[f"{s}_within_sla"] for s in stages) and not row["is_open"]


def test__open_stage__review_due_after_christmas_2026_and_its_substitute_day(con):
    due = con.execute("select due_date, working_days_elapsed, working_days_left from mart_review_open_stages "
                      "where application_ref = 'PR-XMAS' and stage = 'review'").fetchall()
    # Fri 27 Nov (1), 30 Nov-4 Dec (6), 7-11 (11), 14-18 (16), 21-24 Dec (20): the 20th working day
    # after the decision ends on Thu 24 Dec, so the meeting is due on the next working day, Tue 29 Dec
    assert due == [(dt.date(2026, 12, 29), 1, 19)]


def test__turnaround__an_outcome_letter_before_the_decision_times_no_whole_process(con):
    row = _row(con, "PR-OUTFIRST")
    assert row["total_working_days"] is None and row["total_within_sla"] is None
    assert "outcome_notified_date 2026-07-08 is before decision_date 2026-07-10" in row["data_errors"]


def test__turnaround__an_outcome_letter_before_the_meeting_times_no_whole_process(con):
    row = _row(con, "PR-OUTEARLY")
    assert row["outcome_notice_working_days"] is None
    assert row["total_working_days"] is None and row["total_within_sla"] is None
    assert "outcome_notified_date 2026-07-20 is before review_date 2026-07-30" in row["data_errors"]


def test__turnaround__the_whole_process_stage_counts_no_letter_out_of_order(con):
    """The pages' and the pack's 'whole process' (stage_summary) count only the case told in order."""
    from insight.queries import turnaround

    summary = turnaround.stage_summary(con, AS_OF, ("E07000036",), dt.date(2026, 4, 1), AS_OF)
    total = summary[(summary["stage"] == "total") & summary["authority_code"].notna()]
    assert total["finished"].tolist() == [1]  # PR-SAME only
