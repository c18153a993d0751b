"""Review turnaround: how quickly the authorities handle ASB Case Review applications, in working days.

Medians and distributions per authority and stage, compliance with the limits in force, the
monthly trend, open cases by age, the "at risk of breach" list and the funnel from application
to appeal. Layout only: figures come from insight.queries.turnaround, charts from
insight.charts.reviews. The at-risk list and the data errors are application-level, so they are
asked for with the codes from ui.person_level_codes.
"""

import streamlit as st

from etl.marts import reviews
from insight import ui
from insight.charts import reviews as charts_reviews
from insight.queries import turnaround as qt

f = ui.current_filters()
person_codes = ui.person_level_codes(f)
is_build_date = f.as_of_date == ui.build_as_of()
margin = st.session_state.get("rt_margin", reviews.AT_RISK_WORKING_DAYS)
DATE = {"format": "D MMM YYYY"}

st.title("Review turnaround")
source = "the build's marts" if is_build_date else "the case review marts, evaluated live for this date"
st.caption(f"Stages finished in {ui.fmt_period(f.start_date, f.end_date)}; open cases as of "
           f"{ui.fmt_date(f.as_of_date)}, from {source}. Working days in England: weekends and England "
           "and Wales bank holidays excluded; the day of receipt counts when it is a working day, "
           "the day of the event does not.")

