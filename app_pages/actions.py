"""Action plans: the actions case reviews agreed, how the agencies deliver them, and the reviews
re-triggered after their outcome (the person applied again, or met the threshold again).

First the list a manager acts on (actions overdue or due soon), then the figures (per authority, per
agency, by type), then the re-triggers. Layout only: figures come from insight.queries.actions,
the chart from insight.charts.actions. The lists are application-level, so they are asked for with
the codes from ui.person_level_codes (every view is logged by ui.load); a viewer without those
rights gets the counts under the disclosure rule.
"""

import streamlit as st

from insight import ui
from insight.charts import actions as charts_actions
from insight.queries import actions as qx

f = ui.current_filters()
person_codes = ui.person_level_codes(f)
DATE = {"format": "D MMM YYYY"}
SHARE = {"format": "percent"}
DUE_SOON = qx.DUE_SOON_WORKING_DAYS
NO_LIST = "Application-level lists are not available to you for the selected authorities."
COLUMNS = {
    "status": st.column_config.TextColumn("status"),
    # pinned: a list scrolled sideways on a laptop screen still shows which action a row is
    "action_ref": st.column_config.TextColumn("action", pinned=True),
    "application_ref": st.column_config.TextColumn("application"),
    "authority_name": st.column_config.TextColumn("authority"),
    "action_agency": st.column_config.TextColumn("agency"),
    "action_type": st.column_config.TextColumn("type"),
    "action_state": st.column_config.TextColumn("state", help="On the as-of date"),
    "agreed_date": st.column_config.DateColumn("agreed", **DATE),
    "due_date": st.column_config.DateColumn("due", **DATE),
    "completed_date": st.column_config.DateColumn("completed", **DATE),
    "working_days_overdue": st.column_config.NumberColumn(
        "working days overdue", help="From the due date to the as-of date; negative = working days left"),
    "days_overdue": st.column_config.NumberColumn("calendar days overdue"),
    "working_days_late": st.column_config.NumberColumn("completed late by (working days)"),
    "working_days_to_complete": st.column_config.NumberColumn("working days to complete"),
    "review_date": st.column_config.DateColumn("review meeting", **DATE),
    "review_outcome": st.column_config.TextColumn("review outcome"),
    "recommendations_count": st.column_config.NumberColumn("recommendations"),
    "plan_actions": st.column_config.NumberColumn("actions in the plan"),
    "data_errors": st.column_config.TextColumn("plan problem", width="medium"),
}

st.title("Action plans")
st.caption(f"The actions agreed by case reviews with recommendations, as they stood on {ui.fmt_date(f.as_of_date)}. "
           f"Plans and actions count in the period they were agreed in ({ui.fmt_period(f.start_date, f.end_date)}); "
           "delivery counts the actions due in the period whose result is known (completed, or past the due "
           "date); open and overdue now are states on the as-of date, whenever agreed. An action belongs to "
           "the authority of the application reviewed; cancelled actions count in no delivery figure.")

