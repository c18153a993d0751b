"""Threshold near-misses: who is near or at the Community Trigger threshold on the as-of date.

Tiles with the counts (a rule that departs from the statute warned about at the top), then the
lists a manager acts on (issue 16, item 3: the action first), one tab at a time, of which only the
open one runs (kept in the URL, `?thr_list=Second+reports`; issue 15: a first view at another
as-of date evaluates the engine and this week's queue alone): this week's queue (new second
reports, people newly met, the open second reports; the tab a page opens on), the work list of
near-misses by the date the chance to act expires, people who met the threshold but never applied
(most recently met first), and the second reports owed an explanation of the case review. The
lists show the partners' own references of the complaints behind each row, and a search box and
filters above the tabs narrow every list. Select a row to see the complaints behind it. Then the
analysis, in tabs of which only the open one runs
(kept in the URL, `?thr_analysis=Over+time`): the counts per authority with the rule behind them,
the share of second reports explained in time and its monthly trend, the trend of people near and
at the threshold, the community-route clusters (map and list), and the rules in full; so the page
answers with the lists alone (issue 16, item 8: bench/HISTORY.md, "Clicks in the browser").
Layout only: figures come from insight.queries.threshold, charts from insight.charts.threshold.
Person-level rows (pseudonymised keys, never names) are asked for with the authority codes
from ui.person_level_codes, the one place that restricts them by role (insight/access/roles.py); their
views and downloads are logged in the audit log.
"""

import streamlit as st

from etl.rules import authorities
from insight import glossary, labels, ui
from insight.charts import threshold as charts_threshold
from insight.queries import threshold as qt

f = ui.current_filters()
person_codes = ui.person_level_codes(f)
is_build_date = f.as_of_date == ui.build_as_of()

DATE = {"format": "D MMM YYYY"}
PERSON_COLUMNS = {
    "authority_name": st.column_config.TextColumn("authority"),
    # pinned: a list scrolled sideways on a laptop screen still shows whose row it is
    "person_key": st.column_config.TextColumn("person (pseudonymised)", pinned=True),
    "qualifying_complaints": st.column_config.NumberColumn("qualifying complaints"),
    "qualifying_hate_complaints": st.column_config.NumberColumn("hate complaints"),
    "victim_threshold": st.column_config.NumberColumn("threshold"),
    "route": st.column_config.TextColumn(
        "route", help="victim: the count of qualifying complaints; hate: the rule's lower count for hate "
        "incidents, in its own window"),
    "oldest_complaint_date": st.column_config.DateColumn("oldest complaint", **DATE),
    "latest_complaint_date": st.column_config.DateColumn("latest complaint", **DATE),
    "window_expires_date": st.column_config.DateColumn(
        "window expires", help="The last day the oldest counted complaint still counts", **DATE),
    "days_left": st.column_config.NumberColumn(
        "days left", help="Days from the as-of date to the window expiry (0 = its last day is today)"),
    "first_met_date": st.column_config.DateColumn("first met", **DATE),
    "met_since_date": st.column_config.DateColumn("met since", help="Start of the current spell at or "
                                                  "over the threshold", **DATE),
    "days_since_met": st.column_config.NumberColumn("days since met"),
    "has_application": st.column_config.CheckboxColumn(
        "applied", help="An application received on or after the oldest counted complaint"),
    "lead_agency": st.column_config.TextColumn(
        "lead agency", help="Who should make contact: the rule's lead agency, else the agency that took "
        "most of the complaints"),
    "agencies": st.column_config.TextColumn("agencies", help="Every agency that had the complaints"),
    "contact": st.column_config.TextColumn(
        "police only", help="Every complaint came from the police only: the council holds no reference of "
        "its own, so the lead agency makes contact"),
    "partner_refs": st.column_config.TextColumn(
        "partners' references", width="medium", help="The complaints' own references in the partners' "
        "systems (source: incident reference, with the case reference where the source sent one), "
        "oldest first: open the case in your own system with them"),
    "postcode_districts": st.column_config.TextColumn("postcode districts"),
    "related_by": st.column_config.TextColumn(
        "related by", help="Which complaints count together under the rule: any, the same ASB category "
        "or the same case"),
    "rule": st.column_config.TextColumn(
        "rule", help="The rule in force on the as-of date (the authority and the date it applies from); "
        "⚠️ = it departs from the statute (s.104)"),
    "statute_note": st.column_config.TextColumn("⚠️ departs from s.104", help="Why the rule departs from "
                                                "the statute; empty when it does not"),
    # this week's queue and the second reports
    "is_new": st.column_config.CheckboxColumn("this week"),
    "happened_date": st.column_config.DateColumn("date", help="When it happened", **DATE),
    "what": st.column_config.TextColumn("what happened", width=250),   # its words whole
    "second_report_date": st.column_config.DateColumn("second report", **DATE),
    "first_report_date": st.column_config.DateColumn("first report", **DATE),
    "review_explained_date": st.column_config.DateColumn(
        "victim told", help="When a partner recorded explaining the case review to the victim", **DATE),
    "explanation": st.column_config.TextColumn("explained?"),
    "explained_working_days": st.column_config.NumberColumn("working days to explain"),
    "explain_working_days_left": st.column_config.NumberColumn(
        "working days left", help="Working days left to explain the case review (0 = the last day is today)"),
    "working_days_overdue": st.column_config.NumberColumn(
        "working days overdue", help="Working days past the limit with no explanation recorded"),
    "is_overdue": st.column_config.CheckboxColumn("overdue", help="Not explained and past the limit"),
}
RULE_COLUMNS = ["related_by", "rule", "statute_note"]
# a cluster column's blank has two meanings in the table (a tile says "not used" outright)
CLUSTER_BLANK = "Empty (–) where the authority's rule does not use the community route, or where the count is hidden."