summary = ui.load(qt.stage_summary, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
# The tile counts the selected authorities' stages at risk: at the slider's margin only when every one
# of them is the viewer's own; else at the standard margin, since two margins' tiles subtract to the
# stages of the others between them (the disclosure audit of 8 December 2026: 6 - 5 told one stage).
open_now = ui.load(qt.open_summary, f.as_of_date, f.authority_codes,
                   reviews.AT_RISK_WORKING_DAYS if ui.restricted(f) else margin).iloc[0]
overall = summary[summary["authority_code"].isna()].set_index("stage")
tiles = ui.tile_row()
for stage, term in (("decision", "decisions_in_time"), ("review", "reviews_in_time"), ("total", "process_in_time")):
    row = overall.loc[stage] if stage in overall.index else None
    ui.tile(tiles, term, "–" if row is None or row.isna()["share_within_sla"] else f"{row['share_within_sla']:.0%}")
ui.tile(tiles, "open_cases", ui.fmt_int(open_now["open_cases"]))
ui.tile(tiles, "overdue_stages", ui.fmt_int(open_now["overdue_stages"]))
ui.tile(tiles, "at_risk_stages", ui.fmt_int(open_now["at_risk_stages"]))

st.subheader("At risk of breach")
if not person_codes:
    st.info("Application-level lists are not available to you for the selected authorities.")
else:
    st.columns(3)[0].slider("Warn this many working days before the limit", 0, 10, key="rt_margin",
                            value=reviews.AT_RISK_WORKING_DAYS, persist_state="session")
    risky = ui.load(qt.at_risk, f.as_of_date, person_codes, margin)
    st.caption("Stages of open cases that are overdue or due soon, the least time left first. "
               "Due: the last day the stage can finish within its limit.")
    ui.dataframe(risky, hide_index=True, key="rt_at_risk", placeholder="–", column_order=[
        "status", "working_days_left", "due_date", "application_ref", "authority_name", "stage_label",
        "started_date", "sla_days", "working_days_elapsed", "rule_id"], column_config={
        "status": st.column_config.TextColumn("status"),
        "working_days_left": st.column_config.NumberColumn(
            "working days left", help="Limit minus working days elapsed; negative = overdue by that many"),
        "due_date": st.column_config.DateColumn("due", **DATE),
        "application_ref": st.column_config.TextColumn("application"),
        "authority_name": st.column_config.TextColumn("authority"),
        "stage_label": st.column_config.TextColumn("waiting for"),
        "started_date": st.column_config.DateColumn("clock started", **DATE),
        "sla_days": st.column_config.NumberColumn("limit", help="Working days, the rule in force at receipt"),
        "working_days_elapsed": st.column_config.NumberColumn("elapsed"),
        "rule_id": st.column_config.TextColumn("rule"),
    })
    ui.download_csv(risky, key="rt_at_risk_dl",
                    file_name=f"case_reviews_at_risk_{f.as_of_date.isoformat()}.csv")


def medians_section() -> None:
    st.caption("Median working days of the stages finished in the period, by authority (how many finished "
               "in brackets).")
    if summary.empty:
        st.info("No stage of a case review finished in the period.")
    else:
        ui.dataframe(charts_reviews.median_table(summary), hide_index=True, placeholder="–", key="rt_medians")


def compliance_section() -> None:
    ui.plotly_chart(ui.figure(charts_reviews.compliance_heatmap, summary), key="rt_compliance")
    st.caption(charts_reviews.limits_sentence(summary))


def stage_section() -> None:
    stage = st.selectbox("Stage", [s.name for s in reviews.STAGES], index=1, key="rt_stage", persist_state="session",
                         format_func=lambda n: f"{reviews.STAGE_BY_NAME[n].label} ({reviews.STAGE_BY_NAME[n].description})")
    spread, trend = st.columns(2)
    durations = ui.load(qt.stage_durations, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
    ui.plotly_chart(ui.figure(charts_reviews.stage_distribution, durations, stage), key="rt_distribution", where=spread)
    spread.caption(f"Cases finished in the period, by authority ({charts_reviews.BOX_KEY}); dashed: the limit "
                   "in force.")
    monthly = ui.load(qt.monthly_compliance, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
    ui.plotly_chart(ui.figure(charts_reviews.monthly_chart, monthly, stage), key="rt_trend", where=trend)
    trend.caption("By month of finishing, the selected authorities together: cases within and over the "
                  "limit, and the median working days.")


def backlog_section() -> None:
    backlog = ui.load(qt.backlog, f.as_of_date, f.authority_codes)
    if backlog.empty:
        st.info("No case is open on the as-of date.")
    else:
        ui.plotly_chart(ui.figure(charts_reviews.backlog_chart, backlog, qt.AGE_BANDS), key="rt_backlog")
        st.caption(f"Working days since receipt on {ui.fmt_date(f.as_of_date)}. "
                   f"{ui.fmt_int(open_now['open_action_plans'])} action plans are also still being delivered "
                   "(no limit is set for them).")


def funnel_section() -> None:
    funnel = ui.load(qt.funnel, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
    ui.plotly_chart(ui.figure(charts_reviews.funnel_chart, funnel), key="rt_funnel")
    st.caption("Applications received in the period and how far they had gone by the as-of date.")


# --- the analysis behind the list, one tab at a time (only the open tab runs; the tab is in the URL).
# A fragment (ui.analysis_tabs), so opening a tab or choosing a stage does not redraw the list above.
ANALYSES = {"Within the limits": compliance_section, "Working days per stage": medians_section,
            "One stage in detail": stage_section, "Open cases by age": backlog_section,
            "From application to appeal": funnel_section}
st.subheader("Analysis")
ui.analysis_tabs(ANALYSES, key="rt_analysis")

with st.expander("Stage dates out of order"):
    if not person_codes:
        st.info("Application-level lists are not available to you for the selected authorities.")
    else:
        errors = ui.load(qt.data_errors, f.as_of_date, person_codes)
        st.caption("Rows the build kept whose later stages are out of order or skip a stage; such a "
                   "stage has no duration (never a negative one). Rows with a stage before receipt, "
                   "a decision told before it was made, a meeting before the decision or an outcome "
                   "told before the meeting are rejected by the build (Data quality page).")
        ui.dataframe(errors, hide_index=True, key="rt_errors", placeholder="–", column_order=[
            "application_ref", "authority_name", "received_date", "decision", "data_errors"], column_config={
            "received_date": st.column_config.DateColumn("received", **DATE),
            "data_errors": st.column_config.TextColumn("problem", width="large")})

with st.expander("How these figures are defined"):
    st.markdown("\n".join(f"- **{s.label}** ({s.description}): "
                          + (f"limit `{s.sla_column}`" if s.sla_column else "no limit set")
                          for s in reviews.STAGES))
    st.markdown(charts_reviews.DEFINITIONS)
