"""Each role signed in through the real sign-in form (AppTest) on the demo warehouse: the pages it
gets, the rows each page shows, attempts to get round it, and the audit log's rows.

The matrix: an OPCC analyst opens every page and sees every authority's people; an Erewash
council manager sees Erewash's people only, other authorities as counts, and no audit page; a
board viewer has no threshold or audit page and no incident or rejected rows. Bypasses tried: a
deep link to a page the role lacks, `?authority=` of another council, widget and session-state
keys written by hand (forged tokens, a Viewer, a role), and a person-level query called for
another authority. Every one must fail, and views and exports must land in the audit log.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from support import APP, in_fresh_process, open_app, open_list, sign_in, users_file

from etl.rules import authorities
from insight import db
from insight.access import auth
from insight.access import roles as access

THRESHOLD, MAPS, DQ, AUDIT, OVERVIEW = (f"app_pages/{p}.py" for p in
                                        ("threshold", "maps", "data_quality", "audit", "overview"))
EREWASH, DERBY = "E07000036", "E06000015"
ROOT = Path(__file__).resolve().parents[2]
# Columns that only a row per person, complaint, incident, application, appeal or rejected row has.
PERSON_COLUMNS = {"person_key", "incident_id", "application_ref", "appeal_ref", "source_row"}
MATRIX = {  # page file -> title, roles that get it
    OVERVIEW: ("Overview", {"opcc", "erewash", "derby", "board"}),
    MAPS: ("Hotspots and repeat locations", {"opcc", "erewash", "derby", "board"}),
    THRESHOLD: ("Threshold near-misses", {"opcc", "erewash", "derby"}),
    DQ: ("Data quality", {"opcc", "erewash", "derby", "board"}),
    AUDIT: ("Audit log", {"opcc"}),
}


def _log(path) -> pd.DataFrame:
    return pd.read_sql_query("select * from audit_log order by seq", sqlite3.connect(path))


def _frame(at: AppTest, key: str) -> pd.DataFrame | None:
    """A selectable table by its key, a Threshold list's tab opened first if the page has it (only
    the open one runs); the audit page's table ("au_rows") by its columns."""
    if key == "au_rows":
        return next((d.value for d in at.dataframe if "row_count" in d.value.columns), None)
    return next((d.value for d in open_list(at, key).dataframe if d.key == key), None)


def _titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def _deep_link(monkeypatch, warehouse, page: str, user: str, **params) -> AppTest:
    """Open the address of `page` signed out (as a link would), then sign in there."""
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(warehouse))
    monkeypatch.setenv(auth.USERS_ENV, str(users_file()))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update(params)
    at.switch_page(page).run()  # before the first run a page is found by its file name = url path
    assert _titles(at) == ["Sign in"] and not at.dataframe and not at.sidebar.multiselect
    return sign_in(at, user)


# --- the navigation and each page, per role ------------------------------------------------------

def _dashboard_pages() -> list[tuple[str, str]]:
    """(page file, url path) of every page in dashboard.py, the other issues' pages included."""
    text = (ROOT / "dashboard.py").read_text()
    return re.findall(r'st\.Page\("(app_pages/[a-z_]+\.py)"[^)]*?url_path="([a-z_]+)"', text, re.S)


@pytest.mark.parametrize("user", ["opcc", "erewash", "board"])
def test__navigation__each_role_gets_its_pages_only(monkeypatch, demo_warehouse, user):
    """Every page of the dashboard, as each role: the pages of its navigation open without an
    exception (a board viewer's with no person-level column in any table); the others cannot
    be switched to."""
    at = open_app(monkeypatch, demo_warehouse, user=user)
    user_id, _, role, code, _ = auth.DEMO_USERS[user]
    viewer = access.Viewer(user_id, role, code)
    assert at.sidebar.markdown[0].value.endswith(viewer.label)
    pages = _dashboard_pages()
    assert {p for p, _ in pages} >= set(MATRIX)
    for page, url_path in pages:
        if access.may_open(viewer, url_path):
            at.switch_page(page).run()
            assert not at.exception, (page, [e.value for e in at.exception])
            if page in MATRIX:
                assert user in MATRIX[page][1] and _titles(at) == [MATRIX[page][0]], page
            else:
                assert _titles(at), page  # another issue's page: it ran and has a title
            if user == "board":
                columns = {c for d in at.dataframe for c in d.value.columns}
                assert not columns & PERSON_COLUMNS, (page, columns & PERSON_COLUMNS)
        else:
            assert page not in MATRIX or user not in MATRIX[page][1]
            with pytest.raises(ValueError, match="navigation page"):
                at.switch_page(page)


