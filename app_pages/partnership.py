"""Partnership: the nine authorities' case review performance side by side, and the statutory returns.

The partnership table colours every cell by one rule, shown when hovering it: days to decision
against the authority's limit, the other measures against the county median of the nine. The
statutory returns are the four figures each council publishes per financial year (s.104), with the
checks that they agree with each other, the applications behind any that fail, and, for a year frozen
as published, the published figures beside today's ("published 12, now 13"). Layout only:
figures from insight.queries.partnership, charts from insight.charts.reviews.
"""

import streamlit as st

from etl.rules import authorities
from insight import ui
from insight.charts import reviews as charts_reviews
from insight.queries import overview
from insight.queries import partnership as qp

f = ui.current_filters()
person_codes = ui.person_level_codes(f)

st.title("Partnership")
st.caption(f"Case reviews in {ui.fmt_period(f.start_date, f.end_date)}, as they stood on "
           f"{ui.fmt_date(f.as_of_date)}. Hover a cell for the rule that coloured it.")

st.subheader("The authorities side by side")
cells = ui.load(qp.partnership, f.as_of_date, f.authority_codes, f.start_date, f.end_date)
overview_hides = not set(f.authority_codes) <= set(person_codes)   # a viewer the Overview hides something from
if overview_hides:
    # what the Overview hides of the same counts, hidden here too (qp.hidden_as_on_the_overview)
    cells = qp.hidden_as_on_the_overview(cells, ui.load(overview.headline, f.authority_codes, f.start_date, f.end_date))
ui.plotly_chart(ui.figure(charts_reviews.partnership_heatmap, cells, [m.label for m in qp.MEASURES]), key="pt_table")
st.caption(charts_reviews.PARTNERSHIP_LEGEND)
with st.expander("What each column counts"):
    st.markdown("\n".join(f"- **{m.label}**: {m.definition}" for m in qp.MEASURES))

st.subheader("Statutory returns")
st.caption("The four figures each council must publish at least yearly (ASB, Crime and Policing Act "
           "2014 s.104), per financial year (April to March), counted as recorded. A year is consistent "
           "when its intake adds up (of the applications received in the year, not met + reviewed ≤ "
           "received, wherever the decision or review fell) and no application contradicts itself, "
           "a threshold met without a review included; the checks below list the applications behind each.")
returns = ui.load(qp.statutory_returns, f.as_of_date, f.authority_codes)
year_start = qp.year_so_far(returns, f.as_of_date)
if year_start is not None and overview_hides:
    # the year so far's counts the Overview hides for that period, hidden here too
    returns = qp.returns_hidden_as_on_the_overview(
        returns, ui.load(overview.headline, f.authority_codes, year_start, f.as_of_date), year_start)
ui.dataframe(returns, hide_index=True, key="pt_returns", placeholder="–", column_order=[
    "authority_name", "financial_year", "applications_received", "threshold_not_met", "reviews_carried_out",
    "reviews_with_recommendations", "is_consistent", "intake_adds_up", "met_without_review", "contradictions",
    "notes", "counts_add_up", "carried_in_applications", "is_frozen", "restatement", "is_complete_year"],
    column_config={   # pinned: the row's authority and year stay in view when the table scrolls sideways
    "authority_name": st.column_config.TextColumn("authority", pinned=True),
    "financial_year": st.column_config.TextColumn("year", pinned=True),
    "applications_received": st.column_config.NumberColumn("applications received"),
    "threshold_not_met": st.column_config.NumberColumn("threshold not met"),
    "reviews_carried_out": st.column_config.NumberColumn("reviews carried out"),
    "reviews_with_recommendations": st.column_config.NumberColumn("reviews with recommendations"),
    "intake_adds_up": st.column_config.CheckboxColumn(
        "intake adds up", help="Of the applications received in the year: not met + reviewed ≤ received, "
        "wherever the decision or review fell (one reviewed by discretion counts once)"),
    "met_without_review": st.column_config.NumberColumn(
        "met, no review", help="Threshold met in the year, no review although the limit has passed or the "
        "case was closed (s.104(1) makes the review mandatory)"),
    "counts_add_up": st.column_config.CheckboxColumn(
        "counts add up by date", help="The year's column as a reader checks it: not met + reviews ≤ received. "
        "Cases carried in from an earlier year can fail it for right figures (see the notes)"),
    "carried_in_applications": st.column_config.NumberColumn(
        "carried in", help="Received in an earlier year, not met or reviewed in this one"),
    "is_complete_year": st.column_config.CheckboxColumn("year complete"),
    "contradictions": st.column_config.NumberColumn("contradictions"),
    "notes": st.column_config.NumberColumn("notes", help="Applications that explain counts not adding "
                                           "up: carried in, decided after the year, reviewed by discretion"),
    "is_consistent": st.column_config.CheckboxColumn("consistent"),
    "is_frozen": st.column_config.CheckboxColumn("frozen", help="Published figures frozen for the year "
                                                 "(asb returns freeze)"),
    "restatement": st.column_config.TextColumn("restated since published", width="large"),
})
restated = charts_reviews.restated_sentence(returns)
if restated:
    st.warning(restated, icon=":material/history:")

pick = st.selectbox("Published table for", f.authority_codes, format_func=authorities.NAME_BY_CODE.get,
                    key="pt_authority")
published = qp.published_table(returns[returns["authority_code"] == pick], f.as_of_date)   # as shown above
ui.dataframe(published, hide_index=True, key="pt_published")
st.caption(charts_reviews.frozen_sentence(returns[returns["authority_code"] == pick]))
ui.download_csv(published, label=f"Download the {authorities.NAME_BY_CODE[pick]} return as CSV",
                key="pt_published_dl",
                file_name=f"asb_case_review_return_{pick}_{f.as_of_date.isoformat()}.csv")

st.subheader("Consistency checks")
if not person_codes:
    st.info("Application-level lists are not available to you for the selected authorities.")
else:
    exceptions = ui.load(qp.statutory_exceptions, f.as_of_date, person_codes)
    is_clean, sentence = charts_reviews.checks_sentence(
        ui.load(qp.statutory_returns, f.as_of_date, person_codes), exceptions)
    sentence = ui.list_scope(f, person_codes) + sentence
    if is_clean:
        st.success(sentence, icon=":material/check_circle:")
    else:
        st.error(sentence, icon=":material/error:")
    ui.dataframe(exceptions, hide_index=True, key="pt_exceptions", placeholder="–", column_order=[
        "financial_year", "authority_name", "application_ref", "severity", "check_code", "reason"],
        column_config={"financial_year": st.column_config.TextColumn("year"),
                       "authority_name": st.column_config.TextColumn("authority"),
                       "application_ref": st.column_config.TextColumn("application"),
                       "check_code": st.column_config.TextColumn("check"),
                       "reason": st.column_config.TextColumn("reason", width=440)})   # the rest of a 1366 px screen
    with st.expander("The checks"):
        st.markdown(charts_reviews.CHECKS)