def person_list(rows, key: str, file_stem: str, columns: list[str]):
    """A selectable list of people, a page at a time (ui.list_page), with its row-limit note and CSV
    download of every row; returns the selection."""
    shown = ui.list_page(rows, key)
    picked = ui.dataframe(shown, hide_index=True, placeholder="–", key=key, on_select="rerun",
                          selection_mode="single-row", column_config=PERSON_COLUMNS, column_order=columns)
    ui.list_more(rows, shown, key, f"The list stops at {qt.LIST_LIMIT:,} rows; choose fewer authorities to see "
                 "the rest." if len(rows) >= qt.LIST_LIMIT else "")
    ui.download_csv(rows, key=f"{key}_dl",
                    file_name=f"{file_stem}_{ui.current_filters().as_of_date.isoformat()}.csv")
    return picked.selection


def complaints_of(rows, selection, key: str) -> None:
    """The complaints behind the selected person, with the partners' references, or a hint to select one."""
    picked = [i for i in selection.rows if i < len(rows)]
    if not picked:
        st.caption("Select a row to see the complaints behind it.")
        return
    person = rows.iloc[picked[0]]
    complaints = ui.load(qt.person_complaints, f.as_of_date, person_codes, person["authority_code"],
                         person["person_key"])
    st.markdown(f"**Complaints behind `{person['person_key']}`** ({person['authority_name']}), "
                f"in the window on {ui.fmt_date(f.as_of_date)}")
    ui.dataframe(complaints, hide_index=True, key=key, placeholder="–", column_config={
        "reported_date": st.column_config.DateColumn("reported", **DATE),
        "occurred_date": st.column_config.DateColumn("occurred", **DATE),
        "days_to_report": st.column_config.NumberColumn("days to report"),
        "is_qualifying": st.column_config.CheckboxColumn(
            "qualifies", help="Reported within the rule's limit of the behaviour"),
        "asb_category": st.column_config.TextColumn("category"),
        "asb_type": st.column_config.TextColumn("type"),
        "agencies": st.column_config.TextColumn("agencies", help="Every agency it was reported to"),
        "is_hate": st.column_config.CheckboxColumn("hate"),
        # the last day it counts, as the lists' "window expires" is (DESIGN.md window_expires_date)
        "counts_until": st.column_config.DateColumn(
            "counts until", help="The last day it counts towards the threshold", **DATE),
        "partner_refs": st.column_config.TextColumn("partners' references", width="large"),
        "postcode_district": st.column_config.TextColumn("postcode district"),
        "rule_id": st.column_config.TextColumn("rule when made"),
    }, column_order=["reported_date", "occurred_date", "days_to_report", "is_qualifying", "asb_category",
                     "asb_type", "agencies", "is_hate", "counts_until", "partner_refs", "postcode_district",
                     "rule_id"])
    refs = "; ".join(labels.partner_refs(r) for r in complaints["partner_refs"].dropna())
    st.caption(f"Partners' references: {ui.plain(refs) if refs else 'none'}")


