"""Sign-in throttling in the real browser: a served dashboard (its own audit file) driven by Chromium.

Five wrong passwords for one user lock it out: the right password is then refused too, nothing
of the dashboard shows, and the failures and the lockout are in the audit log.
"""

from __future__ import annotations

import sqlite3

import pytest
from support import serve, signed_in

from insight import ui
from insight.access import audit, auth

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
