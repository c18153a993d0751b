"""Sign-in throttling in the real browser: a served dashboard (its own audit file) driven by Chromium.

Five wrong passwords for one user lock it out: the right password is then refused too, nothing
of the dashboard shows, and the failures and the lockout are in the audit log.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from support import record_runs, serve, settle, signed_in, wait_for_run

from insight import ui
from insight.access import audit, auth
from insight.ui import chunks

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(demo_warehouse, tmp_path_factory):
    """(base URL, audit file) of a server on the demo warehouse writing its own audit log."""
    folder = tmp_path_factory.mktemp("sign_in_server")
    path = folder / "audit.sqlite"
    for url in serve(demo_warehouse, folder / "streamlit.log", env={audit.AUDIT_ENV: str(path)}):
        yield url, path


def _denied(path) -> list[str]:
    if not path.exists():
        return []
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("select what from audit_log where action = 'denied' order by seq")]
    finally:
        con.close()


def _attempt(page, path, user_id: str, password: str) -> None:
    """Fill and submit the form, then wait until the server has logged the refusal."""
    before = len(_denied(path))
    page.get_by_label("User", exact=True).fill(user_id)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    for _ in range(120):
        if len(_denied(path)) > before:
            break
        page.wait_for_timeout(500)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)


def test__sign_in__repeated_wrong_passwords_lock_the_user_out(site, page):
    url, path = site
    auth_user = "board.viewer"
    signed_in(page, url + "/", user=None)
    for n in range(auth.ACCOUNT_MAX_FAILURES):
        _attempt(page, path, auth_user, f"guess {n}")
    page.get_by_text("Too many failed sign-ins").first.wait_for(timeout=30_000)
    _attempt(page, path, auth_user, auth.DEMO_USERS["board"][1])  # the right password, during the lockout
    page.get_by_text("Too many failed sign-ins").first.wait_for(timeout=30_000)
    assert page.get_by_text(ui.ATTRIBUTION).count() == 0 and page.get_by_text("Authorities").count() == 0
    whats = _denied(path)
    assert whats.count("password sign-in: wrong") == auth.ACCOUNT_MAX_FAILURES
    assert "password sign-in: lockout of the user" in whats and whats[-1] == "password sign-in: locked"


def test__sign_in__one_script_run_draws_the_page(site, page):
    """Issue 16, item 8: a password sign-in is one script run, straight to the page the address
    names: the form is handled in its button's callback, before the run, so no run draws the sign-in
    page again only to stop for a rerun (each run a round trip and a garbage collection). The session
    cookie is still set (its ticket posted by that one run)."""
    url, _ = site
    runs = record_runs(page)
    signed_in(page, url + "/", user=None)
    runs.clear()
    user_id, password, *_ = auth.DEMO_USERS["erewash"]
    page.get_by_label("User", exact=True).fill(user_id)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    _signed_in_as(page, auth.DEMO_USERS["erewash"][4])
    wait_for_run(page)
    assert runs == [ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY], runs
    _wait_for_cookie(page)
    assert _cookie(page) and _cookie(page)["httpOnly"]


def test__sign_in__a_new_browser_has_the_pages_chunks_before_it_signs_in(site, page):
    """Issue 16, item 8: a new browser fetched some 45 chunks of Streamlit's front end (6.5 MB,
    plotly's 4.6 MB) only after its first sign-in, while the first page waited for them to draw its
    charts and tables. The app's page now names them but plotly's (a `Link: rel=modulepreload`
    header, insight/ui/chunks.py), so they are fetched while the sign-in form is shown and the first
    page after signing in fetches none of them, in the browser (Chromium honours the header)."""
    url, _ = site
    fetched, phase = [], ["sign-in page"]
    page.on("requestfinished", lambda request: fetched.append((phase[0], request.url.rsplit("/", 1)[-1])))
    page.context.clear_cookies()
    response = page.goto(url + "/")
    assert "rel=modulepreload" in (response.headers.get("link") or "")
    page.get_by_role("button", name="Sign in", exact=True).wait_for(timeout=60_000)
    files = set(chunks.chunk_files())
    for _ in range(120):   # a person types their user and password meanwhile
        if files <= {name for _, name in fetched}:
            break
        page.wait_for_timeout(250)
    user_id, password, *_ = auth.DEMO_USERS["opcc"]
    page.get_by_label("User", exact=True).fill(user_id)
    page.get_by_label("Password", exact=True).fill(password)   # (typing loads the form's own chunks)
    settle(page)
    phase[0] = "after the sign-in click"
    page.get_by_role("button", name="Sign in", exact=True).click()
    _signed_in_as(page, auth.DEMO_USERS["opcc"][4])
    wait_for_run(page)
    assert page.locator('[data-testid="stPlotlyChart"]').count() and page.locator('[data-testid="stDataFrame"]').count()
    before = {name for when, name in fetched if when == "sign-in page"}
    after = {name for when, name in fetched if when != "sign-in page"}
    assert files <= before and any(f.startswith("DataFrame.") for f in files)
    assert not (files & after), sorted(files & after)
    # and nothing else of the front end but plotly's chunk was left to fetch for the first page (a
    # chunk missing from chunks.PRELOADED_CHUNKS, e.g. after a Streamlit upgrade, shows here)
    assert [name.split(".")[0] for name in after if name.endswith(".js")] == ["PlotlyChart"], sorted(after)


def _cookie(page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == auth.COOKIE_NAME), None)


def _wait_for_cookie(page, present: bool = True) -> None:
    """Wait (up to 10 s) until the session cookie is set (the page trades its ticket for it after
    a sign-in), or gone (after a sign-out)."""
    for _ in range(40):
        if (_cookie(page) is not None) == present:
            return
        page.wait_for_timeout(250)


def _signed_in_as(page, name: str) -> None:
    page.get_by_text("Signed in as").first.wait_for(timeout=60_000)
    assert name in page.locator('[data-testid="stSidebar"]').inner_text()


def test__session__a_reload_a_new_tab_and_a_link_keep_the_sign_in_until_sign_out(site, page):
    """Issue 16, item 6: the sign-in lives in an HttpOnly, SameSite=Strict cookie that no script
    can read; a reload, a second tab and an opened link keep it (audited as a sign-in by session
    cookie); sign-out ends it on the server and clears the cookie, and the old cookie value is
    refused afterwards."""
    url, path = site
    signed_in(page, url + "/appeals", user="derby")
    _wait_for_cookie(page)
    cookie = _cookie(page)
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    assert auth.COOKIE_NAME not in page.evaluate("() => document.cookie")
    name = auth.DEMO_USERS["derby"][4]
    page.reload()
    _signed_in_as(page, name)
    assert page.get_by_text("Needs action", exact=True).first.is_visible()  # the page the address names
    other = page.context.new_page()  # a second tab, a shared link to another page
    other.goto(url + "/turnaround?start=2026-01-01&end=2026-06-30")
    _signed_in_as(other, name)
    other.get_by_text("Review turnaround", exact=True).first.wait_for(timeout=60_000)
    con = sqlite3.connect(path)
    resumed = con.execute("select count(*) from audit_log where action = 'sign_in' and what = 'session cookie' "
                          "and user_id = ?", [auth.DEMO_USERS["derby"][0]]).fetchone()[0]
    con.close()
    assert resumed >= 2
    other.close()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in", exact=True).wait_for(timeout=60_000)
    _wait_for_cookie(page, present=False)
    assert _cookie(page) is None
    page.context.add_cookies([cookie])  # the old value, replayed: ended on the server
    page.reload()
    page.get_by_role("button", name="Sign in", exact=True).wait_for(timeout=60_000)
    assert page.get_by_text("Signed in as").count() == 0


def test__session__a_ticket_is_needed_and_spent_once(site):
    """The cookie route sets nothing without a live ticket, and refuses another site's request."""
    import urllib.error
    import urllib.request

    url, _ = site
    token = auth.issue_token(auth.DEMO_USERS["opcc"][0])

    def post(path: str, data: bytes, origin: str | None = None) -> tuple[int, str]:
        request = urllib.request.Request(url + path, data=data, method="POST")
        if origin:
            request.add_header("Origin", origin)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers.get("Set-Cookie") or ""
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Set-Cookie") or ""

    assert post("/_asb/session", b"ticket=made-up") == (403, "")
    assert post("/_asb/session", b"") == (403, "")
    assert post("/_asb/session", b"ticket=x", origin="https://evil.example") == (403, "")
    assert post("/_asb/session/end", b"", origin="https://evil.example")[0] == 403
    # a ticket issued in this test process is unknown to the server's process: refused too
    assert post("/_asb/session", b"ticket=" + auth.TICKETS.issue(token).encode())[0] == 403