st.title("Threshold near-misses")
source = ("the build's threshold marts" if is_build_date
          else "the threshold engine, evaluated live for this date")
st.caption(f"As of {ui.fmt_date(f.as_of_date)}, from {source}. Change the date under 'As of' in "
           "the sidebar. People are shown by pseudonymised key only.")
ui.as_of_notice(f)   # an as-of date before or long after the data: its zeros are the data's

summary = ui.load(qt.summary, f.as_of_date, f.authority_codes)
total = summary[summary["authority_code"].isna()].iloc[0]
per_authority = summary[summary["authority_code"].notna()]
if summary["authority_code"].isna().all():
    st.warning("No threshold rule is in force on this date for the selected authorities (see "
               "etl/rules/authorities.toml): every figure below is empty.")
departing = per_authority[per_authority["statute_note"].notna()]
if len(departing):
    st.warning("These rules depart from the statute (s.104(4): no more than three complaints, per its "
               "Explanatory Notes; s.104(11): one month to report, a six-month window). Their figures "
               "follow the local rule, marked ⚠️ wherever it is shown:\n"
               + "\n".join(f"- **{ui.plain(r.authority_name)}**, {labels.rule_name(r.rule_id)}: `{r.statute_note}`"
                           for r in departing.itertuples()), icon="⚠️")
tiles = ui.tile_row()
for key in ("near_miss_people", "met_people", "met_without_application_people", "near_miss_clusters", "met_clusters"):
    # "–" is a figure hidden (fewer than k): a route no selected authority's rule uses says so
    unused = key.endswith("_clusters") and not total["community_route"]
    ui.tile(tiles, key, "not used" if unused else ui.fmt_int(total[key]))

# --- the lists a manager acts on -----------------------------------------------------------------
routes, max_days_left, sort, list_codes, search = (), None, None, person_codes, ""


def narrowed(rows):
    """A list as the search box's neighbours ask: route, days left, sort (queries.threshold.narrow)."""
    return qt.narrow(rows, routes, max_days_left, sort)


def sources_note() -> None:
    """Which partners send `review_explained_date`: only they can show a second report explained."""
    senders = ui.load(qt.explanation_sources)
    sending = ", ".join(map(labels.source_name, senders.loc[senders["sends_explained_date"], "source"])) or "none"
    silent = ", ".join(map(labels.source_name, senders.loc[~senders["sends_explained_date"], "source"])) or "none"
    st.caption(f"Only partners that send `review_explained_date` can show explanations. Sources that send it: "
               f"{sending}. Sources that do not (an incident only they reported never carries one): {silent}; "
               "their victims' second reports show as not explained unless another partner records it.")


if not person_codes:
    st.info("Person-level lists are not available to you for the selected authorities.")
else:
    st.subheader("Lists")
    with st.container(border=True):
        search = st.text_input(
            "Search the lists by a partner's reference or a postcode district", key="thr_search", persist_state="session",
            placeholder="an incident or case reference as your system holds it (or part of it), or DE7",
            help="Matches any of a row's complaint references or case references (any part, ignoring "
            "case), or a postcode district (whole, e.g. DE7) that a partner sent")
        boxes = st.columns(4 if len(person_codes) > 1 else 3)
        routes = tuple(boxes[0].multiselect(
            "Route", [r for r in qt.ROUTES if r != "community" or total["community_route"]], key="thr_routes", persist_state="session",
            placeholder="every route", help="Rows without a route (second reports) always show"))
        max_days_left = boxes[1].number_input(
            "At most this many days left", min_value=0, value=None, step=7, key="thr_days_left", persist_state="session",
            placeholder="any", help="Lists with days left to the window expiry (people, clusters)")
        sort = qt.SORTS[boxes[2].selectbox("Sort the lists by", list(qt.SORTS), key="thr_sort", persist_state="session")]
        if len(person_codes) > 1:
            chosen = boxes[3].multiselect("Authority", person_codes, key="thr_authorities", persist_state="session",
                                          format_func=authorities.NAME_BY_CODE.get,
                                          placeholder="every authority you may see")
            list_codes = tuple(c for c in person_codes if c in chosen) or person_codes


