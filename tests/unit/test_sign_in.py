"""Password sign-in hardening and session lifetimes (insight/access/auth.py), without Streamlit.

Throttling per user id and per client with a lockout, a bound on concurrent argon2 checks, the
demo users only on a demo build, and the maximum age and idle timeout of every sign-in (password
tokens and OpenID Connect claims). The pages (audit entries, messages) are in
tests/pages/test_sign_in_hardening.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from insight.access import auth
from insight.access import roles as access

ISSUER = "https://login.example.org/tenant-1/v2.0"
T0 = 1_900_000_000.0  # a fixed "now" for the clocks


@pytest.fixture(scope="module")
def users_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.toml"
    oidc = auth.Account("pat", access.COUNCIL_MANAGER, "E07000033", "Pat", email="pat@bolsover.example",
                        subject="sub-123", issuer=ISSUER)
    return auth.write_accounts(path, [*auth.demo_accounts(fast=True), oidc])


def _warehouse(path: Path, demo: bool | None) -> Path:
    con = duckdb.connect(str(path))
    extra = "" if demo is None else f", {str(demo).lower()} as demo"
    con.execute(f"create table etl_builds as select now()::timestamp as built_at, date '2026-10-31' as as_of_date{extra}")
    con.close()
    return path


@pytest.fixture
def demo_wh(tmp_path) -> Path:
    return _warehouse(tmp_path / "demo.duckdb", True)


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.delenv(auth.DEMO_USERS_ENV, raising=False)
    auth.ACCOUNTS.reset()
    auth.CLIENTS.reset()
    yield
    auth.ACCOUNTS.reset()
    auth.CLIENTS.reset()


# --- throttling ----------------------------------------------------------------------------------

def test__sign_in__locks_the_user_id_after_repeated_failures_from_any_client(users_file, demo_wh):
    for n in range(auth.ACCOUNT_MAX_FAILURES):
        result = auth.sign_in(users_file, "opcc.analyst", "guess", f"10.0.0.{n}", demo_wh, now=T0 + n)
        assert result.outcome == "wrong"
    assert result.locked_now == ("user",)
    right = auth.sign_in(users_file, "opcc.analyst", "demo-opcc", "10.9.9.9", demo_wh, now=T0 + 10)
    assert right.outcome == "locked" and right.account is None and "Too many failed sign-ins" in right.message
    other = auth.sign_in(users_file, "board.viewer", "demo-board", "10.0.0.1", demo_wh, now=T0 + 11)
    assert other.outcome == "ok"  # another user is not locked by this one
    later = auth.sign_in(users_file, "opcc.analyst", "demo-opcc", "10.9.9.9", demo_wh,
                         now=T0 + auth.LOCKOUT_SECONDS + 10)
    assert later.outcome == "ok"


def test__sign_in__locks_a_client_that_tries_many_user_ids(users_file, demo_wh):
    results = [auth.sign_in(users_file, f"user{n}", "guess", "203.0.113.7", demo_wh, now=T0 + n)
               for n in range(auth.CLIENT_MAX_FAILURES)]
    assert "client" in results[-1].locked_now and all(r.outcome == "wrong" for r in results)
    assert auth.sign_in(users_file, "board.viewer", "demo-board", "203.0.113.7", demo_wh, now=T0 + 30).outcome == "locked"
    assert auth.sign_in(users_file, "board.viewer", "demo-board", "198.51.100.1", demo_wh, now=T0 + 31).outcome == "ok"


def test__sign_in__failures_outside_the_window_do_not_add_up(users_file, demo_wh):
    for n in range(auth.ACCOUNT_MAX_FAILURES - 1):
        auth.sign_in(users_file, "opcc.analyst", "guess", "c", demo_wh, now=T0 + n)
    late = T0 + auth.FAILURE_WINDOW_SECONDS + 60
    assert auth.sign_in(users_file, "opcc.analyst", "guess", "c", demo_wh, now=late).locked_now == ()
    assert auth.sign_in(users_file, "opcc.analyst", "demo-opcc", "c", demo_wh, now=late + 1).outcome == "ok"


def test__authenticate__at_most_a_few_argon2_checks_at_once(users_file, monkeypatch):
    running, peak, lock = [0], [0], threading.Lock()
    verify = auth._verify

    def counting(password_hash, password):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.05)
            return verify(password_hash, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(auth, "_verify", counting)
    threads = [threading.Thread(target=auth.authenticate, args=(users_file, "opcc.analyst", "demo-opcc"))
               for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= peak[0] <= auth.MAX_CONCURRENT_HASHES


def test__sign_in__busy_when_every_check_slot_stays_taken(users_file, demo_wh, monkeypatch):
    monkeypatch.setattr(auth, "HASH_WAIT_SECONDS", 0.05)
    taken = [auth._HASH_SLOTS.acquire(timeout=1) for _ in range(auth.MAX_CONCURRENT_HASHES)]
    try:
        result = auth.sign_in(users_file, "opcc.analyst", "demo-opcc", "c", demo_wh)
    finally:
        for _ in taken:
            auth._HASH_SLOTS.release()
    assert result.outcome == "busy" and "try again" in result.message


# --- the demo users ------------------------------------------------------------------------------

@pytest.mark.parametrize("demo", [False, None])  # a production build, an older warehouse without the marker
def test__sign_in__demo_users_refused_on_a_warehouse_that_is_not_a_demo_build(users_file, tmp_path, demo):
    warehouse = _warehouse(tmp_path / "prod.duckdb", demo)
    result = auth.sign_in(users_file, "opcc.analyst", "demo-opcc", "c", warehouse)
    assert result.outcome == "demo" and result.account is None and "demo warehouse only" in result.message
    assert auth.viewer_for_token(users_file, auth.issue_token("opcc.analyst", demo=True), warehouse) is None


def test__sign_in__demo_users_on_a_demo_build(users_file, demo_wh):
    assert auth.demo_build(demo_wh) and not auth.demo_build(demo_wh.parent / "absent.duckdb")
    assert auth.sign_in(users_file, "opcc.analyst", "demo-opcc", "c", demo_wh).account.role == access.OPCC_ANALYST


# --- session lifetimes ---------------------------------------------------------------------------

def test__token__ends_when_idle_and_at_its_maximum_age(users_file):
    token = auth.issue_token("erewash.manager")
    now = time.time()
    assert auth.viewer_for_token(users_file, token, now=now).user_id == "erewash.manager"
    assert auth.viewer_for_token(users_file, token, now=now + auth.IDLE_TIMEOUT_SECONDS - 5) is not None
    idle = now + 2 * auth.IDLE_TIMEOUT_SECONDS
    assert auth.viewer_for_token(users_file, token, now=idle) is None
    assert auth.token_ended(token, now=idle) == "idle"
    fresh = auth.issue_token("erewash.manager")
    assert auth.token_ended(fresh, now=time.time() + auth.SESSION_MAX_AGE_SECONDS + 5) == "expired"


def _claims(**extra) -> dict:
    return {"is_logged_in": True, "iss": ISSUER, "sub": "sub-123", "iat": int(time.time())} | extra


def test__openid_connect__the_sign_in_ends_at_the_maximum_age_whatever_the_cookie(users_file):
    old = _claims(iat=int(time.time()) - auth.SESSION_MAX_AGE_SECONDS - 60)
    assert auth.account_for_claims(users_file, old).user_id == "pat"
    assert auth.viewer_for_claims(users_file, old) is None and auth.claims_ended(old) == "expired"
    assert auth.viewer_for_claims(users_file, _claims(iat=None)) is None  # no issue time: not trusted


def test__openid_connect__the_sign_in_ends_when_idle(users_file):
    claims = _claims(sub="sub-123", iat=int(time.time()) - 5)
    now = time.time()
    assert auth.viewer_for_claims(users_file, claims, now=now).user_id == "pat"
    assert auth.viewer_for_claims(users_file, claims, now=now + auth.IDLE_TIMEOUT_SECONDS + 60) is None
    auth.end_session(claims=claims)


@pytest.mark.parametrize("claims, expected", [
    ({"iss": ISSUER, "sub": "sub-123"}, "pat"),
    ({"iss": "https://other.example", "sub": "sub-123"}, None),  # the same subject at another provider
    ({"sub": "sub-123"}, None),  # no issuer
    ({"iss": ISSUER, "sub": "other", "email": "PAT@bolsover.example", "email_verified": True}, "pat"),
    ({"iss": ISSUER, "sub": "other", "email": "pat@bolsover.example"}, None),  # not said to be verified
    ({"iss": ISSUER, "sub": "other", "email": "pat@bolsover.example", "email_verified": "true"}, None),
    ({"iss": ISSUER, "sub": "other", "email": "pat@bolsover.example", "email_verified": False}, None),
    ({"iss": "https://other.example", "sub": "x", "email": "pat@bolsover.example", "email_verified": True}, None),
])
def test__account_for_claims__issuer_with_subject_or_verified_email(users_file, claims, expected):
    account = auth.account_for_claims(users_file, claims)
    assert (account.user_id if account else None) == expected


def test__add_account__an_openid_connect_user_needs_the_issuer(tmp_path):
    with pytest.raises(auth.UsersFileError, match="issuer"):
        auth.add_account(tmp_path / "u.toml", auth.Account("x", access.BOARD_VIEWER, subject="s"))


def test__token__refused_for_good_after_sign_out(users_file):
    """A token kept in the browser's session cookie must not outlive a sign-out (issue 16, item 6)."""
    token = auth.issue_token("opcc.analyst")
    assert auth.viewer_for_token(users_file, token) is not None
    auth.end_session(token)
    assert auth.viewer_for_token(users_file, token) is None
    assert auth.token_ended(token) == "signed_out" and "signed out" in auth.ENDED["signed_out"]
    other = auth.issue_token("opcc.analyst")  # a new sign-in of the same person lives
    assert auth.viewer_for_token(users_file, other) is not None


