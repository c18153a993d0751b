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


@dataclass(frozen=True)
class Rule:
    victim_threshold: int = 3
    window_months: int = 6
    qualifying_report_months: int = 1
    hate_threshold: int = 0


def counting(cs: list[Complaint], day: dt.date, rule: Rule) -> list[Complaint]:
    """The complaints that count on `day`."""
    return [c for c in cs
            if c.reported <= c.occurred + relativedelta(months=rule.qualifying_report_months)
            and day - relativedelta(months=rule.window_months) < c.reported <= day]


def is_met(cs: list[Complaint], day: dt.date, rule: Rule) -> bool:
    q = counting(cs, day, rule)
    hate = sum(c.is_hate for c in q)
    return len(q) >= rule.victim_threshold or (rule.hate_threshold > 0 and hate >= rule.hate_threshold)


def status(complaints: list[Complaint], as_of: dt.date, rule: Rule) -> dict[tuple[str, str], dict]:
    """(person, authority) -> the mart's figures, for everyone with a qualifying complaint."""
    out = {}
    for key in sorted({(c.person, c.authority) for c in complaints}):
        cs = [c for c in complaints if (c.person, c.authority) == key]
        q = counting(cs, as_of, rule)
        if not q:
            continue
        met = is_met(cs, as_of, rule)
        start = min(c.reported for c in cs)
        days = [start + dt.timedelta(n) for n in range((as_of - start).days + 1)]
        met_days = [d for d in days if is_met(cs, d, rule)]
        spells = [d for d in met_days if not is_met(cs, d - dt.timedelta(1), rule)]
        out[key] = {
            "qualifying_complaints": len(q),
            "is_threshold_met": met,
            "is_near_miss": not met and len(q) == rule.victim_threshold - 1,
            "window_expires_date": min(c.reported for c in q) + relativedelta(months=rule.window_months),
            "first_met_date": met_days[0] if met_days else None,
            "met_since_date": spells[-1] if met else None,
        }
    return out
