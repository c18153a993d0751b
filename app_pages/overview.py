"""Overview: headline figures for the chosen authorities and period, the monthly trend, the map.

Layout only: the figures come from insight/queries/overview.py (the previous period from
etl/rules/periods.py), the tiles and table from insight.ui, the charts from insight.charts.base.
"""

import streamlit as st

from etl.rules import periods
from insight import ui
from insight.charts import base as charts
from insight.queries import overview

f = ui.current_filters()
headline = ui.load(overview.headline, f.authority_codes, f.start_date, f.end_date)
prev_start, prev_end = periods.previous_period(f.start_date, f.end_date)

st.title("Overview")
st.caption(f"{ui.fmt_period(f.start_date, f.end_date)}, compared with the period of the same "
           f"length just before it ({ui.fmt_period(prev_start, prev_end)}).")

ui.short_feeds_notice(f)
# a previous period before the data start: its change is no change in ASB (as on Hotspots)
where = ui.span_notice(f, prev_start)
ui.measure_tiles(headline, judged=where != "starts_late")

st.subheader("By authority")
shown = st.segmented_control("Show", list(ui.TABLE_VIEWS), format_func=ui.TABLE_VIEWS.get, default="figures",
                             key="ov_table_show", label_visibility="collapsed",
                             persist_state="session") or "figures"
ui.measure_table(headline, shown)
ui.download_csv(ui.measure_export(headline), one="row", key="ov_table_dl",
                file_name=f"asb_by_authority_{f.start_date.isoformat()}_{f.end_date.isoformat()}.csv")

st.subheader("Incidents per month")
monthly = ui.load(overview.monthly_incidents, f.authority_codes, f.start_date, f.end_date)
ui.plotly_chart(ui.figure(charts.trend_chart, monthly), key="ov_trend")
st.caption(("Whole calendar months: figures of authorities whose person-level rows you may not see are counted "
            "over whole months." if ui.restricted(f) else "A month the period cuts (an open marker) counts only "
            "the days inside the period; hover it for them.")
           + " A line starts at its authority's first month of data and ends at its last: no point is no data, "
           "not no ASB.")

st.subheader("Incidents per km²")
density = ui.load(overview.incident_density, f.authority_codes, f.start_date, f.end_date)
density_map = ui.figure(charts.density_map, density, height_px=520)
if density_map is None:
    st.info("The warehouse holds no authority outlines (authorities.boundary_geojson is empty).")
else:
    ui.plotly_chart(density_map, key="ov_map", alt="Map of the nine authorities, each shaded by its incidents "
                    "per km² in the period (the selected ones; the others grey); hover an area for its figures.")
    st.caption(charts.density_legend(density))