def test__ticket__spent_once_and_only_while_fresh():
    tickets = auth.Tickets()
    ticket = tickets.issue("token-a", now=1000.0)
    assert tickets.redeem(ticket, now=1000.0 + auth.TICKET_SECONDS) == "token-a"
    assert tickets.redeem(ticket, now=1001.0) is None  # spent
    late = tickets.issue("token-b", now=1000.0)
    assert tickets.redeem(late, now=1001.0 + auth.TICKET_SECONDS) is None
    assert tickets.redeem(None) is None and tickets.redeem("made-up") is None


@pytest.mark.parametrize(("origin", "host", "public", "allowed"), [
    (None, "dash.local:8501", None, True),                         # no Origin: not a browser's cross-site post
    ("http://dash.local:8501", "dash.local:8501", None, True),     # the page's own site
    ("https://evil.example", "dash.local:8501", None, False),
    ("https://dash.local:8501.evil.example", "dash.local:8501", None, False),
    ("http://dash.local:8501", None, None, False),                 # no Host to compare with
    # behind a reverse proxy that rewrites Host, the public address is named ($ASB_PUBLIC_ORIGIN)
    ("https://asb.derbyshire.example", "127.0.0.1:8501", None, False),
    ("https://asb.derbyshire.example", "127.0.0.1:8501", "https://asb.derbyshire.example", True),
    ("https://ASB.Derbyshire.example/", "127.0.0.1:8501", "https://asb.derbyshire.example/", True),
    ("https://asb.derbyshire.example", "127.0.0.1:8501", "https://other.example, https://asb.derbyshire.example", True),
    ("http://asb.derbyshire.example", "127.0.0.1:8501", "https://asb.derbyshire.example", False),   # scheme counts
    ("https://evil.example", "127.0.0.1:8501", "https://asb.derbyshire.example", False),
    ("null", "127.0.0.1:8501", "null", False),                       # a sandboxed page's origin is never named
])
def test__session_cookie__posted_from_the_site_itself_or_its_named_public_address(monkeypatch, origin, host, public,
                                                                                  allowed):
    """serve.py's cookie routes accept a post from the page's own site (Origin's host is the request's
    Host) or from an address $ASB_PUBLIC_ORIGIN names (a reverse proxy that rewrites Host made every
    sign-in there lose its cookie: 403), and from nowhere else."""
    if public is None:
        monkeypatch.delenv(auth.PUBLIC_ORIGIN_ENV, raising=False)
    else:
        monkeypatch.setenv(auth.PUBLIC_ORIGIN_ENV, public)
    assert auth.same_site(origin, host) is allowed


def test__add_account__an_id_that_differs_only_in_case_is_refused(tmp_path):
    """Sign-in matches ids exactly, but the lockout counts `pat` and `Pat` as one: two accounts so
    named would lock each other out, and which is which is easily mistaken. Refused (found by a
    black-box audit)."""
    path = tmp_path / "u.toml"
    auth.add_account(path, auth.Account("pat", access.BOARD_VIEWER))
    with pytest.raises(auth.UsersFileError, match="already exists"):
        auth.add_account(path, auth.Account("Pat ", access.BOARD_VIEWER))
