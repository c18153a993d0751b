"""Planted people for the demo: threshold cases as of the as-of date, case-review applicants, appeals.

Every planted person is new (no background reports), so their complaint history is exactly what
is planted here: people who meet the victim threshold on the as-of date, near-misses (two
qualifying complaints, sometimes with a late or an old report that does not count), near-misses
whose third report is a cross-agency duplicate, and one applicant per case-review application with
complaints that justify the decision ("met" only with three or more qualifying complaints in the
six months before receipt). Applications follow the process clock with realistic, sometimes late,
gaps in calendar days; anything that would fall after the as-of date has not happened yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain, count

import numpy as np
import pandas as pd

from etl.demo.incidents import (
    COUNCIL,
    HOUSING,
    HOUSING_AUTHORITIES,
    PLANTED,
    POLICE,
    TWIN,
    Span,
    make_reports,
)
from etl.demo.places import Places

N_AUTH = 9
AS_OF_MET = np.array([2, 2, 2, 4, 2, 2, 2, 2, 2])  # planted people meeting the threshold, per authority
AS_OF_NEAR = AS_OF_MET + 1  # planted near-misses, per authority
APPS_PER_YEAR = np.array([12, 5, 14, 36, 3, 10, 8, 6, 7])
MET_SHARE = np.array([0.45, 0.30, 0.50, 0.35, 0.60, 0.20, 0.40, 0.25, 0.55])
APPEAL_RATE = 0.15
APP_PREFIX = ("AVBC", "BDC", "CBC", "DCC", "DDDC", "EBC", "HPBC", "NEDDC", "SDDC")


@dataclass
class Planted:
    """Reports of planted people, collected as arrays and made into one frame at the end.

    homes[i] is the home authority of person first_person + i; each lives at a home place and
    reports what happens there.
    """

    first_person: int
    homes: list = field(default_factory=list)
    home_place: dict = field(default_factory=dict)
    next_pair: int = 1_500_000_000  # pair ids of planted duplicates, apart from the background's
    parts: list = field(default_factory=list)
    cdf: dict = field(default_factory=dict, repr=False)  # authority -> cumulative place weights

    def person(self, rng, places: Places, auth: int) -> int:
        """A new person living in the authority, at a place drawn by popularity."""
        self.homes.append(auth)
        s = places.of(auth)
        if auth not in self.cdf:
            self.cdf[auth] = np.cumsum(places.weight[s])
        cdf = self.cdf[auth]
        person = self.first_person + len(self.homes) - 1
        pick = min(int(np.searchsorted(cdf, rng.random() * cdf[-1])), len(cdf) - 1)
        self.home_place[person] = s.start + pick
        return person

    def add(self, person: int, rep, lag, atype: int, agency=None, pair=None, role: int = PLANTED) -> None:
        """Reports by one person at their home place, of one ASB type; agency -1 = drawn later."""
        n = len(rep)
        self.parts.append({"person": np.full(n, person), "rep": np.asarray(rep), "lag": np.asarray(lag),
                           "atype": np.full(n, atype), "place": np.full(n, self.home_place[person]),
                           "agency": np.full(n, -1) if agency is None else np.asarray(agency),
                           "pair": np.full(n, -1) if pair is None else np.asarray(pair),
                           "role": np.full(n, role)})

    def frame(self, rng, places: Places) -> pd.DataFrame:
        """All planted reports; undrawn agencies: police 40%, housing 5% where it operates, else council."""
        cols = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        auth = places.authority[cols["place"]]
        u = rng.random(len(auth))
        housing = np.isin(auth, HOUSING_AUTHORITIES) & (u >= 0.95)
        drawn = np.where(u < 0.4, POLICE, np.where(housing, HOUSING, COUNCIL))
        given = cols.pop("agency")
        agency = np.where(given < 0, drawn, given)
        return make_reports(rng, places, agency, auth, cols.pop("rep"), **cols)


def _days(rng, lo: int, hi: int, k: int) -> np.ndarray:
    """k distinct days in [lo, hi] at least three days apart (no two look like one incident), shuffled."""
    grid = np.arange(lo, hi + 1, 3)
    return rng.choice(grid, size=min(k, len(grid)), replace=False)


def _lags(rng, k: int, late: int = 0) -> np.ndarray:
    """Report delays: k qualifying (0-3 days) then `late` ones made over a month after the behaviour."""
    return np.concatenate([rng.integers(0, 4, k), rng.integers(40, 100, late)])


def plant_as_of(rng, places: Places, span: Span, planted: Planted) -> None:
    """People meeting the threshold on the as-of date, and near-misses, in every authority."""
    lo, hi = span.last - 170, span.last - 1
    for a in range(N_AUTH):
        for _ in range(AS_OF_MET[a]):
            k = int(rng.integers(3, 6))
            p = planted.person(rng, places, a)
            planted.add(p, _days(rng, lo, hi, k), _lags(rng, k), int(rng.integers(0, 12)))
        for i in range(AS_OF_NEAR[a]):
            p, atype, late = planted.person(rng, places, a), int(rng.integers(0, 12)), int(i % 3 == 1)
            planted.add(p, _days(rng, lo, hi, 2 + late), _lags(rng, 2, late), atype)
            if i % 3 == 2:  # an older complaint that has left the window
                planted.add(p, [span.last - int(rng.integers(200, 300))], [0], atype)
        _plant_duplicate_trap(rng, places, span, planted, a)


def _plant_duplicate_trap(rng, places: Places, span: Span, planted: Planted, auth: int) -> None:
    """Two complaints, the first also made to the other agency the next day: a near-miss once merged."""
    p, atype = planted.person(rng, places, auth), int(rng.integers(0, 12))
    days, lags = _days(rng, span.last - 150, span.last - 5, 2), _lags(rng, 2)
    first, pair = int(rng.choice([POLICE, COUNCIL])), planted.next_pair
    planted.add(p, days, lags, atype, agency=[first, -1], pair=[pair, -1])
    other = POLICE + COUNCIL - first
    planted.add(p, days[:1] + 1, lags[:1] + 1, atype, agency=[other], pair=[pair], role=TWIN)
    planted.next_pair += 1


def plant_applicants(rng, places: Places, span: Span, planted: Planted, scale: float) -> pd.DataFrame:
    """One application per planted applicant, with the complaint history its decision needs."""
    rows = []
    for a in range(N_AUTH):
        n = rng.poisson(APPS_PER_YEAR[a] * span.years * max(1.0, scale))
        received = np.sort(rng.integers(span.first + 30, span.last + 1, n))
        met = np.where(rng.random(n) < MET_SHARE[a], "met", "not_met")
        plan = np.where(rng.random(n) < 0.06, "withdrawn", met)
        for r, decision in zip(received, plan, strict=True):
            p = planted.person(rng, places, a)
            is_met = decision == "met" or (decision == "withdrawn" and rng.random() < 0.5)
            _applicant_history(rng, places, span, planted, p, int(r), is_met)
            rows.append((a, p, int(r), str(decision)))
    return pd.DataFrame(rows, columns=["auth", "person", "received_date", "plan"])


def _applicant_history(rng, places, span, planted, person, received, is_met) -> None:
    lo, hi = max(span.first, received - 175), received - 1
    k = int(rng.integers(3, 7)) if is_met else int(rng.integers(0, 3))
    late = 0 if is_met else int(rng.integers(1, 3))  # complaints they mention that do not count
    atype = int(rng.integers(0, 12))
    days = _days(rng, lo, hi, k + late)
    lags = _separate(days, _lags(rng, len(days) - late, late)[:len(days)], len(days) - late)
    planted.add(person, days, lags, atype)
    old = received - int(rng.integers(190, 300))
    if not is_met and old >= span.first:
        planted.add(person, [old], [0], atype)


def _separate(days: np.ndarray, lags: np.ndarray, qualifying: int) -> np.ndarray:
    """Lags such that no two complaints occurred within a day of each other (so none may look like
    one incident to the de-duplication, which compares occurred dates): a qualifying complaint that
    would is reported on the day it happened, else two days later, else after the fewest days that
    keep it apart (at most 3 per earlier complaint, well within the month that keeps it qualifying);
    a late one two days later each time. No random draw, so the rest of the demo is unchanged.

    (Trying only "the same day" and "two days later" could alternate for ever when both clash:
    the demo hung at scale 20 and above, where some applicant always has such a history.)"""
    out, occurred = lags.copy(), []
    for i, (day, lag) in enumerate(zip(days.tolist(), lags.tolist(), strict=True)):
        tries = chain(dict.fromkeys((lag, 0, 2)), count()) if i < qualifying else count(lag, 2)
        out[i] = lag = next(t for t in tries if all(abs(day - t - o) > 1 for o in occurred))
        occurred.append(day - lag)
    return out


def _gap(rng, n: int, usual: tuple[int, int], late: tuple[int, int], p_late: float) -> np.ndarray:
    """Calendar days between two steps: usually in `usual`, sometimes late."""
    days = np.where(rng.random(n) < p_late, rng.integers(late[0], late[1] + 1, n),
                    rng.integers(usual[0], usual[1] + 1, n))
    return days.astype(float)


def application_timeline(rng, apps: pd.DataFrame, last: int) -> pd.DataFrame:
    """Dates and outcomes of each application; steps after day `last` have not happened (NaN)."""
    n, received, plan = len(apps), apps.received_date.to_numpy(float), apps.plan.to_numpy()

    def upto(days):
        return np.where(days <= last, days, np.nan)

    decided = plan != "withdrawn"
    decision_date = np.where(decided, received + _gap(rng, n, (3, 25), (26, 45), 0.12), np.nan)
    decision = np.where(decided & (decision_date > last), "pending", plan)
    decision_date = upto(decision_date)
    # never acknowledged after the decision; the review meets after the applicant is told
    acknowledged = np.fmin(received + _gap(rng, n, (1, 8), (9, 20), 0.1), decision_date)
    notified = decision_date + _gap(rng, n, (0, 5), (6, 12), 0.05)
    meeting = np.maximum(decision_date + _gap(rng, n, (5, 35), (36, 60), 0.15), notified + 2)
    review = upto(np.where(decision == "met", meeting, np.nan))
    held, has_recs = ~np.isnan(review), rng.random(n) < 0.8
    outcome_notified = upto(review + _gap(rng, n, (2, 10), (11, 20), 0.1))
    on_behalf = rng.random(n) < 0.15
    return apps.assign(
        on_behalf=np.where(on_behalf, "Y", "N"),
        consent_received=np.where(on_behalf, np.where(rng.random(n) < 0.9, "Y", "N"), None),
        acknowledged_date=upto(acknowledged),
        threshold_route=rng.choice(["victim", "community", "discretion"], n, p=[0.8, 0.12, 0.08]),
        decision=decision, decision_date=decision_date,
        decision_notified_date=upto(notified),
        review_date=review,
        outcome=np.where(decision == "met", np.where(held, np.where(
            has_recs, "recommendations", "no_further_action"), "pending"), None),
        recommendations_count=np.where(held, np.where(has_recs, rng.integers(1, 7, n), 0), np.nan),
        outcome_notified_date=outcome_notified,
        action_plan_closed_date=upto(np.where(has_recs & (rng.random(n) < 0.85), outcome_notified + _gap(
            rng, n, (20, 120), (121, 200), 0.1), np.nan)),
        independent_chair=np.where(held, np.where(rng.random(n) < 0.3, "Y", "N"), None),
        victim_attended=np.where(held, np.where(rng.random(n) < 0.6, "Y", "N"), None))


def application_refs(apps: pd.DataFrame) -> list[str]:
    """References like DCC-CT-24-007: the authority's prefix, year received, order within the year."""
    year = apps.received_date.to_numpy().astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    order = apps.assign(year=year).sort_values(["auth", "year", "received_date"], kind="stable")
    seq = order.groupby(["auth", "year"]).cumcount() + 1
    refs = pd.Series([f"{APP_PREFIX[a]}-CT-{y % 100:02d}-{s:03d}" for a, y, s in
                      zip(order.auth, order.year, seq, strict=True)], index=order.index)
    return refs.reindex(apps.index).tolist()


