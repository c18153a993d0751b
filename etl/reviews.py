"""Case review performance: turnaround in working days, open cases, statutory returns, appeals.

The build stores the working-day calendar (`ref_working_days`, etl/workdays.py) and fills the
marts as of its as-of date, in dependency order; each is a SQL file in etl/sql ending in
`select * from final`. `evaluate()` runs the same SQL for any other as-of date, with the marts it
reads defined as common table expressions of that date, so a page can age open cases to another
day. The SLA limits are the per-authority settings (`settings_rules`, sla_*_days) in force when
the application (or the appeal) was received.

- `mart_review_turnaround` (contract): one row per application, each stage's working days and
  whether it met its limit, open cases aged, stage dates out of order listed in data_errors.
- `mart_review_open_stages`: the stages whose clock is running, with due dates; overdue and at risk.
- `mart_statutory_exceptions` and `mart_statutory_returns` (contract): the four published figures
  per authority and financial year, with consistency checks and the applications behind them.
- `mart_appeals`: OPCC appeals with time to decision and the application appealed against.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import duckdb
import pandas as pd

from . import publish, workdays

AT_RISK_WORKING_DAYS = 3  # the build's margin for is_at_risk; the page lets a viewer choose
# In dependency order: each mart may read the ones before it (same as-of date).
MARTS = ("mart_review_turnaround", "mart_review_open_stages", "mart_statutory_exceptions",
         "mart_statutory_returns", "mart_appeals")
READS = {"mart_review_turnaround": (),
         "mart_review_open_stages": ("mart_review_turnaround",),
         "mart_statutory_exceptions": ("mart_review_turnaround",),
         "mart_statutory_returns": ("mart_review_turnaround", "mart_statutory_exceptions"),
         "mart_appeals": ("mart_review_turnaround",)}


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


def params(mart: str, as_of: dt.date, at_risk_days: int = AT_RISK_WORKING_DAYS) -> dict:
    """The SQL parameters a mart's statement takes."""
    if mart == "mart_review_open_stages":
        return {"as_of": as_of, "at_risk_days": at_risk_days}
    return {"as_of": as_of}


def _dependencies(mart: str) -> list[str]:
    """Every mart `mart` reads, directly or not, in build order."""
    needed, stack = set(), list(READS[mart])
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(READS[name])
    return [m for m in MARTS if m in needed]


def live_sql(mart: str) -> str:
    """A mart's SQL that computes, for its own $as_of, the marts it reads (as CTEs that shadow
    the stored tables of the build's date)."""
    if mart not in MARTS:
        raise ValueError(f"unknown case review mart {mart!r}")
    deps = _dependencies(mart)
    if not deps:
        return publish.sql_file(mart)
    ctes = ",\n".join(f"{d} as (select * from ({publish.sql_file(d)}))" for d in deps)
    return f"with {ctes}\nselect * from ({publish.sql_file(mart)})"


def build_reviews(con: duckdb.DuckDBPyConnection, as_of: dt.date, timings: list | None = None) -> None:
    """Store the working-day calendar and fill the case review marts as of `as_of` (needs
    applications, appeals, authorities and settings_rules). `timings` receives (step, seconds)."""
    started = time.perf_counter()
    workdays.store(con)
    steps = [("ref_working_days", time.perf_counter() - started)]
    for mart in MARTS:
        started = time.perf_counter()
        con.execute(f"insert into {mart} by name {publish.sql_file(mart)}", params(mart, as_of))
        steps.append((mart, time.perf_counter() - started))
    if timings is not None:
        timings.extend(steps)


def evaluate(con: duckdb.DuckDBPyConnection, as_of: dt.date, mart: str,
             at_risk_days: int = AT_RISK_WORKING_DAYS) -> pd.DataFrame:
    """A case review mart evaluated live as of any date (a DataFrame with the mart's columns)."""
    return con.execute(live_sql(mart), params(mart, as_of, at_risk_days)).df()
