"""The glossary: one name and one definition for every measure the dashboard and the board pack show.

Every tile on every page takes its label and its help from here (`ui.tile(where, key, value)`),
and so do the measures' table columns (`ui.measure_column`), the Overview's and Partnership's
measures (insight.queries.measures.Measure names a term), the funnel's steps and the board pack's
rows. Distinct measures have distinct names: "Threshold met decisions" (decisions made in the
period), "Of which threshold met" (applications received in the period, later met) and "At or
over the threshold" (people, a state on the as-of date) are three numbers, so three names. A name
fits a tile in a row of seven (MAX_NAME characters); the rest is in the definition, one or more
sentences. tests/pages/test_glossary_pages.py walks every page and checks every tile against this.
"""

from __future__ import annotations

from dataclasses import dataclass

from etl.marts.hotspots import REPEAT_LOCATION_MIN_INCIDENTS, REPEAT_LOCATION_RESOLUTION

MAX_NAME = 24  # characters: a tile label longer than this is cut ("Threshold decis...") in a row of 7


@dataclass(frozen=True)
class Term:
    key: str
    name: str
    definition: str


_TERMS = (
    # --- ASB (Overview, Hotspots, the board pack's headline) ---------------------------------------
    Term("incidents", "ASB incidents", "Distinct ASB incidents reported in the period (by reported date), after "
         "cross-agency de-duplication: one incident reported to several agencies counts once."),
    Term("reporting_persons", "Reporting persons", "Distinct pseudonymised people who reported an incident in "
         "the period (anonymous reports excluded)."),
    Term("repeat_locations", "Repeat locations", "Places (street-level map cells of about 0.015 km², H3 "
         f"resolution {REPEAT_LOCATION_RESOLUTION}, as in the repeat locations table) with "
         f"{REPEAT_LOCATION_MIN_INCIDENTS} or more incidents in the period."),
    Term("incidents_per_km2", "Incidents per km²", "ASB incidents in the period per square kilometre of the "
         "area."),
    Term("area_km2", "Area (km²)", "The size of the area in square kilometres."),
    Term("change_z", "90-day change score", "How far a place's last 90 days differ from the 90 days before, "
         "in standard errors of chance: the Poisson Z score 2(√last 90 days − √the 90 days before). Beyond ±2 "
         "the change is more than chance, and the place is flagged as changed."),
    Term("hot_99", "Hot cells, 99%", "Map cells in a cluster of busy cells at 99% confidence (Getis-Ord Gi*, "
         "after a false-discovery-rate correction), over the build's 12 months."),
    Term("hot_95", "Hot cells, 95%", "Map cells in a cluster of busy cells at 95% (but not 99%) confidence "
         "(Getis-Ord Gi*, after a false-discovery-rate correction), over the build's 12 months."),
    Term("hot_90", "Hot cells, 90%", "Map cells in a cluster of busy cells at 90% (but not 95%) confidence "
         "(Getis-Ord Gi*, after a false-discovery-rate correction), over the build's 12 months."),
    Term("cold", "Cold cells", "Map cells in a cluster of quiet cells at 90% confidence or more (Getis-Ord "
         "Gi*, after a false-discovery-rate correction), over the build's 12 months."),
    # --- the case review: applications and threshold decisions --------------------------------------
    Term("applications", "Applications received", "ASB Case Review (Community Trigger) applications "
         "received in the period, by date received."),
    Term("threshold_met", "Threshold met decisions", "Threshold decisions made in the period (by decision "
         "date, whenever the application was received) that found the threshold met."),
    Term("share_met", "% of decisions met", "Threshold decisions made in the period that found the "
         "threshold met, as a share of those found met or not met."),
    Term("median_decision_days", "Median days to decision", "Median working days from receipt of an "
         "application to its threshold decision, of the decisions made in the period."),
    Term("decisions_in_time", "Decisions in time", "Threshold decisions made in the period within the "
         "authority's limit (working days from receipt, the rule in force when the application was "
         "received), as a share of those decisions."),
    Term("reviews_in_time", "Reviews in time", "Case review meetings held in the period within the "
         "limit (working days from the threshold decision), as a share of the meetings held."),
    Term("process_in_time", "Whole process in time", "Applications whose outcome was told in the period "
         "within the whole-process limit (the decision, review and outcome limits added up, working days "
         "from receipt), as a share of them."),
    Term("reviews", "Reviews held", "Case review meetings held in the period (by meeting date)."),
    Term("share_action_plans", "% with action plans", "Case review meetings held in the period that made "
         "recommendations (an action plan), as a share of the meetings held."),
    # --- open cases on the as-of date ---------------------------------------------------------------
    Term("open_cases", "Open cases", "Applications whose applicant has not yet been told the decision (not "
         "met) or the outcome of the review (met) on the as-of date, whenever received; withdrawn ones are "
         "closed."),
    Term("overdue_stages", "Overdue stages", "Stages of open cases already past their limit on the as-of "
         "date."),
    Term("at_risk_stages", "Stages at risk", "Stages of open cases not yet overdue on the as-of date with "
         "the warning margin or fewer working days left (the slider above the at-risk list; 3 working days "
         "unless changed, and always 3 when the selection holds authorities whose cases you cannot see)."),
    # --- the funnel: applications received in the period and how far they went ----------------------
    Term("funnel_met", "Of which threshold met", "Of the applications received in the period, those whose "
         "threshold decision was met by the as-of date, whenever decided."),
    Term("funnel_reviewed", "Of which reviewed", "Of the applications received in the period, those whose "
         "case review meeting was held by the as-of date."),
    Term("funnel_recommendations", "Of which recommendations", "Of the applications received in the period, "
         "those whose case review made recommendations by the as-of date."),
    Term("funnel_appealed", "Of which appealed", "Of the applications received in the period, those "
         "appealed to the OPCC by the as-of date."),
    Term("funnel_upheld", "Of which appeal upheld", "Of the applications received in the period, those "
         "with an appeal upheld in full or in part by the as-of date."),
    # --- appeals to the OPCC ------------------------------------------------------------------------
    Term("appeals", "Appeals received", "Appeals to the OPCC received in the period, under the authority "
         "of the application appealed against; the OPCC's register holds appeals under the local procedure "
         "and statutory PCC reviews (Crime and Policing Act 2026) alike, and these figures count both (the "
         "table by type splits them)."),
    Term("appeals_decided", "Appeals decided", "Appeals received in the period that the OPCC has decided "
         "(upheld, partially upheld or not upheld) by the as-of date; withdrawn and pending ones are not "
         "decisions."),
    Term("upheld_rate", "Upheld rate", "Appeals upheld in full or in part, as a share of the appeals "
         "received in the period and decided."),
    Term("appeal_median_days", "Median days per appeal", "Median working days from the OPCC receiving an "
         "appeal to its decision, of the appeals received in the period and decided."),
    Term("appeals_in_time", "Appeals decided in time", "Appeals received in the period and decided within "
         "the appeal-decision limit in force when they were received (working days), as a share of those "
         "decided."),
    Term("appeals_pending", "Appeals pending now", "Appeals waiting for the OPCC's decision on the as-of "
         "date, whenever received: a state on that day."),
    Term("appeals_overdue", "Pending past the limit", "Appeals waiting for the OPCC's decision on the as-of "
         "date for longer than their limit, whenever received: a state on that day."),
    Term("pcc_reviews", "PCC reviews received", "Statutory local policing body reviews (Crime and Policing "
         "Act 2026) received by the OPCC in the period: a victim asks the PCC to review how the relevant "
         "bodies handled a case review, such as a threshold not met decision."),
    Term("referred_back", "Referred back", "Appeals and PCC reviews received in the period that the OPCC "
         "decided and referred back to the relevant bodies (upheld in full or in part) by the as-of date."),
    Term("referral_met", "Threshold then met", "Of the cases referred back, those where the relevant bodies "
         "then found the threshold met: as the register records it, or a later met decision on the "
         "application (or a new application of the same person) after the OPCC's decision."),
    Term("awaiting_bodies", "Awaiting the bodies", "Of the cases referred back, those with no result from "
         "the relevant bodies by the as-of date: no new decision or changed action plan recorded, and no "
         "later met decision in the applications."),
    # --- action plans and re-triggers ------------------------------------------------------------------
    Term("action_plans", "Action plans agreed", "Case reviews with at least one action agreed in the period "
         "(by the date each action was agreed): the plans behind the recommendations."),
    Term("actions_agreed", "Actions agreed", "Actions of the case reviews' action plans agreed in the period, "
         "cancelled ones included, under the authority of the application reviewed."),
    Term("actions_per_plan", "Actions per plan", "Actions agreed in the period divided by the action plans "
         "they belong to."),
    Term("actions_on_time", "Done by the due date", "Of the actions due in the period whose result is known "
         "on the as-of date (completed, or past their due date), those completed on or before their due "
         "date, as a share. Cancelled actions are left out."),
    Term("actions_open", "Actions open now", "Actions neither completed nor cancelled on the as-of date, "
         "whenever agreed: a state on that day."),
    Term("actions_overdue", "Actions overdue now", "Open actions whose due date had passed on the as-of date, "
         "whenever agreed: a state on that day (an action due that day is not yet overdue)."),
    Term("retriggers", "Re-triggers", "Case reviews re-triggered in the period: the person applied again to "
         "the same authority, or met the threshold again there, within the authority's re-trigger months "
         "(12 unless set otherwise) of the review's outcome. Counted on the date of the first such event."),
    # --- the threshold engine: people and places on the as-of date ----------------------------------
    Term("near_miss_people", "One complaint short", "People one qualifying complaint short of the victim "
         "threshold on the as-of date, by the rule in force for their authority (those one hate complaint "
         "short are counted apart)."),
    Term("met_people", "At or over the threshold", "People whose qualifying complaints reach the victim "
         "threshold (or the hate threshold) on the as-of date, whether or not they applied: people, on "
         "that day, not decisions in a period."),
    Term("met_without_application_people", "Met, no application", "People at or over the threshold on the "
         "as-of date with no case review application received on or after their oldest counted complaint: "
         "candidates for an automatic case review."),
    Term("newly_met_people", "Became eligible", "People who crossed the threshold during the month (a new "
         "spell at or over it began), whatever became of them by the month's end."),
    Term("near_miss_clusters", "Near-miss clusters", "Community route, where the authority's rule enables "
         "it: places (a map cell and an ASB category) one or two distinct reporters short of the community "
         "threshold on the as-of date."),
    Term("met_clusters", "Clusters at threshold", "Community route, where the authority's rule enables it: "
         "places (a map cell and an ASB category) at or over the community threshold on the as-of date."),
)
TERMS: dict[str, Term] = {t.key: t for t in _TERMS}


def name(key: str) -> str:
    """The name of a measure (KeyError for a key the glossary lacks)."""
    return TERMS[key].name


def definition(key: str) -> str:
    """The one definition of a measure."""
    return TERMS[key].definition