@pytest.mark.parametrize("page, user, title", [
    (THRESHOLD, "opcc", "Threshold near-misses"), (THRESHOLD, "erewash", "Threshold near-misses"),
    (THRESHOLD, "board", "Overview"), (AUDIT, "erewash", "Overview"), (AUDIT, "board", "Overview"),
])
def test__deep_link__signing_in_opens_the_page_or_the_overview_when_the_role_lacks_it(
        monkeypatch, demo_warehouse, page, user, title):
    at = _deep_link(monkeypatch, demo_warehouse, page, user)
    assert not at.exception and _titles(at) == [title]
    if title == "Overview":
        assert _frame(at, "thr_worklist") is None and _frame(at, "au_rows") is None


@pytest.mark.parametrize("page, user, title", [(THRESHOLD, "board", "Threshold near-misses"),
                                               (AUDIT, "erewash", "Audit log")])
def test__deep_link__a_page_the_role_lacks_says_so_and_the_refusal_is_logged(
        monkeypatch, demo_warehouse, audit_file, page, user, title):
    """Not Streamlit's "page not found" (as for a mistyped address): the Overview, saying which
    page is not open to the role, and the refusal in the audit log."""
    at = _deep_link(monkeypatch, demo_warehouse, page, user)
    assert not at.exception and _titles(at) == ["Overview"]
    said = [i.value for i in at.info if "not open to your role" in i.value]
    assert len(said) == 1 and title in said[0] and "Overview is shown instead" in said[0], [i.value for i in at.info]
    denied = _log(audit_file).query("action == 'denied'")
    assert denied[["page", "what"]].values.tolist() == [[page.split("/")[1][:-3], "page not open to the role"]]


def test__threshold__opcc_analyst_sees_every_authority_s_people(monkeypatch, demo_warehouse):
    at = open_app(monkeypatch, demo_warehouse, THRESHOLD, user="opcc")
    assert len(set(_frame(at, "thr_worklist")["authority_code"])) > 3


def test__threshold__council_manager_sees_own_people_and_every_authority_s_counts(monkeypatch, demo_warehouse):
    at = open_app(monkeypatch, demo_warehouse, THRESHOLD, user="erewash", authority="all")
    assert set(_frame(at, "thr_worklist")["authority_code"]) == {EREWASH}
    assert set(_frame(at, "thr_met")["authority_code"]) == {EREWASH}
    counts = next(d.value for d in at.dataframe if "near_miss_people" in d.value.columns)
    assert len(counts) == len(authorities.CODES)


@pytest.mark.parametrize("authority, shown", [("bogus", [EREWASH]), ("bogus,E07000033", ["E07000033"]),
                                               ("all,nowhere", list(authorities.CODES))])
def test__url__an_unknown_authority_falls_back_to_the_viewer_s_own_not_all_nine(
        monkeypatch, demo_warehouse, authority, shown):
    """A link naming no authority the dashboard knows opens the council manager's own authority (with
    their lists), not all nine; the authorities it does name are kept, and the unknown ones named."""
    at = open_app(monkeypatch, demo_warehouse, None, user="erewash", authority=authority)
    assert (at.session_state["flt_authority"] or list(authorities.CODES)) == shown
    assert any("no authority called" in w.value for w in at.sidebar.warning)
    at.switch_page(THRESHOLD).run()
    assert not at.exception
    assert (_frame(at, "thr_worklist") is not None) == (shown == [EREWASH] or EREWASH in shown)


