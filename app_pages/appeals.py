"""Appeals and PCC reviews: the OPCC's register of appeals under the local procedure and statutory
PCC reviews (Crime and Policing Act 2026), by authority, type, grounds and outcome, time to decision
against each type's limit, the upheld rate, cases referred back to the relevant bodies followed to
their result, the applications behind them (route, decision, turnaround) and the cases flagged
(naming another authority than their application's, or appealing a met threshold decision).

One register, not two pages: the same OPCC team decides both, against the same applications, and a
victim may use either route, so every figure counts both and the "By type" table splits them (the
choice is written in the README's "Appeals and PCC reviews").

Layout only: figures come from insight.queries.appeals, charts from insight.charts.reviews. The list of
appeals and the flagged ones are application-level, so they are asked for with the codes from
ui.person_level_codes.
"""

import streamlit as st

from etl.schema import APPEAL_OUTCOME_LABELS, DECIDED_APPEAL_OUTCOMES
from insight import ui
from insight.access import disclosure
from insight.charts import reviews as charts_reviews
from insight.queries import appeals as qa

f = ui.current_filters()
person_codes = ui.person_level_codes(f)
DATE = {"format": "D MMM YYYY"}
SHARE = {"format": "percent"}

DUE_WITHIN_DAYS = qa.DUE_WITHIN_WORKING_DAYS
# the "By type" columns that add up to a column of the summary's "All selected" row (or rest on several)
BY_TYPE_TOTALS = {"cases": "appeals", "decided": "decided", "withdrawn": "withdrawn", "pending": "pending",
                  "upheld": ("upheld", "partially_upheld"), "pending_now": "pending_now", "overdue": "overdue",
                  "within_sla": "within_sla", "with_sla": "with_sla", "share_within_sla": ("within_sla", "with_sla")}

st.title("Appeals and PCC reviews")
st.caption(f"Appeals and statutory PCC reviews received by the OPCC in {ui.fmt_period(f.start_date, f.end_date)}, "
           f"as they stood on "
           f"{ui.fmt_date(f.as_of_date)}. Upheld counts partially upheld too, of the appeals decided "
           "(withdrawn and pending ones are not decisions). Time in working days (England), against the "
           "limits of the authority whose application is appealed. Pending now and pending past the limit "
           f"are the appeals waiting for a decision on {ui.fmt_date(f.as_of_date)}, whenever received.")