def test__session__a_tab_left_open_after_a_sign_out_elsewhere_answers_nothing_more(site, page):
    """A sign-out in one tab ends the sign-in of the other tabs that share its cookie: a click in a
    fragment of a tab left open on Hotspots (a postcode search in the map's panel, which reruns the
    fragment alone, not the dashboard's sign-in gate) drew the area's trend and busiest places, and
    logged the views with no user (the sessions audit of 6 December 2026). It now shows the sign-in
    page, and nothing is logged without a user."""
    url, path = site
    signed_in(page, url + "/", user="erewash")
    _wait_for_cookie(page)
    other = page.context.new_page()
    other.goto(url + "/maps")
    _signed_in_as(other, auth.DEMO_USERS["erewash"][4])
    wait_for_run(other)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in", exact=True).wait_for(timeout=60_000)
    con = sqlite3.connect(path)
    after = con.execute("select max(seq) from audit_log").fetchone()[0]
    con.close()
    other.get_by_role("textbox", name="Find a postcode or street").fill("DE7 5RP")
    other.get_by_role("button", name="Find", exact=True).click()
    other.get_by_role("button", name="Sign in", exact=True).wait_for(timeout=60_000)
    assert other.get_by_text("Signed in as").count() == 0
    assert other.get_by_text("is in Erewash").count() == 0
    con = sqlite3.connect(path)
    since = con.execute("select user_id, action, what from audit_log where seq > ?", [after]).fetchall()
    con.close()
    assert all(user for user, _, _ in since), since
    other.close()