def plant_appeals(rng, apps: pd.DataFrame, last: int) -> pd.DataFrame:
    """OPCC appeals against some decided applications (refs in apps.application_ref)."""
    told = apps.decision_notified_date.to_numpy()
    can = apps[apps.decision.isin(["met", "not_met"]) & ~np.isnan(told)]
    picked = can[rng.random(len(can)) < APPEAL_RATE]
    n = len(picked)
    received = picked.decision_notified_date.to_numpy() + _gap(rng, n, (1, 25), (26, 40), 0.1)
    plan_outcome = rng.choice(["upheld", "partially_upheld", "not_upheld", "withdrawn", "pending"], n,
                              p=[0.2, 0.15, 0.5, 0.08, 0.07])
    decided_on = received + rng.integers(5, 31, n)
    outcome = np.where((plan_outcome != "withdrawn") & (decided_on > last), "pending", plan_outcome)
    plan_ahead = ~np.isnan(picked.outcome_notified_date.to_numpy()) & (rng.random(n) < 0.4)
    appellant = np.where(picked.on_behalf == "Y", "representative",
                         np.where(picked.threshold_route == "community", "group", "victim"))
    appeals = pd.DataFrame({
        "auth": picked.auth.to_numpy(), "person": picked.person.to_numpy(),
        "application_ref": picked.application_ref.to_numpy(), "received_date": received,
        "appellant": appellant,
        "consent_letter": np.where(appellant == "victim", None, np.where(rng.random(n) < 0.85, "Y", "N")),
        "grounds": np.where(picked.decision == "not_met", "threshold_decision",
                            np.where(plan_ahead, "action_plan_delivery", "review_process")),
        "outcome": outcome,
        "decision_date": np.where(np.isin(outcome, ["withdrawn", "pending"]), np.nan, decided_on),
        "by_name": rng.random(n) < 0.4})
    appeals = appeals[appeals.received_date <= last].sort_values("received_date", kind="stable")
    year = appeals.received_date.to_numpy().astype("int64").astype("datetime64[D]").astype("datetime64[Y]")
    seq = appeals.groupby(year).cumcount() + 1
    refs = [f"OPCC/CT/{y}/{s:03d}" for y, s in zip(year.astype(int) + 1970, seq, strict=True)]
    return appeals.assign(appeal_ref=refs).reset_index(drop=True)


