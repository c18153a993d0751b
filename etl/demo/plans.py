"""Action plans and re-triggers for the demo: what happened after the case reviews.

`plant_retriggers` picks, from the reviewed applications, people who come back within a year of their
review's outcome: some apply again to the same authority (a second application, with the complaint
history its decision needs), a few meet the threshold again (three new qualifying complaints). Their
reports go into a `Planted` of their own and their applications get a timeline and references of
their own (own random streams), so the rest of the demo (applications, appeals, bad rows) is the
same as without them. `plant_actions` writes one action per recommendation of every review with
recommendations: several agencies, due dates weeks to months ahead, most done on time, some late,
some overdue on the as-of date (by weeks or months, not years), a few cancelled; a plan closed on
the register has every action done by then, and a recent plan still open keeps an action open.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.demo import bad as demo_bad
from etl.demo.cases import APP_PREFIX, Planted, _days, _lags, _separate, application_timeline
from etl.demo.incidents import Span

REAPPLY_SHARE = 0.25  # of the people whose review is old enough, the share who apply again
MET_AGAIN_SHARE = 0.1  # ... and who meet the threshold again without applying
# Who delivers the actions (weights), and what each agency typically does.
AGENCY_WEIGHTS = {"council": 30, "police": 25, "housing": 15, "health": 8, "social_care": 6, "fire": 4,
                  "education": 4, "probation": 3, "victim_services": 5}
AGENCY_TYPES = {
    "council": ("mediation", "warning_or_acceptable_behaviour_contract", "environmental_works", "case_management",
                "injunction_or_order"),
    "police": ("enforcement_patrols", "warning_or_acceptable_behaviour_contract", "injunction_or_order"),
    "housing": ("housing_action", "warning_or_acceptable_behaviour_contract", "mediation"),
    "health": ("support_referral",), "social_care": ("support_referral", "case_management"),
    "fire": ("environmental_works", "other"), "education": ("support_referral", "mediation"),
    "probation": ("case_management",), "victim_services": ("support_referral",)}
DUE_DAYS = np.array([14, 28, 42, 56, 84, 120])  # from the review meeting
STALLED_DAYS = 240  # an action can still be stalled (overdue, not done) when due this close to the as-of date


def plant_retriggers(rng, span: Span, planted: Planted, apps: pd.DataFrame) -> tuple[Planted, pd.DataFrame]:
    """(the new reports' Planted, the second applications with their timeline) for people whose
    review's outcome was told early enough that a year after it has begun and ended in the demo."""
    extra = Planted(first_person=planted.first_person, home_place=planted.home_place)
    told = apps.outcome_notified_date.to_numpy(float)
    fit = np.flatnonzero((apps.bad.to_numpy() == 0) & ~np.isnan(told) & (told < span.last - 240))
    draw = rng.random(len(fit))
    rows = []
    for pos, u in zip(fit.tolist(), draw.tolist(), strict=True):
        app = apps.iloc[pos]
        if u < REAPPLY_SHARE:
            # after the outcome and within its year, and late enough that the first application's
            # complaints have left the six-month window (so the second decision rests on new ones)
            lo = max(int(app.received_date) + 200, int(told[pos]) + 1)
            received = int(rng.integers(lo, min(int(told[pos]) + 364, span.last) + 1))
            is_met = bool(rng.random() < 0.4)
            _history(rng, extra, int(app.person), received, is_met)
            rows.append((int(app.auth), int(app.person), received, "met" if is_met else "not_met"))
        elif u < REAPPLY_SHARE + MET_AGAIN_SHARE:  # three qualifying complaints 2 to 10 weeks after the outcome
            start = int(told[pos]) + int(rng.integers(14, 70))
            days = _days(rng, start, start + 45, 3)
            extra.add(int(app.person), days, _lags(rng, 3), int(rng.integers(0, 12)))
    again = pd.DataFrame(rows, columns=["auth", "person", "received_date", "plan"])
    again = application_timeline(rng, again, span.last).assign(bad=0, template=-1)
    return extra, again.assign(application_ref=_next_refs(again, apps))


def _history(rng, planted: Planted, person: int, received: int, is_met: bool) -> None:
    """The complaints behind a second application: 3-5 qualifying in the five months before it when
    met, else one or two and a late one (the first application's complaints are long out of the window)."""
    k, late = (int(rng.integers(3, 6)), 0) if is_met else (int(rng.integers(1, 3)), 1)
    days = _days(rng, received - 150, received - 1, k + late)
    lags = _separate(days, _lags(rng, len(days) - late, late)[:len(days)], len(days) - late)
    planted.add(person, days, lags, int(rng.integers(0, 12)))


def _next_refs(again: pd.DataFrame, apps: pd.DataFrame) -> list[str]:
    """References after the last one each authority gave in that year (DCC-CT-25-041 -> -042), so the
    first applications keep theirs."""
    taken: dict[tuple[str, str], int] = {}
    for ref in apps.application_ref.dropna():
        prefix, _, seq = ref.rpartition("-")
        taken[prefix] = max(taken.get(prefix, 0), int(seq))
    year = again.received_date.to_numpy().astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    refs = []
    for a, y in zip(again.auth.tolist(), year.tolist(), strict=True):
        prefix = f"{APP_PREFIX[a]}-CT-{y % 100:02d}"
        taken[prefix] = taken.get(prefix, 0) + 1
        refs.append(f"{prefix}-{taken[prefix]:03d}")
    return refs


def plant_actions(rng, apps: pd.DataFrame, last: int) -> pd.DataFrame:
    """One action per recommendation of each review with recommendations (of the applications the
    build loads, a planted data error and all), agreed at the meeting; `bad` and `template` as the
    case writers expect."""
    kept = apps.bad.isin([0, *(demo_bad.code(k) for k in demo_bad.DATA_ERROR_KINDS)])
    plans = apps[kept & (apps.outcome == "recommendations") & apps.review_date.notna()]
    rows = []
    names, weights = list(AGENCY_WEIGHTS), np.array(list(AGENCY_WEIGHTS.values()), float)
    for app in plans.itertuples():
        n = int(app.recommendations_count)
        agencies = rng.choice(names, size=n, p=weights / weights.sum())
        closed = app.action_plan_closed_date
        plan = []
        for i, agency in enumerate(agencies.tolist()):
            kind = AGENCY_TYPES[agency][int(rng.integers(len(AGENCY_TYPES[agency])))]
            due = int(app.review_date) + int(rng.choice(DUE_DAYS))
            took = due - int(app.review_date) + int(rng.integers(-35, 16))  # later than due about a third of the time
            done = float(int(app.review_date) + max(took, 1))
            cancelled = rng.random() < 0.05
            if not np.isnan(closed):
                done = min(done, closed)
            elif done > last or (due > last - STALLED_DAYS and rng.random() < 0.5):
                done = np.nan  # not yet done, or stalled (lately: older plans were chased up)
            plan.append([f"{app.application_ref}-A{i + 1}", app.application_ref, app.auth, agency, kind,
                         float(app.review_date), float(due), np.nan if cancelled else done, cancelled])
        if app.review_date > last - 365:  # an older plan left open on the register is a register not updated
            _keep_one_open(plan, closed)
        rows += plan
    frame = pd.DataFrame(rows, columns=["action_ref", "application_ref", "auth", "agency", "action_type",
                                        "agreed_date", "due_date", "completed_date", "cancelled"])
    blank = rng.random(len(frame)) < 0.3  # a third of the rows leave the status to the completion date
    status = np.where(frame.cancelled, "cancelled", np.where(frame.completed_date.notna(), "completed", "open"))
    return frame.assign(status=np.where(blank & ~frame.cancelled, None, status), bad=0, template=-1,
                        by_name=False).drop(columns="cancelled")


def _keep_one_open(plan: list[list], closed: float) -> None:
    """A plan the register has not closed keeps its latest-due action (not cancelled) open."""
    live = [p for p in plan if not p[-1]]
    if np.isnan(closed) and live and all(not np.isnan(p[7]) for p in live):
        max(live, key=lambda p: p[6])[7] = np.nan
