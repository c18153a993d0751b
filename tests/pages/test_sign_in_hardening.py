"""The sign-in page, hardened (insight/ui/session.py, insight/access/auth.py), in AppTest.

Repeated wrong passwords lock the user id out, and every failure, the lockout and every sign-in
are in the audit log (a password typed into the user box never is); the demo users' published
passwords open only a demo build; an OpenID Connect sign-in older than the maximum age, or any
sign-in idle too long, is ended; files others can read are named to the OPCC analyst; an error
on screen says what to do, never the SQL.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import time

import duckdb
import pytest
from streamlit.testing.v1 import AppTest
from support import APP, open_app, sign_in, users_file

from insight import db
from insight.access import auth
from insight.access import roles as access

ISSUER = "https://login.example.org/v2.0"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    auth.ACCOUNTS.reset()
    auth.CLIENTS.reset()
    yield
    auth.ACCOUNTS.reset()
    auth.CLIENTS.reset()


def _log(path) -> list[tuple]:
    con = sqlite3.connect(path)
    return con.execute("select user_id, action, what, filters from audit_log order by seq").fetchall()


def _try(at: AppTest, user_id: str, password: str) -> AppTest:
    at.text_input(key="sign_in_user").input(user_id)
    at.text_input(key="sign_in_password").input(password)
    return at.button(key="sign_in_submit").click().run()


def _titles(at) -> list[str]:
    return [t.value for t in at.title]


def test__sign_in__repeated_failures_lock_the_user_out_and_are_audited(monkeypatch, demo_warehouse, audit_file):
    at = open_app(monkeypatch, demo_warehouse, user=None)
    _try(at, "demo-opcc", "opcc.analyst")  # the fields swapped: the password must not reach the log
    for _ in range(auth.ACCOUNT_MAX_FAILURES):
        _try(at, "opcc.analyst", "not the password")
    assert "Too many failed sign-ins" in at.error[0].value
    _try(at, "opcc.analyst", "demo-opcc")  # the right password, during the lockout
    assert _titles(at) == ["Sign in"] and "auth_token" not in at.session_state
    assert "Too many failed sign-ins" in at.error[0].value
    log = _log(audit_file)
    whats = [what for _, action, what, _ in log if action == "denied"]
    assert whats == (["password sign-in: wrong"] * (auth.ACCOUNT_MAX_FAILURES + 1)
                     + ["password sign-in: lockout of the user", "password sign-in: locked"])
    assert log[0][0] == "" and '"(unknown user)"' in log[0][3] and "demo-opcc" not in str(log)
    assert all(user == "opcc.analyst" for user, *_ in log[1:]) and '"client": "local"' in log[1][3]


def test__sign_in__a_success_is_audited_with_the_client(monkeypatch, demo_warehouse, audit_file):
    open_app(monkeypatch, demo_warehouse, user="erewash")
    assert [(u, a, w) for u, a, w, _ in _log(audit_file)] == [("erewash.manager", "sign_in", "password")]
    assert '"client"' in _log(audit_file)[0][3]


@pytest.fixture
def production_warehouse(tmp_path):
    path = tmp_path / "production.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table etl_builds as select 'x' as load_id, now()::timestamp as built_at, "
                "date '2026-10-31' as as_of_date, false as demo")
    con.close()
    return path


def test__sign_in__demo_users_refused_unless_the_warehouse_is_a_demo_build(
        monkeypatch, production_warehouse, demo_warehouse, audit_file):
    monkeypatch.delenv(auth.DEMO_USERS_ENV, raising=False)
    at = open_app(monkeypatch, production_warehouse, user=None)
    _try(at, "opcc.analyst", "demo-opcc")
    assert _titles(at) == ["Sign in"] and "demo warehouse only" in at.error[0].value
    assert [w for _, _, w, _ in _log(audit_file)] == ["password sign-in: demo"]
    at = open_app(monkeypatch, demo_warehouse, user="opcc")  # the demo build: they may
    assert at.sidebar.markdown[0].value.endswith("OPCC analyst")


def test__session__an_idle_sign_in_is_ended(monkeypatch, demo_warehouse, audit_file):
    at = open_app(monkeypatch, demo_warehouse, user="board")
    with auth.SESSIONS._lock:  # as if the last run were long ago
        for key in auth.SESSIONS._seen:
            auth.SESSIONS._seen[key] -= 2 * auth.IDLE_TIMEOUT_SECONDS
    at.run()
    assert _titles(at) == ["Sign in"] and "without activity" in at.info[0].value
    sign_in(at, "board")  # signing in again works


@pytest.fixture
def oidc_users(tmp_path, monkeypatch):
    path = auth.write_accounts(tmp_path / "users.toml", [
        auth.Account("pat", access.COUNCIL_MANAGER, "E06000015", "Pat", subject="s-1", issuer=ISSUER)])
    monkeypatch.setenv(auth.USERS_ENV, str(path))
    return path


def test__openid_connect__a_sign_in_older_than_the_maximum_age_is_ended(
        monkeypatch, demo_warehouse, oidc_users, audit_file):
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(demo_warehouse))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.user = {"is_logged_in": True, "iss": ISSUER, "sub": "s-1",
               "iat": int(time.time()) - auth.SESSION_MAX_AGE_SECONDS - 60}  # Streamlit's cookie lasts 30 days
    at.run()
    assert _titles(at) == ["Sign in"] and not at.sidebar.multiselect
    assert "at most 12 hours" in at.info[0].value and at.button(key="sign_in_logout").label == "Sign in again"
    assert [(a, w) for _, a, w, _ in _log(audit_file)] == [("denied", "openid_connect: sign-in expired")]


def test__openid_connect__a_live_sign_in_is_audited_once(monkeypatch, demo_warehouse, oidc_users, audit_file):
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(demo_warehouse))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.user = {"is_logged_in": True, "iss": ISSUER, "sub": "s-1", "iat": int(time.time())}
    at.run()
    at.run()
    assert at.sidebar.markdown[0].value.endswith("Council manager, Derby")
    assert [(u, a, w) for u, a, w, _ in _log(audit_file)] == [("pat", "sign_in", "openid_connect")]


@pytest.mark.parametrize("user, warned", [("opcc", True), ("board", False)])
def test__start__files_others_can_read_are_named_to_the_opcc_analyst(monkeypatch, demo_warehouse, tmp_path, user,
                                                                      warned):
    loose = shutil.copy(users_file(), tmp_path / "users.toml")
    (tmp_path / "users.toml").chmod(0o644)
    monkeypatch.setattr("support.users_file", lambda: loose)
    at = open_app(monkeypatch, demo_warehouse, user=user)
    warnings = [w.value for w in at.warning if "can be read by other users" in w.value]
    assert bool(warnings) == warned
    if warned:
        assert f"chmod 600 {tmp_path / 'users.toml'}" in warnings[0]


def test__errors__an_outdated_warehouse_says_what_to_do_not_the_sql(monkeypatch, tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table etl_builds as select 'x' as load_id, now()::timestamp as built_at, "
                "date '2025-01-31' as as_of_date")
    con.close()
    at = open_app(monkeypatch, path, timeout=60)
    message = at.error[0].value
    assert "Rebuild it with `asb build`" in message
    assert "Catalog" not in message and "does not exist" not in message and str(tmp_path) not in message


def test__audit__an_unwritable_log_refuses_in_words_and_shows_nothing_unaudited(monkeypatch, demo_warehouse, tmp_path):
    """Sign-in and every person-level view are audited, so with the log unwritable (its path a
    folder, a full or read-only disk) the dashboard fails closed: before, Streamlit's redacted
    error; now a sentence saying what is wrong, and still no sign-in and no list."""
    from insight.access import audit

    blocked = tmp_path / "audit.sqlite"
    blocked.mkdir()                                   # a folder where the log should be: unwritable
    monkeypatch.setenv(audit.AUDIT_ENV, str(blocked))
    at = open_app(monkeypatch, demo_warehouse, user=None)
    _try(at, "opcc.analyst", "demo-opcc")
    assert not at.exception, [e.value for e in at.exception]
    assert _titles(at) == ["Sign in"] and "auth_token" not in at.session_state
    assert any("audit log cannot be written" in e.value for e in at.error), [e.value for e in at.error]


def test__audit__a_log_that_fails_after_sign_in_stops_the_list_in_words(monkeypatch, demo_warehouse, tmp_path):
    from insight.access import audit

    path = tmp_path / "audit.sqlite"
    monkeypatch.setenv(audit.AUDIT_ENV, str(path))
    at = open_app(monkeypatch, demo_warehouse, user="erewash")
    path.unlink()
    path.mkdir()                                      # the log goes away under a signed-in session
    at.switch_page("app_pages/threshold.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("audit log cannot be written" in e.value for e in at.error), [e.value for e in at.error]
    assert not at.dataframe                           # no person-level list without its audit entry


def test__audit__the_audit_page_of_an_unreadable_log_says_so(monkeypatch, demo_warehouse, tmp_path):
    """The OPCC analyst signed in, then the log went (its path now a folder): the audit page says it
    cannot read the log in words, not a traceback (found by a black-box audit)."""
    from insight.access import audit

    path = tmp_path / "audit.sqlite"
    monkeypatch.setenv(audit.AUDIT_ENV, str(path))
    at = open_app(monkeypatch, demo_warehouse)
    path.unlink()
    path.mkdir()
    at.switch_page("app_pages/audit.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("audit log cannot be read" in e.value for e in at.error), [e.value for e in at.error]
    assert not at.dataframe


def test__errors__a_warehouse_lacking_a_newer_column_says_what_to_do(monkeypatch, demo_warehouse, tmp_path):
    """A warehouse an older version built lacks a column the queries now read
    (int_second_reports.explanations): the page asks for a rebuild instead of failing."""
    path = tmp_path / "older.duckdb"
    shutil.copy(demo_warehouse, path)
    with duckdb.connect(str(path)) as con:
        con.execute("alter table int_second_reports drop column explanations")
        as_of = con.execute("select max(as_of_date) from etl_builds").fetchone()[0]
    at = open_app(monkeypatch, path, page="app_pages/threshold.py", timeout=120,
                  as_of=(as_of - dt.timedelta(days=30)).isoformat())
    assert not at.exception, [e.value for e in at.exception]
    assert any("Rebuild it with `asb build`" in e.value for e in at.error), [e.value for e in at.error]
