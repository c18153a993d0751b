"""Getting round sign-in and roles in AppTest, and the sign-in page itself: every attempt fails.

Session state written by hand (a forged or foreign token, a Viewer object, a role, the page
key) never signs anyone in or raises a role; a person-level query called for an authority
outside the role is refused where data is queried and the refusal is logged; OpenID Connect
identities map to roles through the users file, and an unmapped one gets no page; a wrong
password gets nothing; signing out ends the session's access.
"""

from __future__ import annotations

import sqlite3
import time

import itsdangerous
import pytest
from streamlit.testing.v1 import AppTest
from support import APP, open_app, sign_in, users_file

from insight import db
from insight.access import auth
from insight.access import roles as access

THRESHOLD, EREWASH, DERBY = "app_pages/threshold.py", "E07000036", "E06000015"
OPCC = access.Viewer("opcc.analyst", access.OPCC_ANALYST, name="x")
ISSUER = "https://login.example.org/v2.0"


def _actions(path) -> list[tuple[str, str, str]]:
    con = sqlite3.connect(path)
    return con.execute("select user_id, action, what from audit_log order by seq").fetchall()


def _signed_out(monkeypatch, warehouse) -> AppTest:
    return open_app(monkeypatch, warehouse, user=None)


def _titles(at) -> list[str]:
    return [t.value for t in at.title]


FORGERIES = {
    "the user id as the token": "opcc.analyst",
    "a token signed with another secret": itsdangerous.URLSafeTimedSerializer(
        "guessed", salt="asb-dashboard-session").dumps({"user": "opcc.analyst"}),
    "an unsigned payload": '{"user": "opcc.analyst"}',
    "a dict": {"user": "opcc.analyst", "role": "opcc_analyst"},
    "a Viewer": OPCC,
}


@pytest.mark.parametrize("forgery", list(FORGERIES), ids=list(FORGERIES))
def test__session_state__a_forged_token_signs_nobody_in(monkeypatch, demo_warehouse, forgery):
    at = _signed_out(monkeypatch, demo_warehouse)
    at.session_state["auth_token"] = FORGERIES[forgery]
    for key in ("viewer", "role", "user", "auth_role"):
        at.session_state[key] = OPCC if key == "viewer" else "opcc_analyst"
    at.run()
    assert _titles(at) == ["Sign in"] and not at.dataframe and not at.sidebar.multiselect


def test__session_state__a_board_viewer_cannot_write_a_role_in(monkeypatch, demo_warehouse):
    at = open_app(monkeypatch, demo_warehouse, user="board")
    at.session_state["viewer"] = OPCC
    at.session_state["role"] = "opcc_analyst"
    at.session_state["auth_page"] = "threshold"
    at.run()
    assert at.sidebar.markdown[0].value.endswith("Board viewer")
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page(THRESHOLD)
    at.session_state["auth_token"] = FORGERIES["a token signed with another secret"]
    at.run()
    assert _titles(at) == ["Sign in"]  # a broken token signs out; it never raises the role


def test__session_state__a_token_for_another_user_is_only_as_good_as_that_user(monkeypatch, demo_warehouse):
    """A token is the credential (signed by this server); one for a user no longer in the file,
    or for an OpenID Connect user without a password, opens nothing."""
    at = _signed_out(monkeypatch, demo_warehouse)
    at.session_state["auth_token"] = auth.issue_token("deleted.user")
    at.run()
    assert _titles(at) == ["Sign in"]


def _load_derby_people():
    import datetime as dt

    import streamlit as st

    from insight import ui
    from insight.queries import threshold as qt

    rows = ui.load(qt.near_miss_work_list, dt.date(2026, 10, 31), ("E06000015",))
    st.write(f"reached with {len(rows)} rows")


def _load_rejects():
    import streamlit as st

    from insight import ui
    from insight.queries import quality

    rows = ui.load(quality.rejects)
    st.write(f"reached with {len(rows)} rows")


@pytest.mark.parametrize("script, user, allowed", [
    (_load_derby_people, "erewash", False), (_load_derby_people, "board", False),
    (_load_derby_people, "derby", True), (_load_derby_people, "opcc", True),
    (_load_rejects, "erewash", False), (_load_rejects, "opcc", True),
])
def test__load__refuses_person_level_rows_outside_the_role_and_logs_it(
        monkeypatch, demo_warehouse, audit_file, script, user, allowed):
    """Defence in depth: whatever a page asks, ui.load checks the codes against the role."""
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(demo_warehouse))
    monkeypatch.setenv(auth.USERS_ENV, str(users_file()))
    at = AppTest.from_function(script, default_timeout=120)
    at.session_state["auth_token"] = auth.issue_token(auth.DEMO_USERS[user][0])
    at.run()
    assert not at.exception
    reached = [m.value for m in at.markdown if m.value.startswith("reached")]
    assert bool(reached) == allowed
    actions = [a for _, a, _ in _actions(audit_file)]
    if allowed:
        assert actions == ["view"] and not at.error
    else:
        assert actions == ["denied"] and "Not available to you" in at.error[0].value


