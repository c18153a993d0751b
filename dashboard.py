"""The dashboard's frame and router: page list, shared sidebar filters, footer.

Run with `streamlit run dashboard.py`. Every page sees the same sidebar (authorities, period,
as-of date), whose choices persist across pages and in the URL. The warehouse is read from
$ASB_WAREHOUSE or ./data/warehouse.duckdb; to add a page, add one line to PAGES.
"""

import streamlit as st

from etl import ui

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", url_path="overview",
            default=True),
    st.Page("app_pages/maps.py", title="Hotspots and maps", icon=":material/map:", url_path="maps"),
    st.Page("app_pages/threshold.py", title="Threshold near-misses", icon=":material/notification_important:",
            url_path="threshold"),
    st.Page("app_pages/data_quality.py", title="Data quality", icon=":material/fact_check:",
            url_path="data_quality"),
]

st.set_page_config(page_title="ASB and Case Review – Derbyshire", page_icon="🛡️", layout="wide")
page = st.navigation(PAGES)
st.sidebar.caption("ASB and ASB Case Review (Community Trigger), Derbyshire partnership")
ui.require_warehouse()
ui.sidebar()
page.run()
ui.footer()