@pytest.mark.parametrize("authority", [DERBY, f"{DERBY},{EREWASH}", "Derby"])
def test__threshold__another_council_in_the_url_gives_its_counts_never_its_people(
        monkeypatch, demo_warehouse, authority):
    at = open_app(monkeypatch, demo_warehouse, THRESHOLD, user="erewash", authority=authority)
    counts = next(d.value for d in at.dataframe if "near_miss_people" in d.value.columns)
    assert DERBY in set(counts["authority_code"])
    work = _frame(at, "thr_worklist")
    if EREWASH in authority:
        assert set(work["authority_code"]) == {EREWASH}
    else:
        assert work is None and any("not available to you" in i.value for i in at.info)


def test__threshold__choosing_another_council_in_the_sidebar_gives_no_people(monkeypatch, demo_warehouse):
    at = open_app(monkeypatch, demo_warehouse, THRESHOLD, user="derby")
    assert set(_frame(at, "thr_worklist")["authority_code"]) == {DERBY}
    at.multiselect(key="flt_authority").set_value([EREWASH]).run()
    assert not at.exception and _frame(at, "thr_worklist") is None


@pytest.mark.parametrize("user, shown", [("opcc", {EREWASH}), ("erewash", {EREWASH}), ("derby", set()),
                                         ("board", None)])
def test__maps__incident_rows_of_an_area_only_for_the_role_s_authorities(monkeypatch, demo_warehouse, user, shown):
    at = open_app(monkeypatch, demo_warehouse, MAPS, user=user, authority="all")
    at.radio(key="mp_view").set_value("authority").run()
    at.selectbox(key="mp_area_authority").set_value(EREWASH).run()
    assert not at.exception and at.subheader[0].value == "Erewash"
    incidents = next((d.value for d in at.dataframe if "incident_id" in d.value.columns), None)
    if shown is None:
        assert incidents is None and any("not available to your role" in c.value for c in at.caption)
        assert not [b for b in at.get("download_button") if "incidents" in b.proto.label]
    else:
        assert set(incidents["authority_name"].map({"Erewash": EREWASH}.get)) <= shown
        assert (len(incidents) > 0) == bool(shown)


@pytest.mark.parametrize("user, sees_rows", [("opcc", True), ("erewash", False), ("board", False)])
def test__data_quality__rejected_rows_for_the_opcc_analyst_only(monkeypatch, demo_warehouse, user, sees_rows):
    at = open_app(monkeypatch, demo_warehouse, DQ, user=user)
    has_rows = any("source_row" in d.value.columns for d in at.dataframe)
    assert has_rows == sees_rows
    assert any("OPCC analyst role only" in i.value for i in at.info) != sees_rows


# --- the audit log, written by the pages ---------------------------------------------------------

def test__audit__each_view_of_person_level_rows_is_logged_once(monkeypatch, demo_warehouse, audit_file):
    at = open_app(monkeypatch, demo_warehouse, THRESHOLD, user="erewash")
    assert list(_log(audit_file)["what"])[1:] == ["week_queue"]   # the open tab's list, the only one run
    for key in ("thr_met", "thr_second"):
        _frame(at, key)
    work = _frame(at, "thr_worklist")
    log = _log(audit_file)
    assert list(log["action"]) == ["sign_in", "view", "view", "view", "view"]
    assert list(log["what"])[1:] == ["week_queue", "met_without_application", "second_reports",
                                     "near_miss_work_list"]  # every list of people, as each tab opened
    view = log[log["what"] == "near_miss_work_list"].iloc[0]
    assert (view["user_id"], view["role"], view["authority_code"], view["page"], view["row_count"]) == (
        "erewash.manager", "council_manager", EREWASH, "threshold", len(work))
    assert '"person_codes": ["E07000036"]' in view["filters"]
    at.run()
    at.session_state["thr_list"] = "This week"
    at.run()
    assert len(_log(audit_file)) == 5  # the same rows again in this session: not a new view
    at.session_state["thr_list"] = "One complaint short"
    at.session_state["thr_worklist"] = {"selection": {"rows": [0]}}
    at.run()
    last = _log(audit_file).iloc[-1]
    assert last["what"] == "person_complaints" and work.iloc[0]["person_key"] in last["filters"]


def test__audit__aggregate_pages_log_nothing(monkeypatch, demo_warehouse, audit_file):
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="board")
    at.switch_page(OVERVIEW).run()
    assert list(_log(audit_file)["action"]) == ["sign_in"]