# --- OpenID Connect ------------------------------------------------------------------------------

@pytest.fixture
def oidc_users(tmp_path, monkeypatch):
    path = auth.write_accounts(tmp_path / "users.toml", [
        auth.Account("pat", access.COUNCIL_MANAGER, DERBY, "Pat", email="pat@derby.example", subject="s-1",
                     issuer=ISSUER)])
    monkeypatch.setenv(auth.USERS_ENV, str(path))
    return path


@pytest.mark.parametrize("user, signed_in", [
    ({"is_logged_in": True, "iss": ISSUER, "sub": "s-1", "email": "other@x.example"}, True),
    ({"is_logged_in": True, "iss": ISSUER, "sub": "s-9", "email": "PAT@derby.example", "email_verified": True}, True),
    ({"is_logged_in": True, "iss": ISSUER, "sub": "s-9", "email": "pat@derby.example", "email_verified": False}, False),
    ({"is_logged_in": True, "iss": ISSUER, "sub": "s-9", "email": "pat@derby.example"}, False),
    ({"is_logged_in": True, "iss": "https://other.example", "sub": "s-1"}, False),
    ({"is_logged_in": True, "iss": ISSUER, "sub": "s-9", "email": "stranger@x.example"}, False),
    ({"is_logged_in": False, "iss": ISSUER, "sub": "s-1"}, False),
])
def test__openid_connect__identity_maps_to_a_role_through_the_users_file(
        monkeypatch, demo_warehouse, oidc_users, user, signed_in):
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(demo_warehouse))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.user = user | {"iat": int(time.time())}
    at.run()
    assert not at.exception
    if signed_in:
        assert at.sidebar.markdown[0].value.endswith("Council manager, Derby")
        at.session_state["thr_list"] = "One complaint short"   # the list's tab (only the open one runs)
        at.switch_page(THRESHOLD).run()
        assert not at.exception
        work = next(d.value for d in at.dataframe if d.key == "thr_worklist")
        assert set(work["authority_code"]) == {DERBY}
    else:
        assert _titles(at) == ["Sign in"] and not at.sidebar.multiselect
    if user["is_logged_in"] and not signed_in:
        assert "no role is assigned" in at.warning[0].value


# --- the sign-in page ----------------------------------------------------------------------------

@pytest.mark.parametrize("user_id, password", [("opcc.analyst", "demo-board"), ("nobody", "demo-opcc"),
                                               ("", ""), ("opcc.analyst", "")])
def test__sign_in__a_wrong_password_or_user_gets_nothing(monkeypatch, demo_warehouse, user_id, password):
    at = _signed_out(monkeypatch, demo_warehouse)
    at.text_input(key="sign_in_user").input(user_id)
    at.text_input(key="sign_in_password").input(password)
    at.button(key="sign_in_submit").click().run()
    assert _titles(at) == ["Sign in"] and "Unknown user or wrong password" in at.error[0].value
    assert "auth_token" not in at.session_state and not at.sidebar.multiselect


def test__sign_in__no_users_file_says_how_to_make_one(monkeypatch, demo_warehouse, tmp_path):
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(demo_warehouse))
    monkeypatch.setenv(auth.USERS_ENV, str(tmp_path / "absent.toml"))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert _titles(at) == ["Sign in"] and "asb users --demo" in at.error[0].value
    assert not at.text_input


def test__sign_out__ends_access_and_is_logged(monkeypatch, demo_warehouse, audit_file):
    at = open_app(monkeypatch, demo_warehouse, THRESHOLD, user="erewash")
    at.button(key="auth_sign_out").click().run()
    assert _titles(at) == ["Sign in"] and "auth_token" not in at.session_state
    assert [i.value for i in at.info] == ["You signed out. Sign in again."]   # the page says why
    assert not [d for d in at.dataframe if d.key == "thr_queue"]
    assert [a for _, a, _ in _actions(audit_file)][0] == "sign_in"
    assert [a for _, a, _ in _actions(audit_file)][-1] == "sign_out"
    sign_in(at, "board")  # the same session, another user: the board viewer's pages
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page(THRESHOLD)


