"""The dashboard's frame and router: page list, shared sidebar filters, footer.

Run with `streamlit run serve.py` (this script plus the session cookie's routes, so a reload keeps
the sign-in) or `streamlit run dashboard.py` (no cookie: a reload signs out). Every page sees the same sidebar (authorities, period,
as-of date), whose choices persist across pages and in the URL. The warehouse is read from
$ASB_WAREHOUSE or ./data/warehouse.duckdb; to add a page, add one line to PAGES and classify it
in insight/access/roles.py (PAGES there): each role's navigation holds only the pages it may open, and a
signed-out visitor gets the sign-in page whatever the address. At start-up of each run, files
that hold secrets or personal data and are readable by other users are named in a warning to the
OPCC analyst and in the server log (insight/ui/session.py, warn_loose_files).
"""

import streamlit as st

from insight import ui
from insight.ui import session as ui_access

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", url_path="overview",
            default=True),
    st.Page("app_pages/maps.py", title="Hotspots and maps", icon=":material/map:", url_path="maps"),
    st.Page("app_pages/threshold.py", title="Threshold near-misses", icon=":material/notification_important:",
            url_path="threshold"),
    st.Page("app_pages/turnaround.py", title="Review turnaround", icon=":material/timer:", url_path="turnaround"),
    st.Page("app_pages/appeals.py", title="Appeals and PCC reviews", icon=":material/gavel:", url_path="appeals"),
    st.Page("app_pages/actions.py", title="Action plans", icon=":material/checklist:", url_path="actions"),
    st.Page("app_pages/partnership.py", title="Partnership", icon=":material/groups:", url_path="partnership"),
    st.Page("app_pages/board_pack.py", title="Board pack", icon=":material/slideshow:", url_path="board_pack"),
    st.Page("app_pages/data_quality.py", title="Data quality", icon=":material/fact_check:",
            url_path="data_quality"),
    st.Page("app_pages/audit.py", title="Audit log", icon=":material/policy:", url_path="audit"),
]

st.set_page_config(page_title="ASB and Case Review – Derbyshire", page_icon="🛡️", layout="wide")
viewer = ui_access.viewer()
page = ui_access.navigation(PAGES, viewer)
ui_access.keep_cookie()  # set the session cookie after a sign-in, clear it after a sign-out (serve.py)
if viewer is None:
    page.run()  # the sign-in page
    st.stop()
st.sidebar.caption("ASB and ASB Case Review (Community Trigger), Derbyshire partnership")
ui_access.account_box(viewer)
ui_access.warn_loose_files(viewer)  # secrets or data readable by other users: say so (README)
ui.page_style()  # tiles' words whole; a page prints without the sidebar, unclipped (insight/ui TILE_CSS, PRINT_CSS)
ui.require_warehouse()
ui.sidebar()
page.run()
ui.footer()
