"""Data quality: files that could not be read at all (first, when there are any), builds, per-file
row accounting, rejects (summary, browser, download), freshness and the month-by-source coverage
heatmap.

Layout only: every table comes from insight.queries.quality and every chart from insight.charts.base. These views
cover the whole warehouse; only the as-of date of the sidebar applies (to freshness). The rejected
rows themselves are person-level (partner records): OPCC analysts only, and every view is logged.
"""

import streamlit as st

from insight import labels, ui
from insight.access.roles import RAW_TEXT_HIDDEN
from insight.charts import base as charts
from insight.queries import quality

f = ui.current_filters()
k = ui.disclosure_k()
# what the disclosure rule checks, not shown: the rows each source loaded in the month of a date,
# and the fewest rows a case-review register's counts rest on (quality.REGISTER_LEAST)
RULE_BASES = ["first_month_rows", "last_month_rows", "register_least_rows", "applications_least", "appeals_least"]


def as_months(frame) -> bool:
    """Whether the disclosure rule gave `frame`'s first and last dates as months: for a viewer
    without person-level rights over all nine authorities, a file's or source's date is one row's,
    so it shows its month, and only among k rows (insight/access/roles.py QUERIES)."""
    return "first_date" in frame.attrs.get("months", ())


def date_columns(by_month: bool, first: str, last: str, among: str) -> dict:
    """Column settings of the first and last date: the day, or the month (its label says so, its
    help says when it is shown: `among`)."""
    if not by_month:
        return {"first_date": st.column_config.DateColumn(first, format="D MMM YYYY"),
                "last_date": st.column_config.DateColumn(last, format="D MMM YYYY")}
    return {column: st.column_config.DateColumn(
                label.replace("date", "month"), format="MMM YYYY",
                help=f"The month of the {end} row loaded, not its day (one incident's or case's); shown only "
                     f"when {among}")
            for column, label, end in (("first_date", first, "first"), ("last_date", last, "last"))}


def named(files) -> str:
    """The files' names, listed after a colon: only for a viewer who may see them (a name is text
    the partner typed: shown to OPCC analysts only, insight/access/roles.py), else nothing."""
    shown = [n for n in files if n != RAW_TEXT_HIDDEN]
    return f": {', '.join(shown)}" if shown else ""


st.title("Data quality")
st.caption("What the latest build read, kept, rejected and merged. The authority and period "
           "filters do not apply here; freshness is measured at the sidebar's as-of date.")

unreadable = ui.load(quality.unreadable_files)
if not unreadable.empty:
    n = len(unreadable)
    listed = "\n".join(f"- {'' if r.source_file == RAW_TEXT_HIDDEN else f'`{r.source_file}` '}"
                        f"({ui.plain(labels.source_name(r.source))}): {ui.plain(r.reason)}"
                        for r in unreadable.itertuples())
    st.error(f"**{n} file{'s' * (n != 1)} could not be read at all**, so nothing of "
             f"{'them' if n != 1 else 'it'} is in the warehouse; fix the file or its entry in sources.toml "
             f"and build again:\n\n{listed}", icon=":material/block:")

st.subheader("Builds")
builds = ui.load(quality.builds).drop(columns=RULE_BASES, errors="ignore")
ui.dataframe(builds, hide_index=True,   # the long folder last: the counts in view first
             column_order=sorted(builds.columns, key=lambda c: c == "inputs_path"), column_config={
    "load_id": st.column_config.TextColumn("build", help="The build's identifier (the board pack's cover "
                                           "names the build its figures come from)"),
    "inputs_path": st.column_config.TextColumn("inputs folder"),
    "built_at": st.column_config.DatetimeColumn("built at (UTC)", format="D MMM YYYY, HH:mm"),
    "as_of_date": st.column_config.DateColumn("as of", format="D MMM YYYY"),
    "build_seconds": st.column_config.NumberColumn("seconds", format="%.1f"),
})

