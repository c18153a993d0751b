"""Files Streamlit serves at `/media/...` only to a browser still signed in (serve.py).

What a download button makes (a list of people, another authority's figures, the board pack) is
stored by Streamlit and served at `/media/<hash>.<ext>` to anyone who has the address, for minutes,
with no cookie, after the sign-out too; the address stays in the browser's download history (the
sessions audit of 6 December 2026). `SignedInMedia` answers such a request with 403 unless it
carries a sign-in that still stands: the dashboard's session cookie (`auth.viewer_for_token`: not
signed out, idle, expired, nor its account removed or its password changed) or, for an OpenID
Connect sign-in, Streamlit's own signed identity cookie, whose claims must still map to an
account and whose session must not have ended (`auth.viewer_for_claims`). The pages put nothing
else under /media (no image, audio or video).
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import Response

from insight import db
from insight.access import auth
from insight.access import roles as access

MEDIA_PREFIX = "/media/"
STREAMLIT_USER_COOKIE = "_streamlit_user"   # streamlit.web.server.server_util.AUTH_COOKIE_NAME
_LOG = logging.getLogger("asb.dashboard")


def _openid_connect_claims(cookies: dict[str, str]) -> dict:
    """The claims of Streamlit's signed identity cookie, {} when there is none or it does not verify.
    Streamlit reads it with a function of its own server (chunked cookies, its cookie secret):
    should a later Streamlit move it, an OpenID Connect user's download is refused, and the
    server's log says why."""
    if not any(name.startswith(STREAMLIT_USER_COOKIE) for name in cookies):
        return {}
    try:
        from streamlit.web.server.starlette.starlette_websocket import _get_signed_cookie_with_chunks

        raw = _get_signed_cookie_with_chunks(cookies, STREAMLIT_USER_COOKIE)
        claims = json.loads(raw) if raw else {}
    except Exception as exc:   # a Streamlit without that function, an unreadable cookie
        _LOG.warning("a download's OpenID Connect sign-in could not be read: %s", exc)
        return {}
    return claims if isinstance(claims, dict) else {}


def signed_in_viewer(cookies: dict[str, str]) -> access.Viewer | None:
    """The viewer whose sign-in a request's cookies hold and that still stands, else None."""
    try:
        users = auth.users_path()
        token = cookies.get(auth.COOKIE_NAME)
        if token:
            found = auth.viewer_for_token(users, token, db.warehouse_path())
            if found is not None:
                return found
        claims = _openid_connect_claims(cookies)
        return auth.viewer_for_claims(users, claims) if claims.get("is_logged_in") else None
    except auth.UsersFileError:
        return None


class SignedInMedia:
    """ASGI middleware: a GET or HEAD of `/media/...` without a sign-in that still stands gets 403;
    every other request passes untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if (scope["type"] == "http" and scope.get("path", "").startswith(MEDIA_PREFIX)
                and signed_in_viewer(Request(scope).cookies) is None):
            await Response(status_code=403, headers={"Cache-Control": "no-store"})(scope, receive, send)
            return
        await self.app(scope, receive, send)
