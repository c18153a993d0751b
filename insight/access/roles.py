"""Who may see what: the three roles, the signed-in viewer, and the one table of pages and the
one table of named queries (person-level, protected aggregate or open) they reach.

An OPCC analyst sees every authority's person-level rows; a council manager sees person-level
rows of their own authority only and every other authority as aggregates; a board viewer sees
aggregates only. A *person-level* row is one row per person, application, appeal, complaint,
incident or rejected partner row (pseudonymised keys, never names). `PAGES` classifies every
page of the dashboard and `QUERIES` every named query; the dashboard builds each role's
navigation from the first, and `ui.load` refuses, from the second, any person-level query for an
authority outside the viewer's rights and passes every protected aggregate through the
disclosure rule (`shown`, insight/access/disclosure.py) for the rows outside them. No Streamlit here.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from etl.marts import reviews
from etl.rules import authorities
from insight.access import disclosure

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
    "appeals": PageRule(EVERY_ROLE, "the list of appeals and PCC reviews, the cases referred back and the "
                        "flagged ones (per application; none for board viewers)"),
    "partnership": PageRule(EVERY_ROLE, "the statutory-return exceptions (per application; none for "
                            "board viewers)"),
    "actions": PageRule(EVERY_ROLE, "the actions overdue or due soon, every action agreed and the reviews "
                        "re-triggered (per application; none for board viewers)"),
    "board_pack": PageRule(EVERY_ROLE, ""),  # counts only, small counts of people suppressed
    "data_quality": PageRule(EVERY_ROLE, "the rejected partner rows (OPCC analyst only)"),
    "audit": PageRule(OPCC_ONLY, "the audit log: who looked at which rows"),
}

@dataclass(frozen=True)
class PersonLevel:
    """A query returning a row per person, complaint, incident, application, appeal or rejected
    row: `argument` holds the authority codes asked for (ALL_AUTHORITIES: not tied to one)."""
    argument: str = "person_codes"


@dataclass(frozen=True)
class Open:
    """A query whose result describes no person or incident (reference data, builds, files, rules,
    outlines, published figures): shown as it is. `opcc_only_columns`: raw text that only an OPCC
    analyst sees (e.g. the header text of partner files): for every other role a value there
    reads RAW_TEXT_HIDDEN (an empty one stays empty). `protected`: the columns that do describe
    an incident (a file's first and last date are each one row's), under the disclosure rule as
    this protected aggregate declares them, for a viewer without person-level rights over all nine
    authorities (the rows describe every authority's files); the other columns stay as they are."""
    why: str
    opcc_only_columns: tuple[str, ...] = ()
    protected: disclosure.Aggregate | tuple[disclosure.Aggregate, ...] | None = None

    @property
    def protections(self) -> tuple[disclosure.Aggregate, ...]:
        """`protected` as a tuple: each applies in turn (a file's dates as months, then its
        register counts)."""
        if self.protected is None:
            return ()
        return self.protected if isinstance(self.protected, tuple) else (self.protected,)


# a box of k cases or more, without its count or single cases outside the viewer's rights: the
# count beside the page's tables told what they hid ("Derby (9)" decided, where the table hid it to
# protect 1 pending: the pages audit of 6 December 2026)
_BOX = {"counts": ("cases",), "min_rows": "cases", "single": ("min_days", "max_days", "cases"),
        "authority": "authority_code",
        "at_least_k": {c: "cases" for c in ("q1_days", "median_days", "q3_days")}, "period": ("start", "end")}
_PERIOD = ("start", "end")
_PLACE_TEXT = {"main_location": "reporters", "main_asb_type": "reporters"}
_OUTCOMES = ("upheld", "partially_upheld", "not_upheld", "withdrawn", "pending")
_CELL = ("value", "display", "rule", "colour")  # a partnership cell: its figure, text, rule and colour
_S104 = ("applications_received", "threshold_not_met", "reviews_carried_out",  # published by law (s.104)
         "reviews_with_recommendations")
_REGISTERS = ("applications", "appeals", "actions")  # the case-review registers' rows (a row per case)
_CAPTURED = ("captured_1", "captured_5", "captured_10", "incidents")  # nested, smallest first
_HEADLINE = ("incidents", "reporting_persons", "repeat_locations", "applications", "threshold_met", "appeals")
# a file's or a source's first and last date (each one row's) as its month, and only among k rows of
# the source in that month (a file: and k rows loaded from the file); the days behind, counted from
# the last day, never, the months behind only with the last month
_SOURCE_MONTHS = ("first_month_rows", "last_month_rows")
_FILE_DATES = disclosure.Aggregate(
    counts=_SOURCE_MONTHS, authority=None,
    months={"first_date": ("first_month_rows", "rows_loaded"), "last_date": ("last_month_rows", "rows_loaded")})
_SOURCE_DATES = disclosure.Aggregate(
    counts=_SOURCE_MONTHS, authority=None, months={"first_date": "first_month_rows", "last_date": "last_month_rows"},
    single=("days_behind",), at_least_k={"months_behind": "last_month_rows"})


def _register_rows(*columns: str, kinds: tuple[str, ...] = _REGISTERS) -> disclosure.Aggregate:
    """The Data quality page's counts of case-review register rows (a register file's rows, a
    register source's rows, the applications kept with an unusable date; `_BUILD_REGISTERS`: a
    build's applications and appeals): they add up to one another and to the grid's months, so
    each is shown to a viewer without person-level rights over all nine authorities only when the
    fewest rows any of them rests on is at least k (insight/queries/quality.py REGISTER_LEAST)."""
    return disclosure.Aggregate(authority=None, only_rows={"kind": kinds},
                                at_least_k={c: "register_least_rows" for c in columns})


_BUILD_REGISTERS = disclosure.Aggregate(
    authority=None, at_least_k={"applications": "applications_least", "appeals": "appeals_least"})

# Every named query (a public function of insight/queries/* taking the connection first), in ONE
# table: person-level (ui.load refuses other authorities' rows and logs every view), a protected
# aggregate (ui.load applies the disclosure rule of insight/access/disclosure.py to every row the
# viewer has no person-level right over) or open. tests/unit/test_access.py fails when a query is
# missing here, and when a name here is no query.
def _trend_map(arguments: dict) -> tuple[str, tuple, str, object]:
    """The map whose place an area's monthly trend or busiest places (maps.area_trend,
    maps.area_top_locations) describe, for the same choice and period: (its named query, its
    arguments, the column naming its places, the place) (`Aggregate.follows_map`)."""
    codes, start, end, kind = (arguments[n] for n in ("codes", "start", "end", "kind"))
    if kind.startswith("h3_"):
        return "insight.queries.maps.hex_counts", (codes, start, end, int(kind[3:])), "h3_cell", arguments["key"]
    return "insight.queries.maps.area_counts", (codes, start, end, kind), "code", arguments["key"]


QUERIES: dict[str, PersonLevel | disclosure.Aggregate | Open] = {
    # threshold (the lead engineer's module: names as of issue 14)
    "insight.queries.threshold.near_miss_work_list": PersonLevel(),
    "insight.queries.threshold.met_without_application": PersonLevel(),
    "insight.queries.threshold.person_complaints": PersonLevel(),
    "insight.queries.threshold.week_queue": PersonLevel(),
    "insight.queries.threshold.second_reports": PersonLevel(),
    "insight.queries.threshold.summary": disclosure.Aggregate(
        counts=("near_miss_people", "hate_near_miss_people", "met_people", "met_without_application_people",
                "near_miss_clusters", "met_clusters"), total_by=(),
        # nested counts: their difference counts people too (met and applied; near, not on hate)
        differences={"met_with_application": ("met_people", "met_without_application_people"),
                     "near_miss_not_hate": ("near_miss_people", "hate_near_miss_people")}),
    "insight.queries.threshold.second_report_share": disclosure.Aggregate(
        counts=("events", "explained", "limit_passed", "explained_in_time", "explained_late", "not_explained",
                "awaiting"), total_by=(), shares={"share_in_time": ("explained_in_time", "limit_passed")},
        column_totals={"limit_passed": ("explained_in_time", "explained_late", "not_explained"),
                       "events": ("explained", "not_explained", "awaiting")}),
    "insight.queries.threshold.second_report_trend": disclosure.Aggregate(
        counts=("events", "explained_in_time", "explained_late", "not_explained", "awaiting"), authority=None,
        rows=("month",), column_totals={"events": ("explained_in_time", "explained_late", "not_explained", "awaiting")},
        known_total_by=(),  # the months add up to the period's totals, shown by second_report_share
        row_span=("first_day", "last_day")),
    "insight.queries.threshold.history": disclosure.Aggregate(
        counts=("near_miss_people", "met_people", "newly_met_people"), authority=None, rows=("month_end",)),
    "insight.queries.threshold.community_clusters": disclosure.Aggregate(
        counts=("distinct_reporters", "incidents", "anonymous_reports"), min_rows="distinct_reporters",
        places={"cluster_cell": "distinct_reporters"},
        single=("first_report_date", "last_report_date", "window_expires_date", "days_left")),
    "insight.queries.threshold.authority_outlines": Open("outlines and the rules in force"),
    "insight.queries.threshold.explanation_sources": Open("which partner sources send a date"),
    # maps
    "insight.queries.maps.area_incidents": PersonLevel(),
    "insight.queries.maps.hex_counts": disclosure.Aggregate(
        counts=("incidents", "previous", "reporters"), authority=None, rows=("h3_cell",), min_rows="incidents",
        # every incident is located: the hexagons, with those left out, add up to the Overview's
        # incidents of the same choice and period (the roles audit's S1: 24 - 12 - 10 told a left-out 2)
        shown_whole=("incidents", "previous"),
        # a hexagon of no incident in the period is there for its previous count: left out when that is
        # hidden (drawn "0 incidents (– in the previous period)", it marked a few incidents: the pages audit)
        listed_for=("previous",),
        places={"main_location": "reporters"},
        derived={"change": ("incidents", "previous"), "change_pct": ("incidents", "previous"),
                 "per_km2": ("incidents",)}, period=_PERIOD, resolution="resolution",
        order=("incidents", "previous")),   # busiest first: the chooser beside the map lists them so
    "insight.queries.maps.area_counts": disclosure.Aggregate(
        counts=("incidents", "previous"), derived={"change": ("incidents", "previous"),
                                                  "change_pct": ("incidents", "previous"), "per_km2": ("incidents",)},
        known_total_by=("authority_code",), period=_PERIOD,  # wards, LSOAs: their authority's total is shown
        # an authority's wards and its LSOAs divide the same incidents: each map is judged with the other
        crossed=("kind", {"ward": "lsoa", "lsoa": "ward"}, "within", "code"),
        order=("incidents",)),
    "insight.queries.maps.area_trend": disclosure.Aggregate(
        counts=("incidents",), authority=None, rows=("month", "period"), known_total_by=("period",),
        # a place whose count the map hides as a cover shows no month of that period (the probe of 7
        # December 2026: all 19 covers of two months' LSOA, ward and hexagon maps showed their count here)
        follows_map=(_trend_map, "period", {"current": "incidents", "previous": "previous"}),
        whole_by=("period",),   # a place of 1..k-1 incidents in a period: none of its months shown
        period=_PERIOD, resolution="kind", audit=True,
        row_span=("first_day", "last_day")),
    "insight.queries.maps.area_top_locations": disclosure.Aggregate(
        counts=("incidents", "reporters"), authority=None, rows=("h3_cell",), limit="limit", min_rows="incidents",
        # every incident of the area has a place: the places, with those left out, add up to the area's
        # count on the tile beside them (the disclosure audit of 8 December 2026: 20 - 19 told a left-out 1).
        # Judged over every place, the page listing the busiest of those shown (maps.area_panel)
        shown_whole=("incidents",),
        places=_PLACE_TEXT,
        # no place listed while the map hides the area's count (one LSOA's single place told its 7)
        follows_map=(_trend_map, None, {None: "incidents"}),
        single=("first_report", "last_report"), period=_PERIOD, resolution="kind", audit=True,
        order=("incidents",)),
    "insight.queries.maps.repeat_locations": disclosure.Aggregate(
        counts=("incidents_30d", "incidents_90d", "incidents_180d", "incidents_365d", "incidents_prev_90d",
                "distinct_reporters"), min_rows="incidents_365d",
        # nested windows: 180 days = the last 90 + the 90 before; the 30 days lie in the 90 and the
        # 180 in the 365, so 90 - 30 and 365 - 180 count the incidents between (never shown)
        column_totals={"incidents_180d": ("incidents_90d", "incidents_prev_90d")},
        differences={"incidents_31_90d": ("incidents_90d", "incidents_30d"),
                     "incidents_181_365d": ("incidents_365d", "incidents_180d")},
        derived={"change_z": ("incidents_90d", "incidents_prev_90d"),
                 "changed": ("incidents_90d", "incidents_prev_90d")},
        places={"main_location": "distinct_reporters", "main_asb_types": "distinct_reporters"},
        single=("first_report", "last_report"),
        order=("incidents_365d", "incidents_90d"), order_within="authority_name"),   # ranked per authority
    # a Z, p-value or class rests on every count of its window (the cell and its six neighbours):
    # blanked where one of them is hidden, and an empty cell listed for its class alone left out
    "insight.queries.maps.hotspot_cells": disclosure.Aggregate(
        counts=("incidents", "window_least_incidents"), min_rows="incidents",
        # an authority's cells, with those left out, add up to its incidents in the concentration sentence
        shown_whole=("incidents",), shown_whole_by=("authority_code",),
        derived={c: ("incidents", "window_least_incidents") for c in ("gi_z", "gi_p", "gi_class", "gi_z_perm", "gi_p_perm")},
        listed_for=("gi_class",), resolution="resolution", order=("gi_class", "incidents")),
    "insight.queries.maps.hotspot_summary": disclosure.Aggregate(counts=("incidents",), authority=None,
                                                                 rows=("h3_resolution", "gi_class")),
    # the places and shares of an authority rest on its incidents; each Lorenz point with the one
    # before tells the incidents of the places between them
    "insight.queries.maps.concentration": disclosure.Aggregate(
        counts=("incidents",),
        derived={c: ("incidents",) for c in ("places", "places_for_50pct", "places_for_25pct", "share_of_places",
                                             "share_of_incidents")},
        cumulative={"share_of_incidents": "incidents"}),
    # the incidents captured by the top 1%, 5% and 10% of cells are nested in the later six months'
    # incidents: any two shown tell the incidents between them
    "insight.queries.maps.hotspot_accuracy": disclosure.Aggregate(
        counts=("incidents", "captured", "captured_1", "captured_5", "captured_10"), authority=None,
        rows=("authority_name",), derived={f"{m}_{s}": (f"captured_{s}",) for m in ("hit_rate", "pai") for s in (1, 5, 10)},
        differences={f"{large} - {small}": (large, small) for n, small in enumerate(_CAPTURED)
                     for large in _CAPTURED[n + 1:]}),
    # `points` (the incidents tested) and `month_only_excluded` are counts of incidents too
    "insight.queries.maps.near_repeats": disclosure.Aggregate(
        counts=("observed", "points", "month_only_excluded"), authority=None, rows=("spatial_band", "temporal_band"),
        derived={"ratio": ("observed",), "p_value": ("observed",)},
        # nested bands subtract (pairs within 50 m less those within 25 m): the standard bands alone
        fixed={"spatial_bands_m": disclosure.STANDARD_SPATIAL_BANDS_M,
               "temporal_bands_days": disclosure.STANDARD_TEMPORAL_BANDS_DAYS},
        period=_PERIOD),
    # the first and last incident's date: a month of at least k incidents for a restricted viewer
    "insight.queries.maps.data_span": disclosure.Aggregate(
        counts=("first_month_incidents", "last_month_incidents"), authority=None, rows=(),
        months={"first_date": "first_month_incidents", "last_date": "last_month_incidents"}, choices=False),
    "insight.queries.maps.has_wards": Open("whether the build has a ward layer"),
    "insight.queries.maps.outlines": Open("the authorities' outlines"),
    # overview
    "insight.queries.overview.headline": disclosure.Aggregate(
        counts=(*_HEADLINE, *(f"{m}_previous" for m in _HEADLINE)), total_by=(),
        # a person who reported in two authorities is one reporting person of "All selected", and a
        # place with incidents of two authorities one repeat location (not the rows' sum either way)
        distinct=("reporting_persons", "reporting_persons_previous", "repeat_locations", "repeat_locations_previous"),
        derived={f"{m}_change": (m, f"{m}_previous") for m in _HEADLINE}, period=_PERIOD),
    "insight.queries.overview.monthly_incidents": disclosure.Aggregate(
        counts=("incidents",), known_total_by=("authority_code",), period=_PERIOD,
        row_span=("first_day", "last_day")),
    "insight.queries.overview.incident_density": disclosure.Aggregate(
        counts=("incidents",), derived={"incidents_per_km2": ("incidents",)}, period=_PERIOD),
    # case reviews
    "insight.queries.turnaround.at_risk": PersonLevel(),
    "insight.queries.turnaround.data_errors": PersonLevel(),
    "insight.queries.turnaround.stage_summary": disclosure.Aggregate(
        counts=("finished", "within_sla"), total_by=("stage",),
        at_least_k={"median_working_days": "finished", "p90_working_days": "finished"},
        shares={"share_within_sla": ("within_sla", "finished")}, period=_PERIOD),
    "insight.queries.turnaround.stage_durations": disclosure.Aggregate(**_BOX),
    "insight.queries.turnaround.monthly_compliance": disclosure.Aggregate(
        counts=("finished", "within_sla", "over_sla"), authority=None, rows=("month", "stage"),
        known_total_by=("stage",),
        column_totals={"finished": ("within_sla", "over_sla")}, at_least_k={"median_working_days": "finished"},
        shares={"share_within_sla": ("within_sla", "finished")}, period=_PERIOD,
        row_span=("first_day", "last_day")),
    "insight.queries.turnaround.backlog": disclosure.Aggregate(counts=("open_cases",), known_total_by=()),
    "insight.queries.turnaround.open_summary": disclosure.Aggregate(
        counts=("open_cases", "open_action_plans", "overdue_stages", "at_risk_stages"), authority=None, rows=(),
        fixed={"at_risk_days": reviews.AT_RISK_WORKING_DAYS},   # two margins subtract (app_pages/turnaround.py)
        differences={"open_not_overdue": ("open_cases", "overdue_stages"),
                     "open_not_at_risk": ("open_cases", "at_risk_stages")}),
    "insight.queries.turnaround.funnel": disclosure.Aggregate(counts=("applications",), authority=None,
                                                              rows=("step",), period=_PERIOD),
    "insight.queries.appeals.appeal_list": PersonLevel(),
    "insight.queries.appeals.flagged_appeals": PersonLevel(),
    "insight.queries.appeals.needs_action": PersonLevel(),
    "insight.queries.appeals.summary": disclosure.Aggregate(
        counts=("appeals", *_OUTCOMES, "decided", "pending_now", "overdue", "flagged", "within_sla", "with_sla"),
        total_by=(),
        column_totals={"appeals": [_OUTCOMES, ("decided", "withdrawn", "pending")],
                       "decided": ("upheld", "partially_upheld", "not_upheld")},
        # a share shown beside its cases tells how many were late: two-sided (the audit of 6 December)
        shares={"upheld_rate": (("upheld", "partially_upheld"), "decided"),
                "share_within_sla": ("within_sla", "with_sla")},
        differences={"pending_in_time": ("pending_now", "overdue"), "decided_without_limit": ("decided", "with_sla")},
        at_least_k={"median_decision_working_days": "decided"}, period=_PERIOD),
    "insight.queries.appeals.referrals": PersonLevel(),
    "insight.queries.appeals.by_review_type": disclosure.Aggregate(
        counts=("cases", "decided", "upheld", "withdrawn", "pending", "referred_back", "threshold_then_met",
                "action_plan_changed", "no_change", "awaiting_bodies", "pending_now", "overdue", "within_sla",
                "with_sla"),
        authority=None, rows=("review_type",), known_total_by=(),
        column_totals={"referred_back": ("threshold_then_met", "action_plan_changed", "no_change", "awaiting_bodies"),
                       "cases": ("decided", "withdrawn", "pending")},
        # nested counts (received = decided + withdrawn + pending; decided > upheld > referred back)
        # and a share beside its cases (in time / late) tell their differences: the audit of 6
        # December read 3 PCC reviews not decided and 2 decided late so
        shares={"share_within_sla": ("within_sla", "with_sla")},
        differences={"pending_in_time": ("pending_now", "overdue"), "not_upheld": ("decided", "upheld"),
                     "upheld_not_referred": ("upheld", "referred_back"),
                     "decided_without_limit": ("decided", "with_sla")},
        at_least_k={"median_decision_working_days": "decided"}, period=_PERIOD),
    "insight.queries.appeals.grounds_outcomes": disclosure.Aggregate(
        counts=("appeals",), authority=None, rows=("grounds", "outcome"), known_total_by=("outcome",),
        period=_PERIOD),
    "insight.queries.appeals.decision_times": disclosure.Aggregate(**_BOX),
    "insight.queries.appeals.by_original_decision": disclosure.Aggregate(
        counts=("appeals", "decided", "upheld"), authority=None, rows=("application_decision", "application_route"),
        known_total_by=(),
        shares={"upheld_rate": ("upheld", "decided")},
        # nested: appeals 13 beside decided 11 told 2 withdrawn or pending (the pages audit)
        differences={"not_decided": ("appeals", "decided"), "decided_not_upheld": ("decided", "upheld")},
        period=_PERIOD),
    # action plans and re-triggers
    "insight.queries.actions.needs_action": PersonLevel(),
    "insight.queries.actions.action_list": PersonLevel(),
    "insight.queries.actions.retrigger_list": PersonLevel(),
    "insight.queries.actions.summary": disclosure.Aggregate(
        counts=("plans", "actions", "cancelled", "due", "on_time", "late", "missed", "open_now", "overdue_now"),
        total_by=(), column_totals={"due": ("on_time", "late", "missed")},
        shares={"share_on_time": ("on_time", "due")}, derived={"actions_per_plan": ("actions", "plans")},
        differences={"open_not_overdue": ("open_now", "overdue_now")}, period=_PERIOD),
    "insight.queries.actions.by_agency": disclosure.Aggregate(
        counts=("actions", "due", "on_time", "late", "missed", "open_now", "overdue_now"), authority=None,
        rows=("action_agency",), known_total_by=(), column_totals={"due": ("on_time", "late", "missed")},
        shares={"share_on_time": ("on_time", "due")}, period=_PERIOD, order=("actions",),
        differences={"open_not_overdue": ("open_now", "overdue_now")}),
    "insight.queries.actions.by_type": disclosure.Aggregate(
        counts=("actions",), authority=None, rows=("action_type", "action_state"), known_total_by=(),
        period=_PERIOD),
    "insight.queries.actions.retrigger_summary": disclosure.Aggregate(
        counts=("reviews", "retriggers", "by_application", "by_threshold", "in_window"), total_by=(),
        period=_PERIOD),
    "insight.queries.partnership.partnership": disclosure.Aggregate(
        counts=("cases", "counted_cases"), at_least_k={c: "cases" for c in _CELL},
        shares={c: ("counted_cases", "cases") for c in _CELL}, period=_PERIOD,
        # the median of the nine is one authority's figure (or the mean of two): its cases count
        county={"county_median": ("median_cases", ("colour", "rule"))}),
    "insight.queries.partnership.statutory_exceptions": PersonLevel(),
    "insight.queries.partnership.statutory_returns": disclosure.Aggregate(
        counts=("met_without_review", "contradictions", "carried_in_applications", "notes", "threshold_met",
                "intake_not_met", "intake_reviews", "intake_reviewed_by_discretion", *_S104),
        # published by law once the year is over; a year not over is published by nobody yet (a board
        # viewer read "Bolsover 1 application" where the board pack hid it: the pages audit)
        published=(*_S104, *(f"published_{c}" for c in _S104)), published_when="is_complete_year",
        differences={"reviews_without_recommendations": ("reviews_carried_out", "reviews_with_recommendations")}),
    # data quality
    "insight.queries.quality.rejects": PersonLevel(ALL_AUTHORITIES),
    "insight.queries.quality.latest_build": Open("the build", opcc_only_columns=("inputs_path",),
                                                  protected=_BUILD_REGISTERS),
    "insight.queries.quality.builds": Open("the builds", opcc_only_columns=("inputs_path",),
                                            protected=_BUILD_REGISTERS),
    # a file's name and its note (which names its sheets) are text the partner typed, as its headers
    # are: "gary thompson.csv", a hidden sheet "Kowalczyk" (the personal-data audit of 6 December
    # 2026: the scrub finds only the names it can tell from place words)
    "insight.queries.quality.file_accounting": Open(
        "rows per file", opcc_only_columns=("source_file", "ignored_columns", "file_error", "file_note"),
        protected=(_FILE_DATES, _register_rows("rows_read", "rows_loaded", "rows_merged"))),
    "insight.queries.quality.unreadable_files": Open("files not read", opcc_only_columns=("source_file", "reason")),
    "insight.queries.quality.short_feeds": Open("which incident feeds are late or missing for a period, "
                                                "and whose incidents they send (no count, no date)"),
    "insight.queries.quality.kept_with_errors": Open("rows kept with an unusable date, counted",
                                                      opcc_only_columns=("example",),
                                                      protected=_register_rows("rows_kept", kinds=("applications",))),
    "insight.queries.quality.rejects_by_reason": Open("rejected rows counted by source and reason"),
    "insight.queries.quality.scrubbed": Open("personal data removed from free text, counted per file",
                                             opcc_only_columns=("source_file",)),
    "insight.queries.quality.source_freshness": Open("the last date of each feed",
                                                      protected=(_SOURCE_DATES, _register_rows("rows_loaded"))),
    "insight.queries.quality.source_months": disclosure.Aggregate(  # incident feeds' rows: open
        counts=("rows_loaded",), authority=None, only_rows={"kind": _REGISTERS}, known_total_by=("source", "kind"),
        derived={"share_of_peak": ("rows_loaded",)}),
}

# The person-level part of QUERIES: query -> the argument holding the authority codes asked for
# (ALL_AUTHORITIES when the rows are not tied to an authority). Convention: such a query takes
# its codes as `person_codes`; tests/unit/test_access.py fails when one is missing.
PERSON_LEVEL_QUERIES: dict[str, str] = {
    name: rule.argument for name, rule in QUERIES.items() if isinstance(rule, PersonLevel)}


RAW_TEXT_HIDDEN = "(raw file text: shown to OPCC analysts only)"


def rule_of(query) -> PersonLevel | disclosure.Aggregate | Open | None:
    """How a named query is classified (None: it is not in QUERIES)."""
    return QUERIES.get(f"{query.__module__}.{query.__name__}")


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


def pack_codes(viewer: Viewer | None, selected: Iterable[str]) -> tuple[str, ...]:
    """The authorities a board pack made by this viewer covers when `selected` are chosen: the
    choice itself when the viewer has person-level rights over all of it (the OPCC analyst any
    choice, a council manager their own authority) or it is all nine; else all nine. The pack
    shows a total and its "<k" counts for the authorities it covers, so two packs for two choices
    (all nine, then the other eight) could be subtracted to read what each hides; all nine is the
    partnership's one view."""
    selected = tuple(selected)
    if set(person_level_codes(viewer, selected)) == set(selected) or set(selected) >= set(authorities.CODES):
        return selected
    return authorities.CODES


def check_codes(viewer: Viewer | None, codes: Iterable[str] | str) -> None:
    """Raise AccessDenied unless the viewer may see person-level rows of every code given
    (ALL_AUTHORITIES: of all nine)."""
    wanted = authorities.CODES if codes == ALL_AUTHORITIES else tuple(codes)
    refused = sorted(set(wanted) - set(person_level_authorities(viewer)))
    if refused or viewer is None:
        who = viewer.label if viewer else "a signed-out visitor"
        raise AccessDenied(f"{who} may not see person-level rows of {', '.join(refused) or 'any authority'}")


def _arguments(query, args: tuple, kwargs: dict) -> dict:
    """The arguments of a call `query(con, *args, **kwargs)` by name, defaults included."""
    bound = inspect.signature(query).bind(None, *args, **kwargs)
    bound.apply_defaults()
    return dict(list(bound.arguments.items())[1:])


def requested_codes(query, args: tuple, kwargs: dict) -> tuple[str, ...] | str | None:
    """The authority codes a call of `query(con, *args, **kwargs)` asks person-level rows of, or
    None when the query is not person-level. A query missing from QUERIES counts as person-level
    rows of all nine authorities (fail closed: for the OPCC analyst only, and logged)."""
    rule = rule_of(query)
    if rule is None:
        return ALL_AUTHORITIES
    if not isinstance(rule, PersonLevel):
        return None
    if rule.argument == ALL_AUTHORITIES:
        return ALL_AUTHORITIES
    return tuple(_arguments(query, args, kwargs)[rule.argument])


def restricted(viewer: Viewer | None, query, args: tuple, kwargs: dict) -> bool:
    """Whether a call of a protected aggregate asks for an authority whose person-level rows the
    viewer may not see (its figures then come under the disclosure rule)."""
    rule = rule_of(query)
    if not isinstance(rule, disclosure.Aggregate):
        return False
    allowed = set(person_level_authorities(viewer))
    codes = _arguments(query, args, kwargs).get(rule.codes)
    return bool(set(authorities.CODES if codes is None else codes) - allowed)


def check_request(viewer: Viewer | None, query, args: tuple, kwargs: dict, build_as_of: date | None = None) -> None:
    """Raise disclosure.TooDetailed when a protected aggregate is asked, for authorities outside
    the viewer's person-level rights, for a period, an as-of date or a hexagon size the rule
    does not allow (`build_as_of`: the warehouse's own as-of date, which such a viewer may always ask for)."""
    rule = rule_of(query)
    if isinstance(rule, disclosure.Aggregate):
        disclosure.check_request(rule, _arguments(query, args, kwargs), restricted(viewer, query, args, kwargs),
                                 build_as_of)


def shown(viewer: Viewer | None, query, args: tuple, kwargs: dict, frame, k: int | None = None, rerun=None,
          on_map=None):
    """What of a named query's frame this viewer may see: a protected aggregate under the
    disclosure rule (insight/access/disclosure.py; k = the board pack's suppress_below) for every
    row outside the viewer's person-level rights; an open query's OPCC-only columns blanked for
    the other roles, and its `protected` columns under the rule for a viewer without person-level
    rights over all nine authorities; person-level rows as they are (ui.load refused them before).
    `rerun(args, kwargs)`: the same query with other arguments, `on_map`: a map as the viewer sees
    it (`shown_as`)."""
    return shown_as(viewer.role if viewer else None, person_level_authorities(viewer), query, args, kwargs, frame, k,
                    rerun, on_map)


NO_LIMIT = 1_000_000_000  # a top-N list's cap lifted (`with_codes`)


def with_codes(query, args: tuple, kwargs: dict, codes: tuple[str, ...]) -> tuple[tuple, dict]:
    """(args, kwargs) of the call `query(con, *args, **kwargs)` asked for `codes` instead (where the
    call gave its codes, positionally or by name), and a top-N list's cap (`Aggregate.limit`)
    lifted: the rows of a part then match every row of the whole."""
    rule = rule_of(query)
    changes = {rule.codes: tuple(codes)}
    if isinstance(rule, disclosure.Aggregate) and rule.limit:
        changes[rule.limit] = NO_LIMIT
    return _with_arguments(query, args, kwargs, changes)


def parts_needed(allowed: Iterable[str], query, args: tuple, kwargs: dict,
                 columns: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(the others' codes, the own codes) when a protected aggregate's frame with these columns sums
    the viewer's own authorities with others (disclosure.mixed) and the query can be asked for
    each part (`Aggregate.rows` declared, and a codes argument); else None: no extra run."""
    rule = rule_of(query)
    if not isinstance(rule, disclosure.Aggregate) or rule.rows is None:
        return None
    arguments = _arguments(query, args, kwargs)
    if rule.codes not in arguments:
        return None
    codes = authorities.CODES if arguments[rule.codes] is None else tuple(arguments[rule.codes])
    allowed = set(allowed)
    if not disclosure.mixed(rule, columns, allowed, codes):
        return None
    return tuple(c for c in codes if c not in allowed), tuple(c for c in codes if c in allowed)


def shown_as(role: str | None, allowed: tuple[str, ...], query, args: tuple, kwargs: dict, frame,
             k: int | None = None, rerun=None, on_map=None):
    """`_crossed_shown_as`, and for a query whose rows describe one place of a map
    (`Aggregate.follows_map`), no count of a period in which the map, as the viewer sees it, hides
    that place's count or leaves it out. `on_map(query name, args)` gives that map's (frame, frame
    as the viewer sees it); without it (the map cannot be asked for) such a query shows no count to
    a viewer under the rule."""
    shown = _crossed_shown_as(role, allowed, query, args, kwargs, frame, k, rerun)
    rule = rule_of(query)
    follows = rule.follows_map if isinstance(rule, disclosure.Aggregate) else None
    if follows is None or not isinstance(shown, pd.DataFrame) or not len(shown):
        return shown
    arguments = _arguments(query, args, kwargs)
    codes = authorities.CODES if arguments.get(rule.codes) is None else arguments[rule.codes]
    if set(codes) <= set(allowed):
        return shown
    where, by, columns = follows
    counts = [c for c in rule.counts if c in shown.columns]
    if on_map is None:   # fail closed
        hide = pd.Series(True, index=shown.index)
    else:
        name, map_args, key, place = where(arguments)
        true, seen = on_map(name, map_args)
        row, was = seen[seen[key] == place], true[true[key] == place]
        hide = pd.Series(False, index=shown.index)
        for period, column in columns.items():
            hidden = (row.empty and not was.empty) or (not row.empty and row[column].isna().any())
            hide |= hidden & ((shown[by] == period) if by else True)
    if by is None:   # a list: the rows about a hidden count are left out
        return shown[~hide].reset_index(drop=True)
    shown = shown.copy()
    for c in counts:
        shown[c] = shown[c].astype("float64").where(~hide)
    return shown


def _crossed_shown_as(role: str | None, allowed: tuple[str, ...], query, args: tuple, kwargs: dict, frame,
                      k: int | None = None, rerun=None):
    """`_shown_as`, and for a query whose map is judged with another (`Aggregate.crossed`: the
    wards and the LSOAs), both maps as `_shown_as` gives them, then, while a reader of both could
    tell a hidden count, each with the cells `disclosure.crossed_hidden` adds hidden too (as a
    count hidden by its own rule, with the rest of the rule following). Without `rerun` (the other
    map cannot be asked for) such a frame shows no count. The column the judgement reads is never
    shown."""
    rule = rule_of(query)
    crossed = rule.crossed if isinstance(rule, disclosure.Aggregate) else None
    arguments = _arguments(query, args, kwargs) if crossed else {}
    if not crossed or arguments.get(crossed[0]) not in crossed[1] or crossed[2] not in getattr(frame, "columns", ()):
        return _shown_as(role, allowed, query, args, kwargs, frame, k, rerun)
    k = k if k is not None else disclosure.suppress_below()
    argument, other_value, column, key = crossed[0], crossed[1][arguments[crossed[0]]], crossed[2], crossed[3]
    mine = _shown_as(role, allowed, query, args, kwargs, frame, k, rerun)
    if rule.authority not in frame.columns or frame[rule.authority].isin(set(allowed)).all():
        return mine.drop(columns=[column])   # every row the viewer's own: nothing is protected
    if rerun is None:   # fail closed: the other map cannot be judged with this one
        mine = mine.drop(columns=[column])
        closed = ~mine[rule.authority].isin(set(allowed))
        for c in (c for c in (*rule.counts, *rule.derived) if c in mine.columns):
            mine[c] = mine[c].astype("float64").where(~closed)
        return mine
    other_args, other_kwargs = _with_arguments(query, args, kwargs, {argument: other_value})
    other = rerun(other_args, other_kwargs)
    theirs = _shown_as(role, allowed, query, other_args, other_kwargs, other, k, rerun)
    forced_mine: set = set()
    forced_theirs: set = set()
    while True:   # each round hides counts a map showed, so it ends
        more_mine, more_theirs = disclosure.crossed_hidden(rule, k, allowed, (frame, mine), (other, theirs))
        if not more_mine and not more_theirs:
            break
        forced_mine |= more_mine
        forced_theirs |= more_theirs
        mine = _shown_as(role, allowed, query, args, kwargs, frame, k, rerun, (key, forced_mine))
        theirs = _shown_as(role, allowed, query, other_args, other_kwargs, other, k, rerun, (key, forced_theirs))
    return mine.drop(columns=[column])


def _with_arguments(query, args: tuple, kwargs: dict, changes: dict) -> tuple[tuple, dict]:
    """(args, kwargs) of the call `query(con, *args, **kwargs)` with the arguments `changes` names
    set to their values (where the call gave them positionally, or by name; a parameter of the
    query's it did not give, by name)."""
    names = list(inspect.signature(query).parameters)[1:]
    args, kwargs = list(args), dict(kwargs)
    for name, value in changes.items():
        if name in names and names.index(name) < len(args):
            args[names.index(name)] = value
        elif name in names:
            kwargs[name] = value
    return tuple(args), kwargs


def _shown_as(role: str | None, allowed: tuple[str, ...], query, args: tuple, kwargs: dict, frame,
              k: int | None = None, rerun=None, forced: tuple[str, set] | None = None):
    """`shown` for a viewer of `role` with person-level rights over the `allowed` authorities: all
    it depends on of the viewer, so the dashboard can keep its answer (ui.load). `rerun(args,
    kwargs)` runs the same query with other arguments: when the frame sums the viewer's own
    authorities with others in rows without an authority (`parts_needed`), it is asked for the
    others alone and for the own alone, and a cell is shown only when the others' part passes the
    rule too (disclosure.protect_result); without `rerun` such a frame shows no count at all. Only
    such a mixed selection runs the query again, and a frame with per-authority rows and totals
    asked for fewer than the nine (disclosure.choice_needs_whole), once more for all nine: its
    totals are judged against theirs, so that two choices of authorities cannot be subtracted
    (without `rerun` its totals show no count); a frame that sums the choice in rows without an
    authority, asked for fewer than the nine (disclosure.choice_needs_parts), once for each
    authority outside the viewer's rights alone (without `rerun` it shows no count)."""
    rule = rule_of(query)
    if isinstance(rule, Open):
        if rule.opcc_only_columns and role != OPCC_ANALYST:
            frame = frame.copy()
            for column in rule.opcc_only_columns:
                if column in frame.columns:
                    frame[column] = frame[column].where(frame[column].isna(), RAW_TEXT_HIDDEN)
        for spec in rule.protections:
            before = dict(frame.attrs)
            shown = disclosure.protect_result(spec, frame, allowed, authorities.CODES,
                                              k if k is not None else disclosure.suppress_below())
            if shown is not frame:   # what each protection hid and gave as months, together
                shown.attrs.update({key: before.get(key, 0) + shown.attrs.get(key, 0) for key in ("hidden", "dropped")})
                shown.attrs["months"] = tuple(dict.fromkeys((*before.get("months", ()), *shown.attrs["months"])))
            frame = shown
        return frame
    if not isinstance(rule, disclosure.Aggregate):
        return frame
    codes = _arguments(query, args, kwargs).get(rule.codes)
    codes = authorities.CODES if codes is None else codes  # no codes: every authority (as `restricted`)
    others = own = whole = each = None
    columns = getattr(frame, "columns", ())
    if rerun is not None and disclosure.choice_needs_whole(rule, columns, allowed, codes):
        try:   # the same query for all nine: what no choice of authorities may tell more than
            whole = rerun(*with_codes(query, args, kwargs, authorities.CODES))
        except ValueError:
            whole = None   # fail closed: the total rows show no count
    if rerun is not None and disclosure.choice_needs_parts(rule, columns, allowed, codes):
        try:   # each authority outside the viewer's rights alone (kept: every choice reads the same)
            each = {code: rerun(*with_codes(query, args, kwargs, (code,)))
                    for code in authorities.CODES if code not in allowed}
        except ValueError:
            each = None   # fail closed: no count is shown
    parts = parts_needed(allowed, query, args, kwargs, columns)
    if parts is not None and rerun is not None:
        try:
            others = rerun(*with_codes(query, args, kwargs, parts[0]))
            own = rerun(*with_codes(query, args, kwargs, parts[1]))
        except ValueError:  # a part the query refuses on its own (the Knox test on month-only dates)
            others = own = None  # fail closed: no count of the sums is shown
    return disclosure.protect_result(rule, frame, allowed, codes, k if k is not None else disclosure.suppress_below(),
                                     others=others, own=own, whole=whole, check_choices=True, parts=each,
                                     forced=forced)


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
