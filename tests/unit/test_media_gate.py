"""A download's file at /media/... is served only to a request whose sign-in still stands
(insight/ui/media.py, serve.py): Streamlit served it to anyone with its address for minutes, with
no cookie and after the sign-out (the sessions audit of 6 December 2026). Driven at the ASGI level
through a real Starlette app behind the middleware; the browser test of a real download is in
tests/browser/test_browser_sign_in.py."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from streamlit import config as st_config
from streamlit.web.server.starlette import starlette_app_utils

from insight.access import audit, auth
from insight.access import roles as access
from insight.ui import media

ISSUER = "https://login.example.org/v2.0"
SECRET = "a-cookie-secret-for-this-test-0123456789"


@pytest.fixture
def users(tmp_path, monkeypatch):
    monkeypatch.setenv(audit.AUDIT_ENV, str(tmp_path / "audit.sqlite"))
    path = auth.write_accounts(tmp_path / "users.toml", [
        auth.Account("erewash.manager", access.COUNCIL_MANAGER, "E07000036", "Evan",
                     auth.hash_password("a long password here", fast=True)),
        auth.Account("pat", access.BOARD_VIEWER, None, "Pat", email="pat@derby.example", subject="s-1",
                     issuer=ISSUER)])
    monkeypatch.setenv(auth.USERS_ENV, str(path))
    monkeypatch.setattr(auth, "SESSIONS", auth.Sessions())
    previous = st_config.get_option("server.cookieSecret")
    st_config.set_option("server.cookieSecret", SECRET)
    yield path
    st_config.set_option("server.cookieSecret", previous)


def _get(path: str, cookies: dict[str, str] | None = None) -> int:
    """The status of a GET of `path` through the middleware, in front of an app that serves anything."""
    inner = Starlette(routes=[Route("/{rest:path}", lambda request: PlainTextResponse("the file"))])
    app = media.SignedInMedia(inner)
    header = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"cookie", header.encode("latin-1"))] if header else [], "scheme": "http",
             "server": ("localhost", 80), "client": ("127.0.0.1", 5), "root_path": "", "http_version": "1.1"}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


def _identity(claims: dict) -> str:
    return starlette_app_utils.create_signed_value(SECRET, media.STREAMLIT_USER_COOKIE, json.dumps(claims)).decode()


EREWASH = access.Viewer("erewash.manager", access.COUNCIL_MANAGER, "E07000036", "Evan")


def test__media__only_with_a_sign_in_that_still_stands(users):
    token = auth.issue_token("erewash.manager")
    file = f"/media/{media.own(b'a list', 'text/csv', 'list.csv', EREWASH)}.csv"
    assert _get(file) == 403                                     # the address alone, as from a history
    assert _get(file, {auth.COOKIE_NAME: "forged"}) == 403
    assert _get(file, {auth.COOKIE_NAME: token}) == 200
    assert _get("/other/page", {}) == 200 and _get("/", {}) == 200   # nothing else is gated
    auth.end_session(token)                                      # signed out
    assert _get(file, {auth.COOKIE_NAME: token}) == 403
    other = auth.issue_token("erewash.manager")
    auth.write_accounts(users, [a for a in auth.load_accounts(users).values() if a.user_id != "erewash.manager"])
    assert _get(file, {auth.COOKIE_NAME: other}) == 403          # the account removed


def test__media__only_for_the_sign_in_it_was_made_for(users):
    """Any signed-in user was served another's file by its address (the roles audit of 7 December
    2026: the OPCC analyst's list of people to a board viewer's cookie): a file is now served to the
    user, in the role, it was made for, and a file made for no one to nobody."""
    auth.write_accounts(users, [*auth.load_accounts(users).values(), auth.Account(
        "derby.manager", access.COUNCIL_MANAGER, "E06000015", "Dee", auth.hash_password("another long one", fast=True))])
    erewash, derby = auth.issue_token("erewash.manager"), auth.issue_token("derby.manager")
    made = media.own(b"erewash's list", "text/csv", "list.csv", EREWASH)
    assert made == media.file_id(b"erewash's list", "text/csv", "list.csv")
    assert _get(f"/media/{made}.csv", {auth.COOKIE_NAME: erewash}) == 200
    assert _get(f"/media/{made}.csv", {auth.COOKIE_NAME: derby}) == 403          # another user's cookie
    assert _get("/media/0123abcd.csv", {auth.COOKIE_NAME: erewash}) == 403       # made for no one
    same = media.own(b"erewash's list", "text/csv", "list.csv",
                     access.Viewer("derby.manager", access.COUNCIL_MANAGER, "E06000015"))
    assert same == made and _get(f"/media/{made}.csv", {auth.COOKIE_NAME: derby}) == 200  # the same bytes for both
    # made for the same user in another role (a manager since made a board viewer): not that sign-in's
    other_role = media.own(b"a pack", "application/pdf", "pack.pdf", access.Viewer("erewash.manager", access.BOARD_VIEWER))
    assert _get(f"/media/{other_role}.pdf", {auth.COOKIE_NAME: erewash}) == 403


def test__media__the_oldest_files_are_forgotten_past_the_limit(users, monkeypatch):
    monkeypatch.setattr(media, "OWNED_MOST", 3)
    token = auth.issue_token("erewash.manager")
    made = [media.own(f"file {n}".encode(), "text/csv", "f.csv", EREWASH) for n in range(4)]
    assert [_get(f"/media/{m}.csv", {auth.COOKIE_NAME: token}) for m in made] == [403, 200, 200, 200]


def test__media__an_openid_connect_sign_in_by_streamlit_s_signed_cookie(users):
    claims = {"is_logged_in": True, "iss": ISSUER, "sub": "s-1", "email": "pat@derby.example",
              "iat": int(time.time()), "origin": "http://localhost"}
    file = f"/media/{media.own(b'a pack', 'application/pdf', 'pack.pdf', access.Viewer('pat', access.BOARD_VIEWER))}.pdf"
    assert _get(file, {media.STREAMLIT_USER_COOKIE: _identity(claims)}) == 200
    assert _get(file, {media.STREAMLIT_USER_COOKIE: _identity({**claims, "sub": "s-9", "email": "x@y.example"})}) == 403
    forged = starlette_app_utils.create_signed_value("another secret", media.STREAMLIT_USER_COOKIE,
                                                     json.dumps(claims)).decode()
    assert _get(file, {media.STREAMLIT_USER_COOKIE: forged}) == 403
    auth.end_session(None, claims)                               # signed out
    assert _get(file, {media.STREAMLIT_USER_COOKIE: _identity(claims)}) == 403