def _export_work_list():
    import datetime as dt

    import streamlit as st

    from insight import ui
    from insight.queries import threshold as qt
    from insight.ui import session as ui_access

    rows = ui.load(qt.near_miss_work_list, dt.date(2026, 10, 31), ("E07000036",))
    served = ui_access.export_data(rows, "near_misses.csv", ui.safe_csv)
    st.write(f"callable {callable(served)}")
    st.write(f"bytes {len(served().decode('utf-8-sig').splitlines()) - 1} rows")


def test__audit__an_export_is_logged_when_the_file_is_made(monkeypatch, demo_warehouse, audit_file):
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(demo_warehouse))
    monkeypatch.setenv(auth.USERS_ENV, str(users_file()))
    at = AppTest.from_function(_export_work_list, default_timeout=120)
    at.session_state["auth_token"] = auth.issue_token("erewash.manager")
    at.run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    log = _log(audit_file)
    assert list(log["action"]) == ["view", "export"] and texts[0] == "callable True"
    export = log.iloc[1]
    assert (export["what"], export["user_id"]) == ("near_misses.csv", "erewash.manager")
    assert texts[1] == f"bytes {export['row_count']} rows" and export["filters"] == log.iloc[0]["filters"]


def _export_then_keep():
    import datetime as dt

    import streamlit as st

    from insight import ui
    from insight.queries import threshold as qt
    from insight.ui import session as ui_access

    rows = ui.load(qt.near_miss_work_list, dt.date(2026, 10, 31), ("E07000036",))
    st.session_state["served"] = ui_access.export_data(rows, "near_misses.csv", ui.safe_csv)
    st.session_state["aggregate"] = ui_access.export_data(rows[["authority_code"]].copy(), "codes.csv", ui.safe_csv)
    st.session_state["pack"] = ui_access.export_file(b"a pack", "pack.pptx", {"month": "2026-10"}, "application/pdf")


@pytest.mark.parametrize("ended", ["still signed in", "signed out", "removed", "made a board viewer"])
def test__download__a_button_on_screen_serves_nothing_once_the_sign_in_ends(monkeypatch, demo_warehouse,
                                                                            audit_file, tmp_path, ended):
    """A download's click runs its callable with no script run: it served a list of people after a
    sign-out in another tab, the account's removal or a new role, logged under the old role (the
    sessions audit of 6 December 2026). Now the click finds the sign-in gone or changed: nothing
    is served (any download, a list, an aggregate or the board pack) and the attempt is logged."""
    import dataclasses

    from insight.ui import session as ui_access

    users = auth.write_accounts(tmp_path / "users.toml", list(auth.load_accounts(users_file()).values()))
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(demo_warehouse))
    monkeypatch.setenv(auth.USERS_ENV, str(users))
    token = auth.issue_token("erewash.manager")
    at = AppTest.from_function(_export_then_keep, default_timeout=120)
    at.session_state["auth_token"] = token
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    accounts = auth.load_accounts(users)
    if ended == "signed out":
        auth.end_session(token)
    elif ended == "removed":
        auth.write_accounts(users, [a for a in accounts.values() if a.user_id != "erewash.manager"])
    elif ended == "made a board viewer":
        auth.write_accounts(users, [dataclasses.replace(a, role=access.BOARD_VIEWER, authority_code=None)
                                    if a.user_id == "erewash.manager" else a for a in accounts.values()])
    downloads = [at.session_state[k] for k in ("served", "aggregate", "pack")]
    if ended == "still signed in":
        assert [len(d()) > 0 for d in downloads] == [True, True, True]
        assert list(_log(audit_file)["action"]) == ["view", "export", "export", "export"]
        return
    for download in downloads:
        with pytest.raises(ui_access.SignInEnded):
            download()
    log = _log(audit_file)
    assert list(log["action"]) == ["view", "denied", "denied", "denied"]
    assert list(log["what"])[1:] == ["near_misses.csv", "codes.csv", "pack.pptx"]
    assert set(log["user_id"]) == {"erewash.manager"}


