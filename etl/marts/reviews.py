"""Case review performance: turnaround in working days, open cases, statutory returns, appeals.

The build stores the working-day calendar (`ref_working_days`, etl/rules/workdays.py); the
marts are registered in etl/marts/registry.py (what each reads, its parameters), which fills
them as of the build's as-of date in dependency order and evaluates the same SQL for any other
as-of date, so a page can age open cases to another day. Each is a SQL file in etl/sql/marts. The
SLA limits are the per-authority settings (`settings_rules`, sla_*_days) in force when the
application was received; an appeal is held to its application's authority's settings (the
decision limit in force when the appeal was received, the window in force on the letter appealed).

- `mart_review_turnaround` (contract): one row per application, each stage's working days and
  whether it met its limit, open cases aged, stage dates out of order listed in data_errors.
- `mart_review_open_stages`: the stages whose clock is running, with due dates; overdue and at risk.
- `mart_statutory_exceptions` and `mart_statutory_returns` (contract): the four published figures
  per authority and financial year, with consistency checks (each year's intake adds up, no
  application contradicts itself, a met threshold is reviewed) and the applications behind them,
  and, for a year frozen as published (`published_returns`, loaded by the build from the file
  etl/marts/returns_file.py reads), the published figures beside the current ones.
- `mart_appeals`: OPCC appeals with time to decision and the application appealed against, with
  flags (another authority than the application's; a met threshold decision appealed).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from etl import cache
from etl.rules import workdays

AT_RISK_WORKING_DAYS = 3  # the build's margin for is_at_risk; the page lets a viewer choose


@dataclass(frozen=True)
class Stage:
    name: str  # column prefix in mart_review_turnaround: <name>_working_days, <name>_within_sla
    label: str
    description: str  # from which event to which
    start_column: str  # the date that starts the clock
    end_column: str  # the date that stops it
    sla_column: str | None  # the limit's column (settings sla_*_days), None when no limit is set


STAGES = (
    Stage("acknowledge", "Acknowledgement", "received → acknowledged", "received_date", "acknowledged_date",
          "sla_acknowledge_days"),
    Stage("decision", "Threshold decision", "received → threshold decision", "received_date", "decision_date",
          "sla_decision_days"),
    Stage("decision_notice", "Decision told", "threshold decision → applicant told", "decision_date",
          "decision_notified_date", "sla_decision_notice_days"),
    Stage("review", "Review meeting", "threshold decision → review meeting", "decision_date", "review_date",
          "sla_review_days"),
    Stage("outcome_notice", "Outcome told", "review meeting → outcome told", "review_date",
          "outcome_notified_date", "sla_outcome_days"),
    Stage("total", "Whole process", "received → outcome told", "received_date", "outcome_notified_date",
          "sla_total_days"),
    Stage("action_plan", "Action plan delivered", "outcome told → action plan closed", "outcome_notified_date",
          "action_plan_closed_date", None),
)
STAGE_BY_NAME = {s.name: s for s in STAGES}

# The checks of mart_statutory_exceptions (check_code), in words: contradictions first, then notes
# (insight/charts/reviews.py CHECKS says what each means).
STATUTORY_CHECKS = {
    "review_without_threshold_met": "Review without threshold met",
    "recommendations_without_review": "Recommendations without review",
    "recommendations_count_mismatch": "Recommendations miscounted",
    "met_without_review": "Met, no review",
    "dated_before_receipt": "Dated before receipt",
    "carried_in": "Carried in from an earlier year",
    "reviewed_by_discretion": "Reviewed by discretion",
    "decided_after_year_end": "Decided after the year",
}


def store_calendar(con: duckdb.DuckDBPyConnection) -> None:
    """Store the working-day calendar the review marts count with (`ref_working_days`)."""
    workdays.store(con, kept_calendar())


def kept_calendar() -> pd.DataFrame:
    """`workdays.calendar()`, kept between builds (etl/cache.py): making it (a hundred years of bank
    holidays from the `holidays` package, and importing it) took 0.2-0.3 s of every build. The
    entry is named by the package's version and the text of etl/rules/workdays.py, so a new package
    or a changed rule makes it again."""
    def compute() -> dict[str, np.ndarray]:
        frame = workdays.calendar()
        return {"calendar_date": frame["calendar_date"].to_numpy("datetime64[D]"),
                "is_working_day": frame["is_working_day"].to_numpy(bool),
                "bank_holiday": frame["bank_holiday"].fillna("").to_numpy(str),  # "": not a bank holiday
                "working_day_index": frame["working_day_index"].to_numpy("int32")}

    kept = cache.arrays("working-days", (version("holidays"), Path(workdays.__file__).read_bytes()), compute)
    names = kept["bank_holiday"].astype(object)
    names[names == ""] = None
    return pd.DataFrame({**kept, "bank_holiday": names})
