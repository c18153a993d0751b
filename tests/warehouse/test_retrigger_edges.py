"""A re-trigger's window starts when the review's process ends, never before its meeting (audit,
5 December 2026): an outcome letter dated before the meeting (a data error of the turnaround) made
an application three days before the meeting a re-trigger. Built with the real ETL as of 30 June 2025.

    R9   met, review meeting Mon 10 Mar 2025, outcome letter dated Wed 5 Mar (before it)
    R9b  the same person applies again on Fri 7 Mar, before the meeting: not a re-trigger
    R9c  and again on Wed 12 Mar, after it: the re-trigger
"""

from __future__ import annotations

import datetime as dt

from conftest import register_warehouse

from insight import db

D = dt.date
APPLICATIONS = [
    "R9,Erewash,PI,2025-01-06,2025-01-07,victim,met,2025-01-10,2025-01-13,2025-03-10,recommendations,1,2025-03-05,",
    "R9b,Erewash,PI,2025-03-07,,victim,pending,,,,,,,",
    "R9c,Erewash,PI,2025-03-12,,victim,pending,,,,,,,",
]


def test__retriggers__a_letter_before_the_meeting_counts_from_the_meeting(tmp_path):
    with db.connect(register_warehouse(tmp_path, APPLICATIONS, D(2025, 6, 30))) as con:
        row = con.execute("""select outcome_date, window_end_date, retrigger_date, next_application_ref,
                                    later_applications from mart_retriggers where application_ref = 'R9'""").fetchall()
        errors = con.execute("select data_errors from mart_review_turnaround where application_ref = 'R9'").fetchall()
    assert row == [(D(2025, 3, 10), D(2026, 3, 10), D(2025, 3, 12), "R9c", 1)]
    assert "outcome_notified_date 2025-03-05 is before review_date 2025-03-10" in errors[0][0]
