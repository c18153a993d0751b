"""Who may see what: the three roles, the signed-in viewer, and the one table of pages and
person-level queries they reach.

An OPCC analyst sees every authority's person-level rows; a council manager sees person-level
rows of their own authority only and every other authority as aggregates; a board viewer sees
aggregates only. A *person-level* row is one row per person, application, appeal, complaint,
incident or rejected partner row (pseudonymised keys, never names). `PAGES` classifies every
page of the dashboard and `PERSON_LEVEL_QUERIES` every named query that returns such rows; the
dashboard builds each role's navigation from the first and `ui.load` refuses, from the second,
any person-level query for an authority outside the viewer's rights. No Streamlit here.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass

from etl.rules import authorities

OPCC_ANALYST, COUNCIL_MANAGER, BOARD_VIEWER = "opcc_analyst", "council_manager", "board_viewer"
ROLE_LABELS = {OPCC_ANALYST: "OPCC analyst", COUNCIL_MANAGER: "Council manager",
               BOARD_VIEWER: "Board viewer"}
EVERY_ROLE = frozenset(ROLE_LABELS)
PERSON_ROLES = frozenset({OPCC_ANALYST, COUNCIL_MANAGER})
OPCC_ONLY = frozenset({OPCC_ANALYST})
ALL_AUTHORITIES = "*"  # a query whose rows are not tied to one authority: needs rights over all nine


class AccessDenied(PermissionError):
    """A viewer asked for rows their role may not see."""


@dataclass(frozen=True)
class Viewer:
    """A signed-in person: derived on every run from a verified sign-in, never from the URL or
    from anything a widget can write."""

    user_id: str
    role: str
    authority_code: str | None = None
    name: str = ""

    def __post_init__(self):
        if self.role not in ROLE_LABELS:
            raise ValueError(f"unknown role {self.role!r} (one of {', '.join(ROLE_LABELS)})")
        if (self.role == COUNCIL_MANAGER) != (self.authority_code is not None):
            raise ValueError("a council manager needs an authority, and only a council manager has one")
        if self.authority_code is not None and self.authority_code not in authorities.CODES:
            raise ValueError(f"{self.authority_code!r} is not one of the nine authority codes")

    @property
    def label(self) -> str:
        """'Council manager, Erewash' and the like."""
        role = ROLE_LABELS[self.role]
        return f"{role}, {authorities.NAME_BY_CODE[self.authority_code]}" if self.authority_code else role


@dataclass(frozen=True)
class PageRule:
    roles: frozenset[str]
    person_level: str  # what person-level content the page holds ("" = none)


# Every page of the dashboard by its url_path ("" is the default page, where everyone lands,
# including a board viewer who typed the address of a page their role lacks: it must be
# aggregate). A page missing here is shown to the OPCC analyst only (tests/unit/test_access.py fails
# until it is classified).
PAGES: dict[str, PageRule] = {
    "": PageRule(EVERY_ROLE, ""),  # Overview
    "overview": PageRule(EVERY_ROLE, ""),
    "maps": PageRule(EVERY_ROLE, "the incident rows behind a selected area (none for board viewers)"),
    "threshold": PageRule(PERSON_ROLES, "work lists of people near or at the threshold, this week's queue, "
                          "second reports owed an explanation, their complaints and the partners' "
                          "references of them"),
    "turnaround": PageRule(EVERY_ROLE, "the applications at risk of missing a limit, data errors (per "
                           "application; none for board viewers)"),
    "appeals": PageRule(EVERY_ROLE, "the list of appeals and the flagged ones (per application; none "
                        "for board viewers)"),
    "partnership": PageRule(EVERY_ROLE, "the statutory-return exceptions (per application; none for "
                            "board viewers)"),
    "board_pack": PageRule(EVERY_ROLE, ""),  # counts only, small counts of people suppressed
    "data_quality": PageRule(EVERY_ROLE, "the rejected partner rows (OPCC analyst only)"),
    "audit": PageRule(OPCC_ONLY, "the audit log: who looked at which rows"),
}

# Named queries that return person-level rows -> the argument holding the authority codes asked
# for (ALL_AUTHORITIES when the rows are not tied to an authority). Convention: such a query takes
# its codes as `person_codes`; tests/unit/test_access.py fails when one is missing here.
PERSON_LEVEL_QUERIES: dict[str, str] = {
    "insight.queries.threshold.near_miss_work_list": "person_codes",
    "insight.queries.threshold.met_without_application": "person_codes",
    "insight.queries.threshold.person_complaints": "person_codes",
    "insight.queries.threshold.week_queue": "person_codes",
    "insight.queries.threshold.second_reports": "person_codes",
    "insight.queries.maps.area_incidents": "person_codes",
    "insight.queries.turnaround.at_risk": "person_codes",
    "insight.queries.turnaround.data_errors": "person_codes",
    "insight.queries.appeals.appeal_list": "person_codes",
    "insight.queries.appeals.flagged_appeals": "person_codes",
    "insight.queries.partnership.statutory_exceptions": "person_codes",
    "insight.queries.quality.rejects": ALL_AUTHORITIES,
}


def person_level_authorities(viewer: Viewer | None) -> tuple[str, ...]:
    """The authorities whose person-level rows this viewer may see (none when signed out)."""
    if viewer is None or viewer.role == BOARD_VIEWER:
        return ()
    if viewer.role == COUNCIL_MANAGER:
        return (viewer.authority_code,)
    return authorities.CODES


def person_level_codes(viewer: Viewer | None, selected: Iterable[str]) -> tuple[str, ...]:
    """The selected authorities, in their order, that this viewer may see person-level rows of."""
    allowed = set(person_level_authorities(viewer))
    return tuple(code for code in selected if code in allowed)


def check_codes(viewer: Viewer | None, codes: Iterable[str] | str) -> None:
    """Raise AccessDenied unless the viewer may see person-level rows of every code given
    (ALL_AUTHORITIES: of all nine)."""
    wanted = authorities.CODES if codes == ALL_AUTHORITIES else tuple(codes)
    refused = sorted(set(wanted) - set(person_level_authorities(viewer)))
    if refused or viewer is None:
        who = viewer.label if viewer else "a signed-out visitor"
        raise AccessDenied(f"{who} may not see person-level rows of {', '.join(refused) or 'any authority'}")


def requested_codes(query, args: tuple, kwargs: dict) -> tuple[str, ...] | str | None:
    """The authority codes a call of `query(con, *args, **kwargs)` asks person-level rows of, or
    None when the query is not person-level."""
    argument = PERSON_LEVEL_QUERIES.get(f"{query.__module__}.{query.__name__}")
    if argument is None or argument == ALL_AUTHORITIES:
        return argument
    bound = inspect.signature(query).bind(None, *args, **kwargs)
    bound.apply_defaults()
    return tuple(bound.arguments[argument])


def may_load(viewer: Viewer | None, query, *args, **kwargs) -> bool:
    """Whether `ui.load(query, *args, **kwargs)` would be allowed for this viewer."""
    codes = requested_codes(query, args, kwargs)
    if codes is None:
        return viewer is not None
    try:
        check_codes(viewer, codes)
    except AccessDenied:
        return False
    return True


def page_rule(url_path: str) -> PageRule:
    """How a page is classified; an unclassified page is for the OPCC analyst only."""
    return PAGES.get(url_path, PageRule(OPCC_ONLY, "unclassified"))


def may_open(viewer: Viewer | None, url_path: str) -> bool:
    """Whether the page at `url_path` belongs in this viewer's navigation."""
    return viewer is not None and viewer.role in page_rule(url_path).roles