summary = ui.load(qx.summary, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
total = summary[summary["authority_code"].isna()].iloc[0]
retriggers = ui.load(qx.retrigger_summary, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
retrigger_total = retriggers[retriggers["authority_code"].isna()].iloc[0]

st.subheader("Needs action")
if not person_codes:
    st.caption(f"Actions overdue on {ui.fmt_date(f.as_of_date)}: {ui.fmt_int(total['overdue_now'])} (– when fewer "
               "than the disclosure rule allows). The actions themselves are listed for the authorities' own "
               "staff and the OPCC.")
else:
    action = ui.load(qx.needs_action, f.as_of_date, person_codes)
    if action.empty:
        st.success(f"{ui.list_scope(f, person_codes)}No action is overdue or due within {DUE_SOON} working days on "
                   f"{ui.fmt_date(f.as_of_date)}.", icon=":material/check_circle:")
    else:
        with st.container(key="ax_action"):
            st.caption(f"Open actions on {ui.fmt_date(f.as_of_date)}, whenever agreed, past their due date or due "
                       f"within {DUE_SOON} working days; the most overdue first, each with the application behind it.")
            ui.dataframe(action, hide_index=True, key="ax_action_list", placeholder="–", column_config=COLUMNS,
                         column_order=["status", "working_days_overdue", "due_date", "action_ref", "action_type",
                                       "action_agency", "application_ref", "authority_name", "days_overdue",
                                       "agreed_date", "review_date", "data_errors"])
            ui.download_csv(action, one="action", key="ax_action_dl",
                            file_name=f"actions_overdue_{f.as_of_date.isoformat()}.csv")

# two rows: the period's flows, then the states on the as-of date (and the period's re-triggers)
flows = ui.tile_row()
ui.tile(flows, "action_plans", ui.fmt_int(total["plans"]))
ui.tile(flows, "actions_agreed", ui.fmt_int(total["actions"]))
ui.tile(flows, "actions_per_plan", "–" if total.isna()["actions_per_plan"] else f"{total['actions_per_plan']:g}")
ui.tile(flows, "actions_on_time", "–" if total.isna()["share_on_time"] else f"{total['share_on_time']:.0%}")
states = ui.tile_row()
ui.tile(states, "actions_open", ui.fmt_int(total["open_now"]))
ui.tile(states, "actions_overdue", ui.fmt_int(total["overdue_now"]))
ui.tile(states, "retriggers", ui.fmt_int(retrigger_total["retriggers"]))

st.subheader("By authority")
DELIVERY = {
    "due": st.column_config.NumberColumn("due in the period", help="Due in the period, result known: on time + "
                                         "late + missed"),
    "on_time": st.column_config.NumberColumn("on time"),
    "late": st.column_config.NumberColumn("completed late"),
    "missed": st.column_config.NumberColumn("missed", help="Past the due date and still open on the as-of date"),
    "share_on_time": ui.measure_column("actions_on_time", **SHARE),
    "open_now": ui.measure_column("actions_open"),
    "overdue_now": ui.measure_column("actions_overdue"),
}
ui.dataframe(summary, hide_index=True, placeholder="–", key="ax_summary", column_order=[
    "authority_name", "plans", "actions", "actions_per_plan", "cancelled", "due", "on_time", "late", "missed",
    "share_on_time", "open_now", "overdue_now"], column_config={
    "authority_name": st.column_config.TextColumn("authority", pinned=True),
    "plans": ui.measure_column("action_plans"),
    "actions": ui.measure_column("actions_agreed"),
    "actions_per_plan": ui.measure_column("actions_per_plan"),
    "cancelled": st.column_config.NumberColumn("cancelled", help="Of the actions agreed in the period"),
    **DELIVERY,
})

# one above the other: side by side, the agency table showed 4 of its 9 columns on a 1366 px screen
agency_col, type_col = st.container(), st.container()
with agency_col:
    st.subheader("By agency")
    agencies = ui.load(qx.by_agency, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
    st.caption("Who delivers the actions, over the selected authorities.")
    ui.dataframe(agencies, hide_index=True, placeholder="–", key="ax_agencies", column_order=[
        "action_agency", "actions", "due", "on_time", "late", "missed", "share_on_time", "open_now", "overdue_now"],
        column_config={"action_agency": st.column_config.TextColumn("agency", pinned=True),
                       "actions": ui.measure_column("actions_agreed"), **DELIVERY})
with type_col:
    st.subheader("By type")
    by_type = ui.load(qx.by_type, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
    if by_type.empty:
        st.info("No action was agreed in the period.")
    else:
        ui.plotly_chart(ui.figure(charts_actions.type_chart, by_type), key="ax_types")
        st.caption(f"Actions agreed in the period, by what they are and how they stood on {ui.fmt_date(f.as_of_date)}.")

st.subheader("Re-triggers")
st.caption("A case review is re-triggered when the same person applies again to the same authority, or meets the "
           "threshold there again (a new spell at or over it), after the review's outcome was told (else after "
           "the meeting) and within the authority's re-trigger months (the setting `retrigger_months`, in force "
           "on the day of the outcome). A re-trigger counts in the period of its date; both kinds on one day count "
           "in both columns. Still watched: reviews whose window is open on the as-of date.")
ui.dataframe(retriggers, hide_index=True, placeholder="–", key="ax_retrigger_summary", column_order=[
    "authority_name", "reviews", "retriggers", "by_application", "by_threshold", "in_window", "months_in_force"],
    column_config={
    "authority_name": st.column_config.TextColumn("authority"),
    "reviews": st.column_config.NumberColumn("reviews told in the period"),
    "retriggers": ui.measure_column("retriggers"),
    "by_application": st.column_config.NumberColumn("applied again"),
    "by_threshold": st.column_config.NumberColumn("met the threshold again"),
    "in_window": st.column_config.NumberColumn("still watched", help="Reviews whose window is open on the as-of date"),
    "months_in_force": st.column_config.TextColumn("window (months)"),
})
if not person_codes:
    st.info(NO_LIST)
else:
    rows = ui.load(qx.retrigger_list, f.as_of_date, person_codes, f.start_date, f.end_date)
    if rows.empty:
        st.success(f"{ui.list_scope(f, person_codes)}No case review was re-triggered in the period.",
                   icon=":material/check_circle:")
    else:
        st.caption("The reviews re-triggered in the period, newest first, with how their plans stood.")
        ui.dataframe(rows, hide_index=True, key="ax_retriggers", placeholder="–", column_order=[
            "retrigger_date", "retrigger_kind", "application_ref", "authority_name", "review_outcome", "outcome_date",
            "days_after_outcome", "next_application_ref", "met_again_date", "plan_actions", "actions_completed",
            "actions_overdue", "window_end_date"], column_config={
            **COLUMNS,
            "retrigger_date": st.column_config.DateColumn("re-triggered", **DATE),
            "retrigger_kind": st.column_config.TextColumn("how"),
            "application_ref": st.column_config.TextColumn("application reviewed", pinned=True),
            "outcome_date": st.column_config.DateColumn("outcome told", **DATE),
            "days_after_outcome": st.column_config.NumberColumn("days after the outcome"),
            "next_application_ref": st.column_config.TextColumn("new application"),
            "met_again_date": st.column_config.DateColumn("threshold met again", **DATE),
            "actions_completed": st.column_config.NumberColumn("completed"),
            "actions_overdue": st.column_config.NumberColumn("overdue"),
            "window_end_date": st.column_config.DateColumn("window ends", **DATE),
        })
        ui.download_csv(rows, one="review", key="ax_retriggers_dl",
                        file_name=f"case_reviews_retriggered_{f.start_date.isoformat()}_{f.end_date.isoformat()}.csv")

with st.expander("Every action agreed in the period"):
    if not person_codes:
        st.info(NO_LIST)
    else:
        every = ui.load(qx.action_list, f.as_of_date, person_codes, f.start_date, f.end_date)
        st.caption("By application and due date, with each action's state on the as-of date and any problem with "
                   "its plan (agreed before the application, no recommendations, a count that differs from the "
                   "review's recommendations, another authority named).")
        ui.dataframe(every, hide_index=True, key="ax_every", placeholder="–", column_config=COLUMNS, column_order=[
            "application_ref", "action_ref", "authority_name", "action_type", "action_state", "due_date",
            "working_days_overdue", "action_agency", "agreed_date", "completed_date", "working_days_late",
            "working_days_to_complete", "review_outcome", "recommendations_count", "plan_actions", "data_errors"])
        ui.download_csv(every, one="action", key="ax_every_dl",
                        file_name=f"actions_{f.start_date.isoformat()}_{f.end_date.isoformat()}.csv")