def _export_published_return():
    import datetime as dt

    import streamlit as st

    from insight import ui
    from insight.queries import partnership as qp
    from insight.ui import session as ui_access

    as_of = dt.date(2026, 10, 31)
    returns = ui.load(qp.statutory_returns, as_of, ("E07000033", "E07000036"))
    table = qp.published_table(returns[returns["authority_code"] == "E07000033"], as_of)
    st.write(f"rows {len(ui_access.export_data(table, 'return.csv', ui.safe_csv)().splitlines())}")


def test__audit__the_partnership_return_download_is_logged_as_an_export(monkeypatch, demo_warehouse, audit_file):
    """A board viewer's download of an authority's published return (the year so far under the
    disclosure rule) left no trace: the table made from the rows lost their audit tag (the sessions
    audit of 6 December 2026). Logged as an export, as every other such download."""
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(demo_warehouse))
    monkeypatch.setenv(auth.USERS_ENV, str(users_file()))
    at = AppTest.from_function(_export_published_return, default_timeout=120)
    at.session_state["auth_token"] = auth.issue_token("board.viewer")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [m.value for m in at.markdown] == ["rows 5"]   # a header and the four figures
    log = _log(audit_file)
    assert list(log["action"]) == ["export"] and list(log["what"]) == ["return.csv"]
    assert log.iloc[0]["user_id"] == "board.viewer" and "E07000033" in log.iloc[0]["filters"]


def _export_repeat_locations():
    import datetime as dt

    import streamlit as st

    from insight import ui
    from insight.queries import maps as qm
    from insight.ui import session as ui_access

    as_of = dt.date(2026, 10, 31)
    for code in ("E06000015", "E07000036"):   # Derby (another authority's), then Erewash (own)
        rows = ui.load(qm.repeat_locations, (code,), as_of, as_of)
        shown = rows[rows["incidents_365d"].notna()]   # a page narrows the frame before its download
        served = ui_access.export_data(shown, f"repeat_locations_{code}.csv", ui.safe_csv)
        st.write(f"{code} callable {callable(served)}")
        if callable(served):
            served()


def test__audit__another_authoritys_aggregate_download_is_logged_not_its_view(monkeypatch, demo_warehouse,
                                                                               audit_file):
    """Issue 14: an Erewash manager downloads Derby's repeat locations: the file is logged as an
    export (aggregates of another authority leave a trace); viewing them logs nothing, and the
    manager's own authority's aggregate is not tagged."""
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(demo_warehouse))
    monkeypatch.setenv(auth.USERS_ENV, str(users_file()))
    at = AppTest.from_function(_export_repeat_locations, default_timeout=120)
    at.session_state["auth_token"] = auth.issue_token("erewash.manager")
    at.run()
    assert not at.exception
    # every download is made on demand (a callable); only Derby's is tagged, so calling both logs one
    assert [m.value for m in at.markdown] == ["E06000015 callable True", "E07000036 callable True"]
    log = _log(audit_file)
    assert list(log["action"]) == ["export"]
    assert (log.iloc[0]["what"], log.iloc[0]["user_id"]) == ("repeat_locations_E06000015.csv", "erewash.manager")
    assert "E06000015" in log.iloc[0]["filters"]


def test__audit_page__opcc_analyst_filters_the_entries_and_sees_the_chain(monkeypatch, demo_warehouse, audit_file):
    open_app(monkeypatch, demo_warehouse, THRESHOLD, user="derby")
    at = open_app(monkeypatch, demo_warehouse, AUDIT, user="opcc")
    assert "Hash chain intact" in at.success[0].value
    rows = _frame(at, "au_rows")
    assert {"derby.manager", "opcc.analyst"} <= set(rows["user_id"]) and rows["seq"].is_monotonic_decreasing
    at.multiselect(key="au_users").set_value(["derby.manager"]).run()
    at.multiselect(key="au_actions").set_value(["view"]).run()
    rows = _frame(at, "au_rows")   # the list of the tab the page opens on (only the open one runs)
    assert set(rows["user_id"]) == {"derby.manager"} and set(rows["page"]) == {"threshold"} and len(rows) == 1
    assert _log(audit_file).iloc[-1]["what"] == "audit_entries"  # looking at the log is logged too
    con = sqlite3.connect(audit_file)
    con.executescript("drop trigger audit_log_no_update; update audit_log set user_id = 'x' where seq = 2;")
    con.close()
    at.run()
    assert "breaks at entry 2" in at.error[0].value


