"""The dashboard as an ASGI app: `streamlit run serve.py` (scripts/demo.sh, the browser tests).

Streamlit serves dashboard.py as always; this adds two small routes for the session cookie, so a
reload, a new tab or an opened link keeps a password sign-in (insight/access/auth.py):

- `POST /_asb/session` with a one-time `ticket` (the page gets one right after signing in) sets
  `asb_session`: the sign-in token itself, HttpOnly (no script can read it), SameSite=Strict,
  Secure over HTTPS, for at most the sign-in's maximum age. A new session of the dashboard reads it
  and applies the same checks as any sign-in token (signature, maximum age, idle time, the account
  still in the users file, demo users only on a demo warehouse, not signed out).
- `POST /_asb/session/end` clears the cookie (sign-out ends the token on the server first).
- `GET /overview` goes to the root, where Streamlit serves the default page (it answered the
  Overview's own address with "Page not found").

A file Streamlit serves at `/media/...` (what a download button made: a list of people, a
board pack) is served only to a request whose sign-in still stands (insight/ui/media.py): its
address stays in the browser's download history, and Streamlit kept serving it to anyone for
minutes, with no cookie and after the sign-out (the sessions audit of 6 December 2026).

Both routes refuse a request whose Origin is another site (`auth.same_site`: the request's own Host, or
the public address $ASB_PUBLIC_ORIGIN names behind a reverse proxy that rewrites Host). At start the server imports what the pages use,
draws plotly's sample figures and runs the queries of the pages' first views (every authority,
the default period: the Overview's first, then Threshold near-misses, Hotspots and the others) in a
background thread (insight.ui.session.warm_up_imports), so the first visitor after a start does
not wait for them. Its HTML page names the front end's chunks that the first page after signing in
draws with, all but plotly's (insight/ui/chunks.py), so a new browser fetches them while the
sign-in form is shown.
`streamlit run dashboard.py` still works, without
the cookie (every reload then signs out, as before).
"""

from __future__ import annotations

import importlib
import threading

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from insight.access import auth
from insight.ui.chunks import PreloadChunks
from insight.ui.media import SignedInMedia


def _same_origin(request: Request) -> bool:
    return auth.same_site(request.headers.get("origin"), request.headers.get("host"))


async def remember(request: Request) -> Response:
    """Trade a one-time ticket for the HttpOnly session cookie."""
    if not _same_origin(request):
        return Response(status_code=403)
    form = await request.form()
    token = auth.TICKETS.redeem(form.get("ticket"))
    if token is None:
        return Response(status_code=403)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(auth.COOKIE_NAME, token, max_age=auth.SESSION_MAX_AGE_SECONDS, path="/",
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


async def forget(request: Request) -> Response:
    """Clear the session cookie (and end its token, in case the page could not)."""
    if not _same_origin(request):
        return Response(status_code=403)
    auth.end_session(request.cookies.get(auth.COOKIE_NAME))
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(auth.COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


async def overview(request: Request) -> Response:
    """`/overview`, the Overview's address in PAGES: Streamlit serves its default page at the root
    alone and answered this address with "Page not found"; sent to the root, its choices kept."""
    query = request.url.query
    return RedirectResponse("/" + (f"?{query}" if query else ""), status_code=307)


def _warm_up() -> None:
    importlib.import_module("insight.ui.session").warm_up_imports()


threading.Thread(target=_warm_up, name="asb-warm-up-start", daemon=True).start()
app = st.App("dashboard.py", routes=[Route("/_asb/session", remember, methods=["POST"]),
                                     Route("/_asb/session/end", forget, methods=["POST"]),
                                     Route("/overview", overview, methods=["GET", "HEAD"])],
             middleware=[Middleware(PreloadChunks), Middleware(SignedInMedia)])