# --- the lists, one tab at a time ------------------------------------------------------------------
def week_section() -> None:
    queue = narrowed(ui.load(qt.week_queue, f.as_of_date, list_codes, search))
    st.caption(f"Per authority: first what happened in the 7 days to {ui.fmt_date(f.as_of_date)} (second "
               "reports, whose victim must be told about the case review, and people who met the threshold), "
               "then the second reports still open (not explained, made inside the window), each oldest "
               "first.")
    st.markdown(charts_threshold.queue_sentence(queue))
    picked_queue = person_list(queue, "thr_queue", "this_week", [
        "authority_name", "is_new", "happened_date", "what", "person_key", "explanation", "explain_working_days_left",
        "working_days_overdue", "lead_agency", "contact", "partner_refs", "review_explained_date", "has_application",
        "days_left", "route", "postcode_districts", "agencies", *RULE_COLUMNS])
    complaints_of(queue, picked_queue, "thr_queue_complaints")


def work_section() -> None:
    work = narrowed(ui.load(qt.near_miss_work_list, f.as_of_date, list_codes, search))
    st.caption("Soonest expiry first: after the window expires (the last day the oldest counted complaint "
               "counts) the person is no longer one complaint short. 'police only': every complaint came "
               "from the police, so the council has no reference of its own; the lead agency makes contact. "
               "Select a row to see the complaints behind it.")
    picked = person_list(work, "thr_worklist", "near_misses", [
        "days_left", "window_expires_date", "authority_name", "person_key", "lead_agency", "contact", "route",
        "qualifying_complaints", "victim_threshold", "partner_refs", "agencies", "postcode_districts",
        "oldest_complaint_date", "latest_complaint_date", "first_met_date", "has_application", *RULE_COLUMNS])
    complaints_of(work, picked, "thr_worklist_complaints")


def met_section() -> None:
    met = narrowed(ui.load(qt.met_without_application, f.as_of_date, list_codes, search))
    st.caption("Candidates for an automatic case review, the most recently met first: act on new ones "
               "first. An application counts only when received on or after the oldest counted complaint.")
    picked_met = person_list(met, "thr_met", "met_no_application", [
        "met_since_date", "days_since_met", "authority_name", "person_key", "lead_agency", "contact", "route",
        "qualifying_complaints", "victim_threshold", "partner_refs", "agencies", "postcode_districts",
        "days_left", "first_met_date", "latest_complaint_date", *RULE_COLUMNS])
    complaints_of(met, picked_met, "thr_met_complaints")


def second_section() -> None:
    second = narrowed(ui.load(qt.second_reports, f.as_of_date, list_codes, f.start_date, f.end_date, search))
    st.caption(f"Statutory guidance (July 2025): the case review must be explained to every victim who makes "
               f"a second report of ASB in a six-month period, whether or not the threshold is met. Second "
               f"reports made {ui.fmt_period(f.start_date, f.end_date)}, as of {ui.fmt_date(f.as_of_date)}. "
               "The share explained in time, per authority and by month, is under Analysis, 'Explained in time'.")
    sources_note()
    st.markdown("**Victims owed an explanation**")
    st.caption("Not explained first, the oldest first; then the explained, the newest first. The "
               "partners' references are those of the first and the second report.")
    picked_second = person_list(second, "thr_second", "second_reports", [
        "authority_name", "second_report_date", "person_key", "explanation", "explain_working_days_left",
        "working_days_overdue", "lead_agency", "contact", "partner_refs", "review_explained_date",
        "explained_working_days", "postcode_districts", "first_report_date", "agencies", *RULE_COLUMNS])
    complaints_of(second, picked_second, "thr_second_complaints")


