"""Threshold near-misses: who is near or at the Community Trigger threshold on the as-of date.

Counts per authority with the rule behind them, the work list of near-misses by the date the
chance to act expires (select a row to see the complaints behind it), people who met the
threshold but never applied, the monthly trend and the map of community-route clusters.
Layout only: figures come from insight.queries.threshold, charts from insight.charts.threshold.
Person-level rows (pseudonymised keys, never names) are asked for with the authority codes
from ui.person_level_codes, the one place that restricts them by role (insight/access/roles.py); their
views and downloads are logged in the audit log.
"""

import streamlit as st

from insight import ui
from insight.charts import threshold as charts_threshold
from insight.queries import threshold as qt

f = ui.current_filters()
person_codes = ui.person_level_codes(f)
is_build_date = f.as_of_date == ui.build_as_of()

DATE = {"format": "D MMM YYYY"}
PERSON_COLUMNS = {
    "authority_name": st.column_config.TextColumn("authority"),
    "person_key": st.column_config.TextColumn("person (pseudonymised)"),
    "qualifying_complaints": st.column_config.NumberColumn("qualifying complaints"),
    "victim_threshold": st.column_config.NumberColumn("threshold"),
    "oldest_complaint_date": st.column_config.DateColumn("oldest complaint", **DATE),
    "latest_complaint_date": st.column_config.DateColumn("latest complaint", **DATE),
    "window_expires_date": st.column_config.DateColumn(
        "window expires", help="The last day the oldest qualifying complaint still counts", **DATE),
    "days_left": st.column_config.NumberColumn(
        "days left", help="Days from the as-of date to the window expiry (0 = its last day is today)"),
    "first_met_date": st.column_config.DateColumn("first met", **DATE),
    "met_since_date": st.column_config.DateColumn("met since", help="Start of the current spell at or "
                                                  "over the threshold", **DATE),
    "days_since_met": st.column_config.NumberColumn("days since met"),
    "has_application": st.column_config.CheckboxColumn("applied"),
    "rule_id": st.column_config.TextColumn("rule"),
}


def person_list(rows, key: str, file_stem: str, columns: list[str]):
    """A selectable list of people with its row-limit note and CSV download; returns the selection."""
    picked = st.dataframe(rows, hide_index=True, placeholder="–", key=key, on_select="rerun",
                          selection_mode="single-row", column_config=PERSON_COLUMNS, column_order=columns)
    if len(rows) >= qt.LIST_LIMIT:
        st.caption(f"Showing the first {qt.LIST_LIMIT:,} rows; choose fewer authorities to see the rest.")
    ui.download_csv(f"Download {len(rows):,} rows as CSV", rows, key=f"{key}_dl",
                    file_name=f"{file_stem}_{ui.current_filters().as_of_date.isoformat()}.csv")
    return picked.selection


def complaints_of(rows, selection, key: str) -> None:
    """The complaints behind the selected person, or a hint to select one."""
    picked = [i for i in selection.rows if i < len(rows)]
    if not picked:
        st.caption("Select a row to see the complaints behind it.")
        return
    person = rows.iloc[picked[0]]
    complaints = ui.load(qt.person_complaints, f.as_of_date, person_codes, person["authority_code"],
                         person["person_key"])
    st.markdown(f"**Complaints behind `{person['person_key']}`** ({person['authority_name']}), "
                f"in the window on {ui.fmt_date(f.as_of_date)}")
    st.dataframe(complaints, hide_index=True, key=key, placeholder="–", column_config={
        "reported_date": st.column_config.DateColumn("reported", **DATE),
        "occurred_date": st.column_config.DateColumn("occurred", **DATE),
        "days_to_report": st.column_config.NumberColumn("days to report"),
        "is_qualifying": st.column_config.CheckboxColumn(
            "qualifies", help="Reported within the rule's limit of the behaviour"),
        "asb_category": st.column_config.TextColumn("category"),
        "asb_type": st.column_config.TextColumn("type"),
        "agencies": st.column_config.TextColumn("agencies", help="Every agency it was reported to"),
        "is_hate": st.column_config.CheckboxColumn("hate"),
        "drops_out_date": st.column_config.DateColumn("stops counting on", **DATE),
        "rule_id": st.column_config.TextColumn("rule when made"),
    })


st.title("Threshold near-misses")
source = ("the build's threshold marts" if is_build_date
          else "the threshold engine, evaluated live for this date")
st.caption(f"As of {ui.fmt_date(f.as_of_date)}, from {source}. Change the date under 'As of' in "
           "the sidebar. People are shown by pseudonymised key only.")

summary = ui.load(qt.summary, f.as_of_date, f.authority_codes)
total = summary[summary["authority_code"].isna()].iloc[0]
if summary["authority_code"].isna().all():
    st.warning("No threshold rule is in force on this date for the selected authorities (see "
               "etl/rules/authorities.toml): every figure below is empty.")
tiles = st.columns(5)
tiles[0].metric("Near-miss people", ui.fmt_int(total["near_miss_people"]), border=True,
                help="People one qualifying complaint short of the victim threshold")