st.subheader("Rows per file")
files = ui.load(quality.file_accounting)
read = files[files["file_error"].isna()]
unbalanced = read[~read["is_balanced"]]
if files.empty:
    st.info("The latest build loaded no files.")
elif not unbalanced.empty:
    st.error(f"{len(unbalanced)} of {len(read)} files read do not add up (read ≠ loaded + rejected + "
             f"merged){named(unbalanced['source_file'])}.", icon=":material/error:")
elif len(read) < len(files):
    st.warning(f"{'All ' * (len(read) > 1)}{len(read)} file{'s' * (len(read) != 1)} read "
               f"add{'s' * (len(read) == 1)} up: rows read = loaded + rejected + merged; "
               f"{len(files) - len(read)} could not be read (listed at the top of the page).",
               icon=":material/warning:")
else:
    st.success(f"All {len(files)} files add up: rows read = loaded + rejected + merged.",
               icon=":material/check_circle:")
noted = read[read["file_note"].notna()]
if not noted.empty:
    st.warning(f"{len(noted)} file{'s' * (len(noted) != 1)} loaded with a note (the note column says what "
               f"to tell the partner){named(noted['source_file'])}.", icon=":material/warning:")
by_month = as_months(files)
ui.dataframe(files.drop(columns=RULE_BASES, errors="ignore"), hide_index=True, column_config={
    "source_file": st.column_config.TextColumn("file", pinned=True),   # in view when scrolled sideways
    "status": st.column_config.TextColumn("status", help="could not be read (nothing of the file "
                                          "loaded), does not add up, or adds up"),
    "rows_read": st.column_config.NumberColumn("read"),
    "rows_loaded": st.column_config.NumberColumn("loaded"),
    "rows_rejected": st.column_config.NumberColumn("rejected"),
    "rows_merged": st.column_config.NumberColumn("merged", help="Merged into another report of "
                                                 "the same incident, a repeated row, or a police row of "
                                                 "another crime type kept for context"),
    "ignored_columns": st.column_config.TextColumn("columns not read"),
    "is_balanced": st.column_config.CheckboxColumn("adds up", help="read = loaded + rejected + merged"),
    "rows_context": st.column_config.NumberColumn("context rows", help="Of the merged rows: police "
                                                  "rows of other crime types, kept for context only "
                                                  "(never in an ASB figure)"),
    **date_columns(by_month, "first date", "last date",
                   f"at least {k} rows were loaded from the file and its source loaded {k} or more that month"),
    "file_error": st.column_config.TextColumn("why not read"),
    "file_note": st.column_config.TextColumn("note", help="What to know of a file that loaded: lines "
                                             "holding bytes that are not valid UTF-8, read as �"),
})

st.subheader("Rejects by reason")
by_reason = ui.load(quality.rejects_by_reason)
if by_reason.empty:
    st.success("No rows were rejected.", icon=":material/check_circle:")
else:
    chart, table = st.columns(2)
    ui.plotly_chart(ui.figure(charts.rejects_chart, by_reason), key="dq_rejects_chart", where=chart)
    ui.dataframe(by_reason, where=table, hide_index=True, column_config={
        "reason_code": st.column_config.TextColumn("reason"),
        "rows_rejected": st.column_config.NumberColumn("rows")})

    st.subheader("Rejected rows")
    if not ui.may_load(quality.rejects):
        st.info("The rejected rows themselves (partner records, from every authority) are open to "
                "the OPCC analyst role only.", icon=":material/lock:")
    else:
        pick_source, pick_reason, pick_text = st.columns(3)
        sources = pick_source.multiselect("Source", sorted(by_reason["source"].unique()), key="dq_source", persist_state="session",
                                          placeholder="All sources", format_func=labels.source_name)
        reasons = pick_reason.multiselect("Reason", sorted(by_reason["reason_code"].unique()),
                                          key="dq_reason", placeholder="All reasons", persist_state="session",
                                          format_func=lambda code: labels.word("reason_code", code))
        text = pick_text.text_input("Contains", key="dq_text", persist_state="session",
                                   placeholder="text in the reason or values")
        rows = ui.load(quality.rejects, tuple(sources), tuple(reasons), text)
        matching = rows.attrs.get("matching", len(rows))
        if matching > len(rows):
            st.warning(f"{matching:,} rejected rows match; the list and its download hold the first {len(rows):,} "
                       "(by source, file and row). Choose a source or a reason to see the others.",
                       icon=":material/filter_alt:")
        st.caption("The values columns (\"as sent\") are the row's text as the partner's file held it, "
                   "personal data removed: what the partner must find and correct.")
        ui.dataframe(rows, hide_index=True, height=320)
        ui.download_csv(rows, file_name="rejected_rows.csv", key="dq_download")