# The lists a manager acts on, one tab at a time (issue 15: only the open one runs, so a first view
# at another as-of date evaluates the engine and this week's queue, not four lists; the tab open is
# in the URL, `?thr_list=Second+reports`). A fragment, so selecting a row or opening a tab does not
# redraw the counts above.
LISTS = {"This week": week_section, "One complaint short": work_section,
         "Met, no application": met_section, "Second reports": second_section}

if person_codes:
    ui.analysis_tabs(LISTS, key="thr_list")


# --- the statistics behind the lists, one tab at a time ------------------------------------------
def by_authority_section() -> None:
    st.caption("People and community-route clusters at and near the threshold on the as-of date, per "
               "authority, with the rule that produced each row (the Rules tab gives each rule in full).")
    ui.dataframe(per_authority, hide_index=True, key="thr_counts", placeholder="–", column_order=[
        "authority_name", "near_miss_people", "hate_near_miss_people", "met_people",
        "met_without_application_people", "near_miss_clusters", "met_clusters", "rule"], column_config={
        "authority_name": st.column_config.TextColumn("authority"),
        "near_miss_people": ui.measure_column("near_miss_people"),
        "hate_near_miss_people": st.column_config.NumberColumn(
            "one hate complaint short", help="People one hate complaint short of the hate threshold on the as-of "
            "date, where the rule's hate threshold is 2 or more"),
        "met_people": ui.measure_column("met_people"),
        "met_without_application_people": ui.measure_column("met_without_application_people"),
        **{key: st.column_config.NumberColumn(glossary.name(key), help=f"{glossary.definition(key)} {CLUSTER_BLANK}")
           for key in ("near_miss_clusters", "met_clusters")},
        "rule": st.column_config.TextColumn("rule", help="The rule in force on the as-of date that produced "
                                            "the row: the authority and the date it applies from; ⚠️ = it "
                                            "departs from the statute"),
    })