tiles[1].metric("Met people", ui.fmt_int(total["met_people"]), border=True,
                help="People whose qualifying complaints meet the victim threshold")
tiles[2].metric("Met, no application", ui.fmt_int(total["met_without_application_people"]), border=True,
                help="People who meet the threshold and have not applied: candidates for an "
                "automatic case review")
tiles[3].metric("Near-miss clusters", ui.fmt_int(total["near_miss_clusters"]), border=True,
                help="Community route, where it applies: clusters one or two reporters short")
tiles[4].metric("Met clusters", ui.fmt_int(total["met_clusters"]), border=True,
                help="Community route, where it applies: clusters at or over the threshold")

st.subheader("At and near the threshold, by authority")
per_authority = summary[summary["authority_code"].notna()]
st.dataframe(per_authority, hide_index=True, placeholder="–", column_order=[
    "authority_name", "near_miss_people", "met_people", "met_without_application_people",
    "near_miss_clusters", "met_clusters", "rule_id"], column_config={
    "authority_name": st.column_config.TextColumn("authority"),
    "near_miss_people": st.column_config.NumberColumn("near-miss people"),
    "met_people": st.column_config.NumberColumn("met people"),
    "met_without_application_people": st.column_config.NumberColumn("met, no application"),
    "near_miss_clusters": st.column_config.NumberColumn(
        "near-miss clusters", help="– where the authority does not use the community route"),
    "met_clusters": st.column_config.NumberColumn("met clusters"),
    "rule_id": st.column_config.TextColumn("rule", help="The rule in force on the as-of date that "
                                           "produced the row: authority code @ the date it applies from"),
})
st.markdown("**The rules behind the figures**")
st.dataframe(per_authority, hide_index=True, column_order=[
    "rule_id", "authority_name", "victim_rule", "community_rule"], column_config={
    "rule_id": st.column_config.TextColumn("rule"),
    "authority_name": st.column_config.TextColumn("authority"),
    "victim_rule": st.column_config.TextColumn("victim route (met at; near-miss one short)", width="large"),
    "community_rule": st.column_config.TextColumn("community route", width="large"),
})
with st.expander("How these figures are defined"):
    st.markdown("\n".join(f"- **{term}**: {text}" for term, text in qt.DEFINITIONS))

st.subheader("Work list: one complaint short")
if not person_codes:
    st.info("Person-level lists are not available to you for the selected authorities.")
else:
    work = ui.load(qt.near_miss_work_list, f.as_of_date, person_codes)
    st.caption("Soonest expiry first: when the oldest qualifying complaint drops out of the window, the "
               "person is no longer one complaint short. Select a row to see the complaints behind it.")
    picked = person_list(work, "thr_worklist", "near_misses", [
        "days_left", "window_expires_date", "authority_name", "person_key", "qualifying_complaints",
        "victim_threshold", "oldest_complaint_date", "latest_complaint_date", "first_met_date",
        "has_application", "rule_id"])
    complaints_of(work, picked, "thr_worklist_complaints")

    st.subheader("Met the threshold, no application")
    met = ui.load(qt.met_without_application, f.as_of_date, person_codes)
    st.caption("Candidates for an automatic case review, longest waiting first.")
    picked_met = person_list(met, "thr_met", "met_no_application", [
        "met_since_date", "days_since_met", "first_met_date", "authority_name", "person_key",
        "qualifying_complaints", "victim_threshold", "latest_complaint_date", "rule_id"])
    complaints_of(met, picked_met, "thr_met_complaints")

st.subheader("Near-miss and met people over time")
history = ui.load(qt.history, f.as_of_date, f.authority_codes)
st.plotly_chart(charts_threshold.history_chart(history), key="thr_history")
st.caption(charts_threshold.history_sentence(history) + " Month ends up to the as-of date, each "
           "counted with the rule in force that day.")

st.subheader("Community route: clusters near and at the threshold")
if not total["community_route"]:
    st.info("None of the selected authorities uses the community route on this date.")
else:
    clusters = ui.load(qt.community_clusters, f.as_of_date, f.authority_codes)
    outlines = ui.load(qt.authority_outlines, f.as_of_date, f.authority_codes)
    deck = charts_threshold.cluster_map(clusters, outlines, height_px=520)
    if deck is None:
        st.info("The warehouse holds no authority outlines (authorities.boundary_geojson is empty).")
    else:
        st.pydeck_chart(deck, height=520, key="thr_map")
        st.caption(charts_threshold.cluster_legend(clusters))
    st.dataframe(clusters, hide_index=True, column_order=[
        "days_left", "window_expires_date", "authority_name", "cluster_cell", "asb_category",
        "distinct_reporters", "community_threshold", "incidents", "anonymous_reports",
        "is_threshold_met", "rule_id"], column_config={
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
        "rule_id": st.column_config.TextColumn("rule"),
    })
    ui.download_csv(f"Download {len(clusters):,} clusters as CSV", clusters, key="thr_dl_clusters",
                    file_name=f"community_clusters_{f.as_of_date.isoformat()}.csv")