summary = ui.load(qa.summary, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
total = summary[summary["authority_code"].isna()].iloc[0]

st.subheader("Needs action")
if not person_codes:
    st.caption(f"Appeals pending past the limit on {ui.fmt_date(f.as_of_date)}: {ui.fmt_int(total['overdue'])} "
               "(– when fewer than the disclosure rule allows). The appeals themselves are listed for the "
               "authorities' own staff and the OPCC.")
else:
    action = ui.load(qa.needs_action, f.as_of_date, person_codes)
    if action.empty:
        st.success(f"{ui.list_scope(f, person_codes)}No appeal is pending past its limit or due within "
                   f"{DUE_WITHIN_DAYS} working days on "
                   f"{ui.fmt_date(f.as_of_date)}.", icon=":material/check_circle:")
    else:
        with st.container(key="ap_action"):
            st.caption(f"Appeals waiting for the OPCC's decision on {ui.fmt_date(f.as_of_date)}, whenever received, "
                       f"past the limit or due within {DUE_WITHIN_DAYS} working days; the least time left first.")
            ui.dataframe(action, hide_index=True, key="ap_action_list", placeholder="–", column_order=[
                "status", "appeal_ref", "working_days_left", "due_date", "review_type", "authority_name",
                "application_ref", "received_date", "open_working_days", "grounds", "application_decision", "flags"],
                column_config={
                "status": st.column_config.TextColumn("status"),
                "appeal_ref": st.column_config.TextColumn("case", pinned=True),
                "review_type": st.column_config.TextColumn("type"),
                "application_ref": st.column_config.TextColumn("application"),
                "authority_name": st.column_config.TextColumn("authority"),
                "received_date": st.column_config.DateColumn("received", **DATE),
                "due_date": st.column_config.DateColumn("decision due", **DATE),
                "open_working_days": st.column_config.NumberColumn("pending for (working days)"),
                "working_days_left": st.column_config.NumberColumn(
                    "working days left", help="Limit minus working days pending; negative = past the limit by that many"),
                "application_decision": st.column_config.TextColumn("threshold decision appealed"),
                "flags": st.column_config.TextColumn("flag"),
            })

st.subheader("In the period")
tiles = ui.tile_row()
ui.tile(tiles, "appeals", ui.fmt_int(total["appeals"]))
ui.tile(tiles, "appeals_decided", ui.fmt_int(total["decided"]))
ui.tile(tiles, "upheld_rate", "–" if total.isna()["upheld_rate"] else f"{total['upheld_rate']:.0%}")
ui.tile(tiles, "appeal_median_days", "–" if total.isna()["median_decision_working_days"]
        else f"{total['median_decision_working_days']:g}")
ui.tile(tiles, "appeals_in_time", "–" if total.isna()["share_within_sla"] else f"{total['share_within_sla']:.0%}")
ui.tile(tiles, "appeals_pending", ui.fmt_int(total["pending_now"]))
ui.tile(tiles, "appeals_overdue", ui.fmt_int(total["overdue"]))

st.subheader("By authority")
ui.dataframe(summary, hide_index=True, placeholder="–", column_order=[
    "authority_name", "appeals", "upheld", "partially_upheld", "not_upheld", "withdrawn", "pending",
    "upheld_rate", "median_decision_working_days", "share_within_sla", "pending_now", "overdue", "limits_in_force"],
    column_config={
    "authority_name": st.column_config.TextColumn("authority", pinned=True),
    "appeals": ui.measure_column("appeals"),
    **{o: st.column_config.NumberColumn(APPEAL_OUTCOME_LABELS[o].lower()) for o in DECIDED_APPEAL_OUTCOMES},
    "withdrawn": st.column_config.NumberColumn(APPEAL_OUTCOME_LABELS["withdrawn"].lower()),
    "pending": st.column_config.NumberColumn("still pending", help="Of the appeals received in the period"),
    "pending_now": ui.measure_column("appeals_pending"),
    "upheld_rate": ui.measure_column("upheld_rate", **SHARE),
    "median_decision_working_days": ui.measure_column("appeal_median_days"),
    "share_within_sla": ui.measure_column("appeals_in_time", **SHARE),
    "overdue": ui.measure_column("appeals_overdue"),
    "limits_in_force": st.column_config.TextColumn("limit (working days)"),
})

st.subheader("By type: appeals and PCC reviews")
by_type = ui.load(qa.by_review_type, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
# the types add up to the "All selected" row above: none shown where it hides the total
by_type = disclosure.hide_parts_of_hidden_totals(by_type, total, BY_TYPE_TOTALS)
types = by_type.set_index("review_type")
type_tiles = ui.tile_row()
ui.tile(type_tiles, "pcc_reviews", ui.fmt_int(types["cases"].get("pcc_review", 0)))
for term, column in [("referred_back", "referred_back"), ("referral_met", "threshold_then_met"),
                     ("awaiting_bodies", "awaiting_bodies")]:
    # both types together, hidden ("–") when either type's count is hidden
    ui.tile(type_tiles, term, ui.fmt_int(by_type[column].sum(min_count=len(by_type))))
st.caption("Each type against its own limit (the settings' sla_appeal_decision_days and "
           "sla_pcc_review_decision_days, per authority and dated). Referred back: decided, upheld in full or in "
           "part and sent back to the relevant bodies; what they then did is the register's record, or a later "
           "met decision found in the applications; awaiting: neither yet.")
with st.container(key="ap_by_type_box"):
    ui.dataframe(by_type, hide_index=True, key="ap_by_type", placeholder="–", column_order=[
        "review_type", "cases", "decided", "upheld", "withdrawn", "median_decision_working_days", "share_within_sla",
        "referred_back", "threshold_then_met", "action_plan_changed", "no_change", "awaiting_bodies", "pending_now",
        "overdue"], column_config={
        "review_type": st.column_config.TextColumn("type", pinned=True),
        "cases": st.column_config.NumberColumn("received", help="Received in the period"),
        "decided": ui.measure_column("appeals_decided"),
        "upheld": st.column_config.NumberColumn("upheld (in full or in part)"),
        "withdrawn": st.column_config.NumberColumn("withdrawn"),
        "median_decision_working_days": ui.measure_column("appeal_median_days"),
        "share_within_sla": ui.measure_column("appeals_in_time", **SHARE),
        "referred_back": ui.measure_column("referred_back"),
        "threshold_then_met": ui.measure_column("referral_met"),
        "action_plan_changed": st.column_config.NumberColumn("action plan changed"),
        "no_change": st.column_config.NumberColumn("no change"),
        "awaiting_bodies": ui.measure_column("awaiting_bodies"),
        "pending_now": ui.measure_column("appeals_pending"),
        "overdue": ui.measure_column("appeals_overdue"),
    })

st.subheader("Referred back, followed to the result")
if not person_codes:
    st.info("The cases referred back are listed for the authorities' own staff and the OPCC; the counts are in "
            "the table above.")
else:
    referrals = ui.load(qa.referrals, f.as_of_date, person_codes, f.start_date, f.end_date)
    if referrals.empty:
        st.caption(f"{ui.list_scope(f, person_codes)}No case decided in the period was referred back to the "
                   "relevant bodies.")
    else:
        st.caption("Cases the OPCC decided in the period and referred back, those still awaiting the relevant "
                   "bodies first, then the newest.")
        with st.container(key="ap_referrals_box"):
            ui.dataframe(referrals, hide_index=True, key="ap_referrals", placeholder="–", column_order=[
                "referral_result", "appeal_ref", "review_type", "application_ref", "authority_name", "decision_reviewed",
                "outcome", "decision_date", "working_days_since_referral", "referral_result_date",
                "referral_working_days", "referral_result_source", "data_errors"], column_config={
                "referral_result": st.column_config.TextColumn("result"),
                "appeal_ref": st.column_config.TextColumn("case", pinned=True),
                "review_type": st.column_config.TextColumn("type"),
                "application_ref": st.column_config.TextColumn("application"),
                "authority_name": st.column_config.TextColumn("authority"),
                "decision_reviewed": st.column_config.TextColumn("decision reviewed"),
                "decision_date": st.column_config.DateColumn("referred back on", **DATE),
                "working_days_since_referral": st.column_config.NumberColumn("working days since"),
                "referral_result_date": st.column_config.DateColumn("result on", **DATE),
                "referral_working_days": st.column_config.NumberColumn("working days to the result"),
                "referral_result_source": st.column_config.TextColumn(
                    "result from", help="recorded: the OPCC's register; applications: a later met decision"),
                "data_errors": st.column_config.TextColumn("problem"),
            })
        ui.download_csv(referrals, one="case referred back", many="cases referred back", key="ap_referrals_dl",
                        file_name=f"opcc_referrals_{f.start_date.isoformat()}_{f.end_date.isoformat()}.csv")

grounds_col, times_col = st.columns(2)
with grounds_col:
    st.subheader("Grounds and outcome")
    grounds = ui.load(qa.grounds_outcomes, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
    ui.plotly_chart(ui.figure(charts_reviews.grounds_chart, grounds), key="ap_grounds")
    st.caption("What the appeals were about (threshold decision, how the review was done, delivery of "
               "the action plan) and how they ended.")
with times_col:
    st.subheader("Time to decision")
    times = ui.load(qa.decision_times, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
    ui.plotly_chart(ui.figure(charts_reviews.decision_time_chart, times), key="ap_times")
    st.caption("Working days from receipt to the OPCC's decision of the appeals decided, by authority "
               f"({charts_reviews.BOX_KEY}); dashed: the limit in force.")

st.subheader("Upheld by the original decision")
ui.dataframe(ui.load(qa.by_original_decision, f.as_of_date, f.authority_codes, f.start_date, f.end_date),
             hide_index=True, placeholder="–", column_config={
    "application_decision": st.column_config.TextColumn("threshold decision appealed"),
    "application_route": st.column_config.TextColumn("route of the application"),
    "upheld_rate": st.column_config.NumberColumn("upheld rate", **SHARE),
})

st.subheader("Appeals and the applications behind them")
if not person_codes:
    st.info("Application-level lists are not available to you for the selected authorities.")
else:
    rows = ui.load(qa.appeal_list, f.as_of_date, person_codes, f.start_date, f.end_date)
    st.caption("Newest first. Each appeal with the application it is about: its route, decision, "
               "outcome and turnaround (working days, and whether within the limits).")
    ui.dataframe(rows, hide_index=True, key="ap_list", placeholder="–", column_order=[
        "appeal_ref", "review_type", "received_date", "authority_name", "grounds", "outcome", "decision_date",
        "decision_working_days", "decision_within_sla", "referral_result", "open_working_days", "due_date",
        "lodged_working_days", "is_within_appeal_window", "application_ref", "application_route",
        "application_decision", "application_outcome", "application_decision_working_days",
        "application_decision_within_sla", "application_total_working_days", "application_total_within_sla",
        "flags", "data_errors"], column_config={
        "appeal_ref": st.column_config.TextColumn("case", pinned=True),
        "review_type": st.column_config.TextColumn("type"),
        "received_date": st.column_config.DateColumn("received", **DATE),
        "authority_name": st.column_config.TextColumn("authority"),
        "decision_date": st.column_config.DateColumn("decided", **DATE),
        "referral_result": st.column_config.TextColumn("after referral back"),
        "decision_working_days": st.column_config.NumberColumn("working days to decision"),
        "decision_within_sla": st.column_config.CheckboxColumn("in time"),
        "open_working_days": st.column_config.NumberColumn("pending for (working days)"),
        "due_date": st.column_config.DateColumn("decision due", **DATE),
        "lodged_working_days": st.column_config.NumberColumn(
            "lodged after (working days)", help="From the letter appealed against (decision or outcome)"),
        "is_within_appeal_window": st.column_config.CheckboxColumn("within the appeal window"),
        "application_ref": st.column_config.TextColumn("application"),
        "application_route": st.column_config.TextColumn("route"),
        "application_decision": st.column_config.TextColumn("threshold decision"),
        "application_outcome": st.column_config.TextColumn("review outcome"),
        "application_decision_working_days": st.column_config.NumberColumn("days to threshold decision"),
        "application_decision_within_sla": st.column_config.CheckboxColumn("decision in time"),
        "application_total_working_days": st.column_config.NumberColumn("whole process (working days)"),
        "application_total_within_sla": st.column_config.CheckboxColumn("process in time"),
        "flags": st.column_config.TextColumn("flag"),
        "data_errors": st.column_config.TextColumn("problem"),
    })
    ui.download_csv(rows, one="appeal", key="ap_list_dl",
                    file_name=f"opcc_appeals_{f.start_date.isoformat()}_{f.end_date.isoformat()}.csv")

st.subheader("Flagged appeals")
st.caption(f"{ui.fmt_int(total['flagged'])} of the appeals received in the period are flagged. An appeal is "
           "flagged when it names another authority than the application it is about (it is counted, and held "
           "to the limits, under the application's authority), or when it appeals a threshold decision that "
           "was \"met\" on the grounds \"Threshold decision\" (a met decision cannot be appealed on those "
           "grounds).")
if not person_codes:
    st.info("Application-level lists are not available to you for the selected authorities.")
else:
    flagged = ui.load(qa.flagged_appeals, f.as_of_date, person_codes, f.start_date, f.end_date)
    if flagged.empty:
        st.success(f"{ui.list_scope(f, person_codes)}No appeal received in the period is flagged.",
                   icon=":material/check_circle:")
    else:
        ui.dataframe(flagged, hide_index=True, key="ap_flagged", placeholder="–", column_order=[
            "appeal_ref", "received_date", "authority_name", "application_ref", "grounds", "outcome", "flags"],
            column_config={
            "appeal_ref": st.column_config.TextColumn("appeal"),
            "received_date": st.column_config.DateColumn("received", **DATE),
            "authority_name": st.column_config.TextColumn("authority (of the application)"),
            "application_ref": st.column_config.TextColumn("application"),
            "flags": st.column_config.TextColumn("why", width="large"),
        })
