"""Audit log: who viewed or exported person-level data, when, on which page, with which filters
and how many rows; plus sign-ins, sign-outs and refused requests. OPCC analysts only.

Layout only: entries come from insight.access.audit (which refuses any other role), filtered here by date,
user, action, page and text; the chain check says whether the file was edited outside the app.
"""

import datetime as dt
import logging
import sqlite3

import streamlit as st

from insight import db, ui
from insight.access import audit, roles
from insight.ui import session as ui_access

path = audit.audit_path(db.warehouse_path())
viewer = ui_access.viewer()

st.title("Audit log")
st.caption(f"Every view and export of person-level data, appended to `{path.name}` (beside the "
           "warehouse), which the application cannot change or delete. Times are UTC.")

found = audit.verify(path)
if found.problem:
    st.error(f"The hash chain cannot be checked: {found.problem}.", icon=":material/gpp_bad:")
elif found.broken is None:
    unkeyed = (f" The first {found.unkeyed:,} were written before the chain was keyed (plain SHA-256): "
               "they show the order, but someone who could write the file could have rebuilt them."
               if found.unkeyed else "")
    st.success(f"Hash chain intact over {found.entries:,} entries (keyed with the audit key).{unkeyed} "
               "Entries cut off the end are found against a checkpoint kept elsewhere: `asb audit "
               "checkpoint`, then `asb audit verify --checkpoint FILE` (README).", icon=":material/verified:")
else:
    st.error(f"The hash chain breaks at entry {found.broken:,}: the file was edited outside the "
             "application from there on.", icon=":material/gpp_bad:")

try:
    options = audit.choices(path, viewer)
except (sqlite3.Error, OSError):   # its path a folder, an unreadable or corrupt file
    logging.getLogger("asb.dashboard").error("audit page: cannot read %s", path, exc_info=True)
    st.error("The audit log cannot be read here: the server's log says why.", icon=":material/gpp_bad:")
    st.stop()
today = dt.datetime.now(dt.UTC).date()
first, last, users, actions, pages, text = st.columns([3, 3, 2, 2, 2, 2])
with first:
    start = ui.date_field("From", "au_start", today - dt.timedelta(days=30))
with last:
    end = ui.date_field("To", "au_end", today)
start, end = ui.in_order(start, end)
picked_users = users.multiselect("Users", options["user_id"], key="au_users", placeholder="Everyone")
picked_actions = actions.multiselect("Actions", options["action"], key="au_actions", placeholder="All")
picked_pages = pages.multiselect("Pages", options["page"], key="au_pages", placeholder="All",
                                 format_func=lambda p: p or "overview")
needle = text.text_input("Contains", key="au_text", placeholder="query, file or filter value")

rows = audit.entries(path, viewer, start, end, picked_users, picked_actions, picked_pages, needle)
rows = ui_access.record_view("audit_entries", {"start": start, "end": end, "users": picked_users,
                             "actions": picked_actions, "pages": picked_pages, "text": needle}, rows)
rows = rows.assign(role=rows["role"].map(lambda r: roles.ROLE_LABELS.get(r, r)))   # in words, table and CSV
ui.dataframe(rows, hide_index=True, key="au_rows", placeholder="–", column_order=[   # the rows seen before the long filters
    c for c in rows.columns if c != "filters"] + ["filters"], column_config={
    "seq": st.column_config.NumberColumn("#"),
    "at_utc": st.column_config.DatetimeColumn("when (UTC)", format="D MMM YYYY, HH:mm:ss"),
    "user_id": st.column_config.TextColumn("user"),
    "authority_code": st.column_config.TextColumn("authority"),
    "what": st.column_config.TextColumn("query or file"),
    "filters": st.column_config.TextColumn("filters", width="large"),
    "row_count": st.column_config.NumberColumn("rows"),
})
ui.download_csv(rows, "audit_log.csv", key="au_download", one="entry", many="entries")