@pytest.mark.parametrize("user, default, note", [
    ("erewash", [EREWASH], "Erewash only, with the lists of people (your access)."),
    ("derby", [DERBY], "Derby only, with the lists of people (your access)."),
    ("opcc", [], "All nine authorities, with the lists of people (your access)."),
    ("board", [], "All nine authorities: totals only, small numbers hidden (your access: no lists of people)."),
])
def test__sidebar__starts_on_the_viewer_s_own_authority_and_says_so(monkeypatch, demo_warehouse, user, default, note):
    """Issue 16, item 4: a council manager lands on their own authority, every session; the sidebar
    says what is shown; `?authority=all` (written when they choose all nine) gives all nine. The
    URL always names the authorities shown, so a link sent on opens the same view whoever opens it
    (the usability audit of 6 December: a default was left out of the URL)."""
    at = open_app(monkeypatch, demo_warehouse, OVERVIEW, user=user)
    assert at.multiselect(key="flt_authority").value == default
    assert note in [c.value for c in at.sidebar.caption]
    assert at.query_params["authority"] in ((default[0], [default[0]]) if default else ("all", ["all"]))
    every = open_app(monkeypatch, demo_warehouse, OVERVIEW, user=user, authority="all")
    assert every.multiselect(key="flt_authority").value == []
    if default:  # all nine is not their default: the URL says so, and the note says whose lists
        assert every.query_params["authority"] in ("all", ["all"])
        assert any("lists of people for" in c.value and "the others' figures are totals" in c.value
                   for c in every.sidebar.caption)
        at.multiselect(key="flt_authority").set_value([]).run()
        assert at.query_params["authority"] in ("all", ["all"])


# What both fresh-process scripts below count: every named query's SQL (`ran`, from here on), and
# `open_pages`, which opens pages and prints, per page, how many of the `requests` ran again.
COUNT_QUERIES = """
from support import sign_in
from insight import ui
from insight.queries import actions, appeals, maps, overview, partnership, quality, threshold, turnaround
ran = []
def counted(module):
    _run_sql = module.run   # every query of a module runs its SQL through it
    return lambda *a, **k: ran.append(f"{module.__name__}.{sys._getframe(1).f_code.co_name}") or _run_sql(*a, **k)
for module in (actions, appeals, maps, overview, partnership, quality, threshold, turnaround):
    module.run = counted(module)
def open_pages(at, pages, requests):
    warmed = {ui._query_name(query) for query, _ in requests}
    for page in pages:
        ran.clear()
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        again = sorted(set(ran) & warmed)
        print(page, len(again), "warmed queries ran again", " ".join(again), f"({len(ran)} others)")
"""


SIGN_IN_PAGE = """
import logging, sys, threading
from pathlib import Path
import pytest
from support import open_app
from insight import db
from insight.ui import session
opened = []
_connect = db.connect
db.connect = lambda *a, **k: opened.append(a) or _connect(*a, **k)
warnings = []
logging.getLogger("insight.ui.session").addHandler(logging.Handler())
logging.getLogger("insight.ui.session").handlers[-1].emit = warnings.append
monkeypatch = pytest.MonkeyPatch()
at = open_app(monkeypatch, Path(sys.argv[1]), user=None)
assert "Sign in" in [t.value for t in at.title], [t.value for t in at.title]
for thread in threading.enumerate():
    if thread.name == "asb-warm-up-imports":
        thread.join(120)
print(" ".join(m for m in session._WARM_MODULES if m in sys.modules))
print(" ".join(m for m in ("plotly.graph_objs._funnel", "plotly.graph_objs._heatmap", "plotly.graph_objs._choropleth")
               if m in sys.modules))
print(len(warnings), "warnings")
import insight.ui
before = len(opened)
insight.ui._connection(db.build_key(db.warehouse_path()))   # what the first page after sign-in asks for
print(before, len(opened) - before, "connections")
# then an OPCC analyst signs in and lands on the Overview, and opens each page: the queries of
# their first views ran during the warm-up, so none of them runs again (counted from here on)
""" + COUNT_QUERIES + """
sign_in(at, "opcc")
assert not at.exception and "Overview" in [t.value for t in at.title], [t.value for t in at.title]
print(len(ran), "overview queries", " ".join(ran))
open_pages(at, ("threshold", "maps", "turnaround", "appeals", "partnership", "actions", "data_quality"),
           ui.default_view_requests(ui.build_as_of()))
"""