def test__sign_out__leaves_nothing_of_the_session_to_the_next_person(monkeypatch, demo_warehouse, audit_file):
    """The next person to sign in at a tab got the one before's searched postcode, sidebar choices
    and board pack (the sessions audit of 6 December 2026): a sign-out now clears the session and
    the address, keeping only that the cookie was looked at."""
    at = open_app(monkeypatch, demo_warehouse, "app_pages/maps.py", user="opcc", authority=DERBY)
    assert at.query_params.get("authority") == DERBY
    at.session_state["mp_found"] = "DE7 5RP is in Erewash. Its hexagon is selected on the map."
    at.session_state["bp_result"] = "the analyst's Bolsover-only pack"
    at.button(key="auth_sign_out").click().run()
    assert _titles(at) == ["Sign in"]
    kept = {k for k in ("mp_found", "bp_result", "auth_token", "auth_audited") if k in at.session_state}
    assert not kept and not dict(at.query_params)
    assert at.session_state["auth_cookie_tried"] is True   # the cleared cookie is not read again
    sign_in(at, "board")
    assert "mp_found" not in at.session_state and at.query_params.get("authority") != DERBY


@pytest.mark.parametrize("content", [
    '[[user]]\nname = "No Id"\nrole = "board_viewer"\npassword_hash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"\n',
    '[[user]]\nid = "pat"\nrole = "council_manager"\nauthority = "Nottingham"\n',
    "not [ valid toml\n",
])
def test__sign_in__a_broken_users_file_tells_a_visitor_nothing_of_it(monkeypatch, demo_warehouse, tmp_path, content):
    """The sign-in page is for anyone who reaches the server: an unusable users file is one short
    sentence there, and its path, its entries and their password hashes go to the server's log
    only (before, a visitor read an entry's password hash; found by a black-box audit)."""
    users = tmp_path / "secret-users.toml"
    users.write_text(content, encoding="utf-8")
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(demo_warehouse))
    monkeypatch.setenv(auth.USERS_ENV, str(users))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    said = " ".join(e.value for e in at.error)
    assert _titles(at) == ["Sign in"] and "asb users" in said
    for secret in ("argon2", "secret-users", str(tmp_path), "Nottingham", "pat", "line"):
        assert secret not in said, said


def test__sign_out__the_page_filters_kept_for_the_session_go_with_it(monkeypatch, demo_warehouse, audit_file):
    """The Threshold lists' filters are kept for the session (`persist_state`, 7 December 2026): a
    search holds a partner's reference or a postcode district, so the next person to sign in at the
    tab must not find it, nor the route chosen."""
    at = open_app(monkeypatch, demo_warehouse, "app_pages/threshold.py", user="opcc")
    at.text_input(key="thr_search").input("DE7").run()
    at.multiselect(key="thr_routes").set_value(["victim"]).run()
    at.button(key="auth_sign_out").click().run()
    assert _titles(at) == ["Sign in"] and "thr_search" not in at.session_state
    sign_in(at, "erewash")
    at.switch_page("app_pages/threshold.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.text_input(key="thr_search").value == "" and at.multiselect(key="thr_routes").value == []


@pytest.mark.parametrize(("page", "tab"), [(THRESHOLD, {"thr_list": "Second reports"}),
                                           ("app_pages/maps.py", {"analysis": "Hot spots"})])
def test__sign_out__with_a_tab_in_the_address(monkeypatch, demo_warehouse, audit_file, page, tab):
    """A tab kept in the address (`ui.analysis_tabs`: a query parameter bound to the tabs) made the
    sign-out fail half-way (the roles audit of 7 December 2026): Streamlit refuses to clear a bound
    parameter, so the signed-out user saw an error, and the cookie's end and the "you signed out"
    notice never came. Every part of the sign-out now happens; the tab's parameter goes when the
    sign-in page, which has no tabs, has run."""
    at = open_app(monkeypatch, demo_warehouse, page, user="opcc", authority=DERBY, **tab)
    assert at.query_params.get(next(iter(tab))) == next(iter(tab.values()))
    at.button(key="auth_sign_out").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _titles(at) == ["Sign in"] and "auth_token" not in at.session_state
    assert [i.value for i in at.info] == ["You signed out. Sign in again."]
    assert any("/_asb/session/end" in str(h.proto) for h in at.get("html"))   # the cookie is cleared
    at.run()
    assert not dict(at.query_params), dict(at.query_params)
