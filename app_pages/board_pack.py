"""Board pack: the month's presentation for the board, made by the same code as `asb report`.

Choose the month (the authorities come from the sidebar), write the commentary, make the pack,
then look through the slides and download the pptx (and the PDF when LibreOffice is installed).
Layout only: insight.board_pack.pack makes the pack, insight.board_pack.data knows the months.
"""

import base64

import pandas as pd
import streamlit as st

from etl.rules import authorities
from insight import db, ui
from insight.access import disclosure as report_disclosure
from insight.access import roles as access
from insight.board_pack import data as report_data
from insight.board_pack import pack as report
from insight.board_pack import words as report_words
from insight.queries import maps as queries_maps
from insight.ui import session as ui_access

PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
PDF = "application/pdf"
f = ui.current_filters()
as_of = ui.build_as_of()
has_pdf = report.libreoffice() is not None


@st.cache_data(ttl=ui.QUERY_TTL_SECONDS, max_entries=8, show_spinner=False)
def make(build: tuple, month: str, codes: tuple[str, ...], commentary: str, pdf: bool):
    """(pack, preview PNGs) for these choices on this warehouse build, cached."""
    pack = report.make_pack(build[0], month, codes, commentary, pdf=pdf)
    # 80 dpi: a slide 1,067 px wide, the main column's width on a 1366 px screen, its figures legible
    return pack, (report.pdf_pages(pack.pdf, dpi=80) if pack.pdf else [])


st.title("Board pack")
span = ui.load(queries_maps.data_span, f.authority_codes)
first = span["first_date"].iloc[0] if not span.empty else None
months = report_data.month_options(None if pd.isna(first) else pd.Timestamp(first).date(), as_of)
default = report_data.default_month(as_of)
if not months:  # only whole months make a monthly pack
    st.info(f"No month of the data has ended on its as-of date ({as_of:%-d %B %Y}): the pack is made for "
            "whole months only.")
    st.stop()
month = st.selectbox("Month", months, index=months.index(default) if default in months else 0,
                     format_func=lambda m: m.label, key="bp_month")
codes = access.pack_codes(ui_access.viewer(), f.authority_codes)
scope = ("all nine authorities" if set(codes) == set(authorities.CODES)
         else ", ".join(authorities.NAME_BY_CODE[c] for c in codes))
k = report_disclosure.suppress_below()
st.caption(f"For {scope} (choose them in the sidebar; the sidebar's dates are not used). The month is "
           "compared with the month before and the same month a year earlier. "
           + (f"{report_words.limit_rule(k).capitalize()}; " if k > 1 else "Every count is shown (the disclosure limit is 1); ")
           + "the pack holds no row about any person.")
if codes != f.authority_codes:
    st.info("This pack covers all nine authorities, not the sidebar's choice: packs for different choices of "
            "authorities whose person-level rows you may not see could be subtracted to work out the counts each "
            "one hides. A pack for some authorities is made by someone who may see their person-level rows.",
            icon=":material/lock:")
commentary = st.text_area("Commentary for the last slide", key="bp_commentary", height=120,
                          placeholder="The presenter's message for the board (it stays editable in the pptx).")
if not has_pdf:
    st.info("LibreOffice is not installed here, so the pack comes as pptx only, without a preview of its "
            "pages (Debian: `apt-get install libreoffice-impress poppler-utils`).")

choice = (month.key, codes, commentary, has_pdf)
if st.button("Make the pack", key="bp_make", type="primary", icon=":material/slideshow:"):
    with st.spinner(f"Making the {month.label} pack (about ten seconds)…"):
        try:
            st.session_state["bp_result"] = (choice, *make(db.build_key(db.warehouse_path()), *choice))
            if st.session_state["bp_result"][1].problems:
                make.clear()   # not kept: making it again should try again (the map's picture)
        except report.ReportError as exc:
            st.session_state.pop("bp_result", None)
            st.error(str(exc))

result = st.session_state.get("bp_result")
if result and result[0] != choice:
    st.warning("The choices changed since the pack below was made: make it again to include them.")
if result:
    _, pack, pages = result
    stem = f"asb_board_pack_{pack.month.key}"
    made = {"month": pack.month.key, "codes": list(result[0][1])}   # each download is an export in the audit log
    left, right = st.columns(2)
    left.download_button("Download the pptx", ui_access.export_file(pack.pptx, f"{stem}.pptx", made, PPTX),
                         file_name=f"{stem}.pptx", key="bp_dl_pptx", mime=PPTX,
                         icon=":material/download:", on_click="ignore")
    if pack.pdf:
        right.download_button("Download the PDF", ui_access.export_file(pack.pdf, f"{stem}.pdf", made, PDF),
                              file_name=f"{stem}.pdf", key="bp_dl_pdf",
                              mime=PDF, icon=":material/picture_as_pdf:", on_click="ignore")
    for problem in pack.problems:
        st.warning(f"This pack is not complete: {problem}.")
    st.subheader(f"{pack.month.label}: {len(pack.titles)} slides")
    st.caption(f"Made in {pack.seconds:.1f} s. Charts are native PowerPoint charts, editable in PowerPoint "
               "or Impress; the map is a picture.")
    if pages:
        # one a row: two a row, a slide's figures were 5 px high on a 1366 px laptop screen; as data
        # URLs, sent with the page, not files at /media that another signed-in user could fetch
        for i, (title, png) in enumerate(zip(pack.titles, pages, strict=False)):
            st.image(f"data:image/png;base64,{base64.b64encode(png).decode()}", caption=f"{i + 1}. {title}",
                     width="stretch")
    else:
        st.markdown("\n".join(f"{i}. {t}" for i, t in enumerate(pack.titles, start=1)))
else:
    st.caption("Nothing made yet: press **Make the pack**.")