def test__session__a_download_s_address_serves_nothing_without_the_sign_in(site, page):
    """A download's file stays at its /media/ address (the browser's download history keeps it):
    Streamlit served it to anyone for minutes, with no cookie and after the sign-out (the sessions
    audit of 6 December 2026). Now only to the browser still signed in (insight/ui/media.py), as the
    user it was made for: another user signed in elsewhere gets nothing from the address."""
    import urllib.error
    import urllib.request

    url, _ = site
    other = page.context.browser.new_context()   # another user, signed in elsewhere (a file unused by any
    elsewhere = other.new_page()                 # session is pruned when the next run of any session ends)
    signed_in(elsewhere, url + "/", user="derby")
    _wait_for_cookie(elsewhere)
    signed_in(page, url + "/maps", user="erewash")
    _wait_for_cookie(page)
    button = page.get_by_role("button", name=re.compile(r"Download [\d,]+ places? as CSV"))
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    address = info.value.url
    assert "/media/" in address and info.value.path().stat().st_size > 0
    assert page.request.get(address).status == 200            # the signed-in browser
    with pytest.raises(urllib.error.HTTPError) as refused:     # the address alone
        urllib.request.urlopen(address, timeout=30)
    assert refused.value.code == 403
    assert elsewhere.request.get(address).status == 403   # was 200 (the roles audit of 7 December 2026)
    other.close()
    cookie = _cookie(page)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in", exact=True).wait_for(timeout=60_000)
    page.context.add_cookies([cookie])                         # the old cookie, replayed
    assert page.request.get(address).status == 403