PCC_REVIEWS_FROM = np.datetime64("2026-05-01").astype(int)  # the demo's commencement of the 2026 Act's reviews
PCC_REVIEW_SHARE = 0.45  # of the appeals-like OPCC cases received from then
PCC_REVIEW_RATE = 0.35  # of the not-met decisions told from then, not appealed: a PCC review asked for


def plant_pcc_reviews(rng, appeals: pd.DataFrame, apps: pd.DataFrame, last: int) -> pd.DataFrame:
    """Statutory PCC reviews from PCC_REVIEWS_FROM: some of the OPCC cases received since become
    PCC reviews, and victims ask the PCC to review more not-met decisions (the route ministers
    described). Upheld cases are mostly referred back to the relevant bodies, whose result the
    register records some weeks later (threshold met or no change for a threshold decision, the
    action plan changed or not for the others), or leaves blank for the build to find in the
    applications."""
    told = apps.decision_notified_date.to_numpy(float)
    asked = apps[(apps.decision == "not_met") & (told >= PCC_REVIEWS_FROM)
                 & ~apps.application_ref.isin(appeals.application_ref)]
    asked = asked[rng.random(len(asked)) < PCC_REVIEW_RATE]
    k = len(asked)
    received = asked.decision_notified_date.to_numpy(float) + rng.integers(3, 30, k)
    planned = rng.choice(["upheld", "partially_upheld", "not_upheld", "withdrawn", "pending"], k,
                         p=[0.3, 0.15, 0.4, 0.05, 0.1])
    decided_on = received + rng.integers(10, 36, k)
    outcome = np.where((planned != "withdrawn") & (decided_on > last), "pending", planned)
    new = pd.DataFrame({
        "auth": asked.auth.to_numpy(), "person": asked.person.to_numpy(),
        "application_ref": asked.application_ref.to_numpy(), "received_date": received,
        "appellant": np.where(asked.on_behalf == "Y", "representative", "victim"),
        "consent_letter": np.where(asked.on_behalf == "Y", "Y", None), "grounds": "threshold_decision",
        "outcome": outcome,
        "decision_date": np.where(np.isin(outcome, ["withdrawn", "pending"]), np.nan, decided_on),
        "by_name": rng.random(k) < 0.4, "bad": 0, "template": -1,
        "appeal_ref": [f"OPCC/PR/2026/{i:03d}" for i in range(1, k + 1)]})
    new = new[new.received_date <= last]
    n = len(appeals)
    pcc = np.concatenate([(appeals.received_date.to_numpy(float) >= PCC_REVIEWS_FROM)
                          & (rng.random(n) < PCC_REVIEW_SHARE), np.ones(len(new), bool)])
    both = pd.concat([appeals, new], ignore_index=True)
    n = len(both)
    outcome = both.outcome.to_numpy()
    back = ((outcome == "upheld") & (rng.random(n) < 0.9)) | ((outcome == "partially_upheld") & (rng.random(n) < 0.6))
    decided = ~np.isin(outcome, ["pending", "withdrawn"])
    threshold = both.grounds.to_numpy() == "threshold_decision"
    result = np.where(rng.random(n) < 0.65, np.where(threshold, "threshold_met", "action_plan_changed"), "no_change")
    result_date = both.decision_date.to_numpy(float) + rng.integers(7, 45, n)
    recorded = back & (result_date <= last) & (rng.random(n) < 0.8)
    return both.assign(
        review_type=np.where(pcc, "pcc_review", "appeal"),
        referred_back=np.where(decided, np.where(back, "Y", "N"), None),
        referral_result=np.where(recorded, result, np.where(back, "pending", None)),
        referral_result_date=np.where(recorded, result_date, np.nan))