OWN_VIEW = """
import sys, threading
from pathlib import Path
import pytest
from support import open_app
def join(name):
    for thread in threading.enumerate():
        if thread.name == name:
            thread.join(120)
at = open_app(pytest.MonkeyPatch(), Path(sys.argv[1]), user=None)
join("asb-warm-up-imports")   # the server's warm-up: all nine authorities
""" + COUNT_QUERIES + """
sign_in(at, "erewash")   # lands on the Overview, Erewash only; its end starts the warm-up of that view
assert not at.exception and "Overview" in [t.value for t in at.title], [t.value for t in at.title]
print(sorted(t.name for t in threading.enumerate() if t.name.startswith("asb-warm-own")))
join("asb-warm-own-view")
open_pages(at, ("threshold", "maps", "turnaround", "appeals", "partnership", "actions"),
           ui.default_view_requests(ui.build_as_of(), ("E07000036",)))
at.switch_page("app_pages/overview.py").run()   # a second Overview starts no second warm-up
print(sorted(t.name for t in threading.enumerate() if t.name.startswith("asb-warm-own")))
"""


def test__sign_in__a_council_manager_s_own_view_is_warmed_after_the_landing_page(demo_warehouse):
    """Issue 16, item 8: the server's warm-up is for all nine authorities; a council manager's
    sidebar starts on their own authority, so the end of their first page starts a background run
    of every page's first-view queries for it (insight.ui.warm_own_view), once: opening each page
    afterwards runs none of them again (the Erewash manager's first Threshold visit ran 0.37 s of
    them before)."""
    started, *pages, again = in_fresh_process(OWN_VIEW, demo_warehouse).splitlines()
    assert started == "['asb-warm-own-view']", started
    assert [line.split(" warmed")[0] for line in pages] == [
        f"{page} 0" for page in ("threshold", "maps", "turnaround", "appeals", "partnership", "actions")], pages
    assert again == "[]", again


def test__sign_in_page__imports_the_pages_libraries_while_it_waits(demo_warehouse):
    """Issue 16, item 8: after a server start, the sign-in page imports the pages' charts and queries
    (plotly included) in the background, so the first page opened after signing in does not wait
    for them (a fresh process: nothing imported before), opens the warehouse connection the
    pages share, so the first page does not attach the file itself, and runs the queries of every
    page's first view (insight.ui.default_view_requests), so neither the first sign-in nor the first
    visit to a page waits for them."""
    from insight.ui import session
    modules, figures, warnings, connections, queries, *pages = in_fresh_process(SIGN_IN_PAGE, demo_warehouse).splitlines()
    assert modules.split() == list(session._WARM_MODULES)
    # then plotly's sample figures (insight.charts.base.warm_up): each kind of trace the pages draw
    assert figures.split() == ["plotly.graph_objs._funnel", "plotly.graph_objs._heatmap", "plotly.graph_objs._choropleth"]
    assert warnings.startswith("0 warnings"), warnings
    opened_by_warm_up, opened_after = map(int, connections.split()[:2])
    assert opened_by_warm_up >= 1 and opened_after == 0, connections
    # the Overview's default view (all nine authorities, the default period) was computed in the
    # background: the first sign-in's page runs none of its queries
    assert queries.startswith("0 overview queries"), queries
    # and so were the other pages' first views: opening each runs none of the warmed queries again
    # (a query the page asks for with other arguments than insight.ui.default_view_requests would
    # run here: the list and the page have drifted apart)
    assert [line.split(" warmed")[0] for line in pages] == [
        f"{page} 0" for page in ("threshold", "maps", "turnaround", "appeals", "partnership", "actions", "data_quality")], pages
