"""A plain, obviously-correct Python statement of the victim threshold, for checking the engine.

Day by day, no cleverness: a complaint counts on day D when it was made within
`qualifying_report_months` of the behaviour and D - window < reported <= D (month arithmetic
clamps to the month's end, as DuckDB's does).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class Complaint:
    person: str
    authority: str
    reported: dt.date
    occurred: dt.date
    is_hate: bool = False
    category: str = "personal"
    case: str | None = None
    incident: str = ""  # the incident id (what a complaint with no case relates by, related_by = case)


@dataclass(frozen=True)
class Rule:
    victim_threshold: int = 3
    window_months: int = 6
    qualifying_report_months: int = 1
    hate_threshold: int = 0
    hate_window_months: int = 6
    related_by: str = "any"  # any | category | case: which complaints count together


def group(c: Complaint, rule: Rule) -> str:
    """What `c` counts together with: every complaint (any), its category, or its case (a
    complaint with no case relates to no other)."""
    if rule.related_by == "category":
        return c.category or ""
    if rule.related_by == "case":
        return c.case if c.case is not None else f"incident {c.incident}"
    return ""


def counting(cs: list[Complaint], day: dt.date, rule: Rule, months: int | None = None) -> list[Complaint]:
    """The complaints that count on `day` (in a window of `months`, default the rule's)."""
    months = rule.window_months if months is None else months
    return [c for c in cs
            if c.reported <= c.occurred + relativedelta(months=rule.qualifying_report_months)
            and day - relativedelta(months=months) < c.reported <= day]


def hate_counting(cs: list[Complaint], day: dt.date, rule: Rule) -> list[Complaint]:
    """The hate complaints that count on `day`, in the hate rule's own window; with no hate rule
    (hate_threshold 0), the hate complaints among those counting in the window."""
    months = rule.hate_window_months if rule.hate_threshold > 0 else rule.window_months
    return [c for c in counting(cs, day, rule, months) if c.is_hate]


def is_met(cs: list[Complaint], day: dt.date, rule: Rule) -> bool:
    hate = len(hate_counting(cs, day, rule))
    return (len(counting(cs, day, rule)) >= rule.victim_threshold
            or (rule.hate_threshold > 0 and hate >= rule.hate_threshold))


def last_counting_day(reported: dt.date, months: int) -> dt.date:
    """The last day E with E - months < reported, found by walking forward one day at a time."""
    day = reported
    while (day + dt.timedelta(1)) - relativedelta(months=months) < reported:
        day += dt.timedelta(1)
    return day


def second_reports(complaints: list[Complaint], as_of: dt.date, rule: Rule) -> list[tuple]:
    """(person, authority, reported) of each second-report event up to `as_of`: a qualifying
    complaint with exactly one earlier qualifying complaint in the six months before it (the
    statutory guidance's period, whatever the rule's window)."""
    out = []
    for key in sorted({(c.person, c.authority) for c in complaints}):
        q = sorted((c for c in complaints if (c.person, c.authority) == key and c.reported <= as_of
                    and c.reported <= c.occurred + relativedelta(months=rule.qualifying_report_months)),
                   key=lambda c: c.reported)  # stable: ties keep the list's (incident id) order
        for i, c in enumerate(q):
            earlier = [e for e in q[:i] if e.reported > c.reported - relativedelta(months=6)]
            if len(earlier) == 1:
                out.append((*key, c.reported))
    return out


def _figures(cs: list[Complaint], as_of: dt.date, rule: Rule) -> dict | None:
    """The mart's figures for one group of related complaints, or None when none counts."""
    q, hate = counting(cs, as_of, rule), hate_counting(cs, as_of, rule)
    if not q and not hate:
        return None
    met = is_met(cs, as_of, rule)
    start = min(c.reported for c in cs)
    days = [start + dt.timedelta(n) for n in range((as_of - start).days + 1)]
    met_days = [d for d in days if is_met(cs, d, rule)]
    spells = [d for d in met_days if not is_met(cs, d - dt.timedelta(1), rule)]
    # Met or one short on the hate route: the hate complaints of the hate window are counted too
    # (older than the victim window when the hate window is the longer); else the complaints in
    # the window, or the hate ones when none is.
    hate_route = rule.hate_threshold > 0 and len(hate) >= max(rule.hate_threshold - 1, 1)
    counted = q + [c for c in hate if c not in q] if hate_route else q or hate
    oldest = min(c.reported for c in counted)
    first = [c for c in counted if c.reported == oldest]

    def still_counts(day: dt.date) -> bool:  # the oldest counted complaint, in a count it is counted in
        return bool(counting(first, day, rule)) or ((hate_route or not q) and bool(hate_counting(first, day, rule)))

    expires = as_of
    while still_counts(expires + dt.timedelta(1)):
        expires += dt.timedelta(1)
    return {
        "qualifying_complaints": len(q),
        "is_threshold_met": met,
        "is_near_miss": not met and len(q) == rule.victim_threshold - 1,
        "qualifying_hate_complaints": len(hate),
        "window_expires_date": expires,
        "is_hate_near_miss": not met and rule.hate_threshold >= 2 and len(hate) == rule.hate_threshold - 1,
        "met_since_date": spells[-1] if met else None,
        "oldest_complaint_date": oldest,
        "counted_incident_ids": [c.incident for c in sorted(counted, key=lambda c: (c.reported, c.incident))],
    }


def status(complaints: list[Complaint], as_of: dt.date, rule: Rule) -> dict[tuple[str, str], dict]:
    """(person, authority) -> the mart's figures, for everyone with a qualifying complaint. Under
    related_by category or case the row is the group furthest on (met first, then most complaints,
    most hate complaints, the oldest complaint, the group's name); its first_met_date is the
    first day any of the person's groups met the threshold there."""
    out = {}
    for key in sorted({(c.person, c.authority) for c in complaints}):
        cs = [c for c in complaints if (c.person, c.authority) == key]
        groups = {}
        for name in sorted({group(c, rule) for c in cs}):
            figures = _figures([c for c in cs if group(c, rule) == name], as_of, rule)
            if figures is not None:
                groups[name] = dict(figures, related_group=name)
        if not groups:
            continue
        best = min(groups.values(), key=lambda g: (not g["is_threshold_met"], -g["qualifying_complaints"],
                                                    -g["qualifying_hate_complaints"], g["oldest_complaint_date"],
                                                    g["related_group"]))
        firsts = [d for d in (_first_met([c for c in cs if group(c, rule) == n], as_of, rule)
                              for n in {group(c, rule) for c in cs}) if d is not None]
        out[key] = dict(best, first_met_date=min(firsts) if firsts else None)
    return out


def _first_met(cs: list[Complaint], as_of: dt.date, rule: Rule) -> dt.date | None:
    """The first day up to `as_of` on which these related complaints met the threshold."""
    start = min(c.reported for c in cs)
    return next((start + dt.timedelta(n) for n in range((as_of - start).days + 1)
                 if is_met(cs, start + dt.timedelta(n), rule)), None)