def explained_section() -> None:
    share = ui.load(qt.second_report_share, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
    st.caption(f"Second reports made {ui.fmt_period(f.start_date, f.end_date)}, as of {ui.fmt_date(f.as_of_date)}. "
               "**Explained in time** = explained within the rule's limit (working days) ÷ second reports "
               "whose limit has passed on the as-of date; those still inside their limit are left out.")
    sources_note()
    ui.dataframe(share, hide_index=True, key="thr_second_share", placeholder="–", column_order=[
        "authority_name", "events", "limit_passed", "explained_in_time", "explained_late", "not_explained",
        "awaiting", "share_in_time"], column_config={
        "authority_name": st.column_config.TextColumn("authority"),
        "events": st.column_config.NumberColumn("second reports"),
        "limit_passed": st.column_config.NumberColumn("limit passed", help="Second reports more than the "
                                                      "rule's limit of working days old on the as-of date"),
        "explained_in_time": st.column_config.NumberColumn("explained in time", help="Of those whose limit passed"),
        "explained_late": st.column_config.NumberColumn("explained late"),
        "not_explained": st.column_config.NumberColumn("not explained", help="Past the limit, no explanation "
                                                       "recorded"),
        "awaiting": st.column_config.NumberColumn("still in time", help="Not explained yet, inside the limit"),
        "share_in_time": st.column_config.NumberColumn(
            "explained in time, %", format="percent", help="explained in time ÷ limit passed"),
    })
    st.caption(charts_threshold.second_report_sentence(share))
    trend = ui.load(qt.second_report_trend, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
    ui.plotly_chart(ui.figure(charts_threshold.second_report_chart, trend), key="thr_second_trend")


def history_section() -> None:
    history = ui.load(qt.history, f.as_of_date, f.authority_codes)
    ui.plotly_chart(ui.figure(charts_threshold.history_chart, history), key="thr_history")
    st.caption(charts_threshold.history_sentence(history) + " Month ends up to the as-of date, each "
               "counted with the rule in force that day.")


def community_section() -> None:
    if not total["community_route"]:
        st.info("None of the selected authorities uses the community route on this date.")
        return
    cluster_codes = f.authority_codes if list_codes == person_codes else list_codes  # the Authority filter
    clusters = narrowed(ui.load(qt.community_clusters, f.as_of_date, cluster_codes))
    outlines = ui.load(qt.authority_outlines, f.as_of_date, cluster_codes)
    cluster_map = ui.figure(charts_threshold.cluster_map, clusters, outlines, height_px=520)  # 0.2-1 s to build
    if cluster_map is None:
        st.info("The warehouse holds no authority outlines (authorities.boundary_geojson is empty).")
    else:
        ui.plotly_chart(cluster_map, key="thr_map", alt="Map of the community-route clusters near and at the "
                        "threshold, as hexagons over the district outlines; the table below lists them.")
        st.caption(charts_threshold.cluster_legend(clusters))
    ui.dataframe(clusters, hide_index=True, key="thr_clusters", column_order=[
        "days_left", "window_expires_date", "authority_name", "cluster_cell", "asb_category",
        "distinct_reporters", "community_threshold", "incidents", "anonymous_reports",
        "is_threshold_met", "rule", "statute_note"], column_config={
        "days_left": st.column_config.NumberColumn("days left", help="Days until the reporter count "
                                                   "next drops"),
        "window_expires_date": st.column_config.DateColumn("count drops on", **DATE),
        "authority_name": st.column_config.TextColumn("authority"),
        "cluster_cell": st.column_config.TextColumn("H3 cell"),
        "asb_category": st.column_config.TextColumn("category"),
        "distinct_reporters": st.column_config.NumberColumn("reporters"),
        "community_threshold": st.column_config.NumberColumn("threshold"),
        "incidents": st.column_config.NumberColumn("incidents", help="Anonymous reports included"),
        "anonymous_reports": st.column_config.NumberColumn("anonymous"),
        "is_threshold_met": st.column_config.CheckboxColumn("met"),
        "rule": PERSON_COLUMNS["rule"],
        "statute_note": PERSON_COLUMNS["statute_note"],
    })
    ui.download_csv(clusters, one="cluster", key="thr_dl_clusters",
                    file_name=f"community_clusters_{f.as_of_date.isoformat()}.csv")


def rules_section() -> None:
    st.caption("The rules behind the figures: the rule in force on the as-of date for each authority.")
    ui.dataframe(per_authority, hide_index=True, key="thr_rules", column_order=[
        "rule", "authority_name", "statute_note", "victim_rule", "related", "lead_agency", "sla_explain_days",
        "community_rule"], column_config={   # the departure from s.104 before the long routes' words
        "rule": st.column_config.TextColumn("rule", help="⚠️ = it departs from the statute (s.104)"),
        "authority_name": st.column_config.TextColumn("authority"),
        "victim_rule": st.column_config.TextColumn("victim route (met at; near-miss one short)", width="large"),
        "related": st.column_config.TextColumn("related by", help="Which complaints count together (related_by)"),
        "lead_agency": st.column_config.TextColumn("lead agency", help="Empty: the agency with most of the "
                                                   "person's complaints"),
        "sla_explain_days": st.column_config.NumberColumn(
            "explain within", help="Working days to explain the case review after a second report"),
        "community_rule": st.column_config.TextColumn("community route", width="large"),
        "statute_note": st.column_config.TextColumn("⚠️ departs from s.104", width="medium"),
    })


# The analysis behind the lists (issue 16, item 3: the action first), one tab at a time: only the
# open tab runs and is sent, so the page answers with the lists, one small table and no chart
# (issue 16, item 8: each table is a canvas grid and each chart a plotly figure the browser draws).
# A fragment, so opening a tab does not redraw the lists above; the tab is in the URL.
ANALYSES = {"By authority": by_authority_section, "Explained in time": explained_section,
            "Over time": history_section, "Community route": community_section, "Rules": rules_section}

st.subheader("Analysis")
ui.analysis_tabs(ANALYSES, key="thr_analysis")

with st.expander("How these figures are defined"):
    st.markdown("\n".join(f"- **{term}**: {text}" for term, text in qt.DEFINITIONS))
