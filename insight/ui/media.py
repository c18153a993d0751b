"""Files Streamlit serves at `/media/...` only to a browser still signed in (serve.py).

What a download button makes (a list of people, another authority's figures, the board pack) is
stored by Streamlit and served at `/media/<hash>.<ext>` to anyone who has the address, for minutes,
with no cookie, after the sign-out too; the address stays in the browser's download history (the
sessions audit of 6 December 2026). `SignedInMedia` answers such a request with 403 unless it
carries a sign-in that still stands: the dashboard's session cookie (`auth.viewer_for_token`: not
signed out, idle, expired, nor its account removed or its password changed) or, for an OpenID
Connect sign-in, Streamlit's own signed identity cookie, whose claims must still map to an
account and whose session must not have ended (`auth.viewer_for_claims`), and that sign-in must be
the one the file was made for: a download's callable records whom it made its bytes for (`own`,
by the id Streamlit gives them), and the file is served to that user, in that role, alone. Any
signed-in user with the address was served another's list of people (the roles audit of
7 December 2026: the OPCC analyst's "This week" CSV to a board viewer's cookie). The pages put
nothing else under /media (no audio or video; the board pack's slide previews are data URLs), so a
file made for no one is refused.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict

from starlette.requests import Request
from starlette.responses import Response

from insight import db
from insight.access import auth
from insight.access import roles as access

MEDIA_PREFIX = "/media/"
OWNED_MOST = 50_000   # files whose maker is kept; the oldest forgotten first (then refused to all)
_OWNED: OrderedDict[str, set[tuple]] = OrderedDict()
_OWNED_LOCK = threading.Lock()
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


def _identity(viewer: access.Viewer) -> tuple:
    return viewer.user_id, viewer.role, viewer.authority_code


def file_id(data: bytes, mimetype: str, file_name: str | None) -> str:
    """The id under which Streamlit serves `data` at /media/<id>.<ext>: its media storage's own
    function (a download button's mimetype and file name are part of it)."""
    from streamlit.runtime.memory_media_file_storage import _calculate_file_id

    return _calculate_file_id(data, mimetype, file_name)


def own(data: bytes, mimetype: str, file_name: str | None, viewer: access.Viewer) -> str:
    """Record that the file Streamlit makes of `data` is `viewer`'s (called by a download's callable,
    with the bytes it returns); returns its id."""
    found = file_id(data, mimetype, file_name)
    with _OWNED_LOCK:
        _OWNED.setdefault(found, set()).add(_identity(viewer))
        _OWNED.move_to_end(found)
        while len(_OWNED) > OWNED_MOST:
            _OWNED.popitem(last=False)
    return found


def may_fetch(path: str, viewer: access.Viewer | None) -> bool:
    """Whether `viewer` (None: no sign-in that stands) may fetch the /media file at `path`."""
    if viewer is None:
        return False
    with _OWNED_LOCK:
        owners = _OWNED.get(path[len(MEDIA_PREFIX):].split(".", 1)[0], set())
        return _identity(viewer) in owners


class SignedInMedia:
    """ASGI middleware: a GET or HEAD of `/media/...` without a sign-in that still stands, or by
    another than the one the file was made for (`may_fetch`), gets 403; every other request passes
    untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if (scope["type"] == "http" and scope.get("path", "").startswith(MEDIA_PREFIX)
                and not may_fetch(scope["path"], signed_in_viewer(Request(scope).cookies))):
            await Response(status_code=403, headers={"Cache-Control": "no-store"})(scope, receive, send)
            return
        await self.app(scope, receive, send)
