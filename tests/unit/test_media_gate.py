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


def test__media__only_with_a_sign_in_that_still_stands(users):
    token = auth.issue_token("erewash.manager")
    file = "/media/0123abcd.csv"
    assert _get(file) == 403                                     # the address alone, as from a history
    assert _get(file, {auth.COOKIE_NAME: "forged"}) == 403
    assert _get(file, {auth.COOKIE_NAME: token}) == 200
    assert _get("/other/page", {}) == 200 and _get("/", {}) == 200   # nothing else is gated
    auth.end_session(token)                                      # signed out
    assert _get(file, {auth.COOKIE_NAME: token}) == 403
    other = auth.issue_token("erewash.manager")
    auth.write_accounts(users, [a for a in auth.load_accounts(users).values() if a.user_id != "erewash.manager"])
    assert _get(file, {auth.COOKIE_NAME: other}) == 403          # the account removed


def test__media__an_openid_connect_sign_in_by_streamlit_s_signed_cookie(users):
    claims = {"is_logged_in": True, "iss": ISSUER, "sub": "s-1", "email": "pat@derby.example",
              "iat": int(time.time()), "origin": "http://localhost"}
    file = "/media/0123abcd.pdf"
    assert _get(file, {media.STREAMLIT_USER_COOKIE: _identity(claims)}) == 200
    assert _get(file, {media.STREAMLIT_USER_COOKIE: _identity({**claims, "sub": "s-9", "email": "x@y.example"})}) == 403
    forged = starlette_app_utils.create_signed_value("another secret", media.STREAMLIT_USER_COOKIE,
                                                     json.dumps(claims)).decode()
    assert _get(file, {media.STREAMLIT_USER_COOKIE: forged}) == 403
    auth.end_session(None, claims)                               # signed out
    assert _get(file, {media.STREAMLIT_USER_COOKIE: _identity(claims)}) == 403