kept = ui.load(quality.kept_with_errors)
if not kept.empty:
    st.subheader("Kept with a data error")
    st.caption("Loaded and counted, but one date could not be used and was left empty: an "
               "application's stage date (also listed on the Case review turnaround page) or when "
               "the case review was explained to a victim. The partner should correct the export.")
    ui.dataframe(kept.drop(columns=RULE_BASES, errors="ignore"), hide_index=True, column_config={
        "rows_kept": st.column_config.NumberColumn("rows"),
        "example": st.column_config.TextColumn("example", width="large")})

st.subheader("Personal data removed from free text")
scrubbed = ui.load(quality.scrubbed)
if scrubbed.empty:
    st.success("No name, phone number, e-mail, house number or full postcode was found in the "
               "free-text columns.", icon=":material/check_circle:")
else:
    st.caption(f"{int(scrubbed['items'].sum()):,} items were removed at ingest and replaced by "
               "[name], [phone], [email] or [address]; a full postcode was cut to its district. Only "
               "these counts are kept, never the text. The partner should stop writing personal data "
               "into these columns.")
    ui.dataframe(scrubbed, hide_index=True, column_config={
        "source_file": st.column_config.TextColumn("file"),
        "field": st.column_config.TextColumn("column", help="line: a record that could not be split"),
        "removed": st.column_config.TextColumn("removed"),
        "items": st.column_config.NumberColumn("items"),
        "rows_changed": st.column_config.NumberColumn("rows")})

st.subheader("Freshness")
fresh = ui.load(quality.source_freshness, f.as_of_date)
by_month = as_months(fresh)
if by_month:  # ordered by what is shown (the query orders by the days behind, which a row's place would tell)
    fresh = fresh.sort_values(["months_behind", "source"], ascending=[False, True], na_position="first")
ui.dataframe(fresh.drop(columns=[*RULE_BASES, "days_behind" if by_month else "months_behind"], errors="ignore"),
             hide_index=True, column_config={
    **date_columns(by_month, "first date", "last date loaded", f"the source loaded at least {k} rows that month"),
    "days_behind": st.column_config.NumberColumn(
        "days behind",
        help=f"Days from the last date loaded to the as-of date ({ui.fmt_date(f.as_of_date)})"),
    "months_behind": st.column_config.NumberColumn(
        "months behind",
        help=f"Calendar months from the last month loaded to the as-of date's month "
             f"({ui.fmt_date(f.as_of_date)}); the days are not shown, as the last day is one incident's"),
})

st.subheader("Rows loaded per month")
months = ui.load(quality.source_months)
if months.empty:
    st.info("No monthly counts in the warehouse (mart_source_months is empty).")
else:
    ui.plotly_chart(ui.figure(charts.source_month_heatmap, months), key="dq_heatmap")
    st.caption("Each row is shaded against that source's busiest month, so a thin month stands "
               "out; × marks a gap, a month inside the source's span with no rows at all."
               + (" A blank month of a case-review register is hidden by the disclosure rule (1 to 4 cases, "
                  "or a month that would give one away)." if months["rows_loaded"].isna().any() else ""))
