"""Streamlit glue for roles, sign-in and the audit log.

`viewer()` re-derives the signed-in person on every call: from Streamlit's verified `st.user`
claims when an OpenID Connect provider signed them in, else from the signed token a local
sign-in left in the session (see insight/access/auth.py); nothing a URL or a widget can write is trusted.
`navigation()` gives each role its pages (a signed-out visitor gets the sign-in page at every
address, so a link still opens its page once signed in); `sign_in_panel()` and `account_box()`
draw the sign-in page and the sidebar's "signed in as"; `check_rows()`, `record_view()` and
`export_data()` are what `ui.load` and `ui.download_csv` use to refuse and to audit. What a person
types (a search box's text: a postcode, a name, a reference) never reaches the log: the arguments
logged pass through `logged_arguments`, which keeps codes, dates and the person key and puts
"(typed text, N characters)" in place of any other text.
Password sign-ins are throttled per user id and per client (`auth.sign_in`), and every sign-in,
failed sign-in and lockout is audited; a sign-in ends after its maximum age or when idle, for an
OpenID Connect sign-in too (Streamlit's own cookie lasts 30 days). `warn_loose_files()` tells
the OPCC analyst (and the server log) when a secret or data file can be read by other users.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import inspect
import logging
import os
import threading
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.state import get_session_state

from insight import db
from insight.access import audit, auth
from insight.access import roles as access
from insight.ui import media

SIGN_IN_PAGE = "app_pages/sign_in.py"
CLIENT_HEADER_ENV = "ASB_CLIENT_HEADER"  # e.g. X-Forwarded-For, set by a reverse proxy in front
_TOKEN_KEY, _PAGE_KEY, _SEEN_KEY = "auth_token", "auth_page", "auth_audited"
_ENDED_KEY, _OIDC_KEY = "auth_ended", "auth_oidc_audited"
_COOKIE_KEY = "auth_cookie"  # what the page must still ask the server to do with the cookie: a ticket, or "end"
_RESUMED_KEY = "auth_cookie_tried"  # this session already looked at the cookie
_REFUSED_KEY = "auth_refused"  # why the password form's last submission was refused, for the form to show
_CLOSED_KEY = "auth_closed_page"  # the title of a page just asked for that the role may not open
_AUDIT_ATTR = "asb_audit"
_LOG = logging.getLogger("asb.dashboard")
_WARNED: set[str] = set()


def _claims() -> dict:
    try:
        return st.user.to_dict()
    except Exception:  # no script run context, or an st.user that cannot be read
        return {}


def viewer() -> access.Viewer | None:
    """The signed-in viewer of this run, or None (also when the sign-in has ended)."""
    claims = _claims()
    try:
        if claims.get("is_logged_in"):
            found = auth.viewer_for_claims(auth.users_path(), claims)
            if not _audit_openid_connect(claims, found):
                st.session_state[_REFUSED_KEY] = UNAUDITED  # no sign-in that the log does not hold
                return None
            return found
        if _TOKEN_KEY not in st.session_state:
            _resume_from_cookie()
        found = auth.viewer_for_token(auth.users_path(), st.session_state.get(_TOKEN_KEY), db.warehouse_path())
        if found is None and _TOKEN_KEY in st.session_state:
            ended = auth.token_ended(st.session_state.pop(_TOKEN_KEY), path=auth.users_path())
            if ended:
                st.session_state[_ENDED_KEY] = ended
        return found
    except auth.UsersFileError:
        return None


def _resume_from_cookie() -> None:
    """A new session (a reload, a new tab, an opened link) takes the sign-in its browser's HttpOnly
    session cookie holds, once, when that token still passes every check of `viewer_for_token`;
    logged as a sign-in ("session cookie")."""
    if st.session_state.get(_RESUMED_KEY):
        return
    st.session_state[_RESUMED_KEY] = True
    try:
        token = st.context.cookies.get(auth.COOKIE_NAME)
    except Exception:  # no script run context (bare mode)
        return
    found = auth.viewer_for_token(auth.users_path(), token, db.warehouse_path()) if token else None
    if found is None:
        return
    if not _record(found, "sign_in", st.session_state.get(_PAGE_KEY, ""), "session cookie",
                   audit.filters_json({"client": client()})):
        st.session_state[_REFUSED_KEY] = UNAUDITED  # no sign-in that the log does not hold
        return
    st.session_state[_TOKEN_KEY] = token
    st.session_state[_SEEN_KEY] = set()


def keep_cookie() -> None:
    """Ask the server (serve.py) to set the session cookie after a sign-in, or to clear it after a
    sign-out: a script posts the one-time ticket, never the token. Called on every run; draws nothing
    when there is nothing to do, or when the app runs without serve.py (the post then fails quietly)."""
    pending = st.session_state.pop(_COOKIE_KEY, None)
    if pending is None:
        return
    if pending == "end":
        script = "fetch('/_asb/session/end', {method: 'POST', credentials: 'same-origin'}).catch(() => {});"
    else:
        script = ("fetch('/_asb/session', {method: 'POST', credentials: 'same-origin', body: new URLSearchParams("
                  f"{{ticket: '{pending}'}})}}).catch(() => {{}});")
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True, width="content")


def _audit_openid_connect(claims: dict, found: access.Viewer | None) -> bool:
    """Log an OpenID Connect sign-in once per session: as sign_in, or as denied when it maps to no
    account or has ended; False when the log cannot be written."""
    if st.session_state.get(_OIDC_KEY) == (claims.get("sub"), found is not None):
        return True
    details = audit.filters_json({"issuer": claims.get("iss"), "subject": claims.get("sub"), "client": client()})
    if found is not None:
        done = _record(found, "sign_in", st.session_state.get(_PAGE_KEY, ""), "openid_connect", details)
    else:
        why = auth.claims_ended(claims, touch=False) if auth.account_for_claims(auth.users_path(), claims) else None
        done = _record(None, "denied", st.session_state.get(_PAGE_KEY, ""),
                       f"openid_connect: {'sign-in ' + why if why else 'no account'}", details)
    if done:  # logged once per session; until it is, every run tries again
        st.session_state[_OIDC_KEY] = (claims.get("sub"), found is not None)
    return done


def client() -> str:
    """Who is asking, for throttling and the audit log: the header a reverse proxy sets
    ($ASB_CLIENT_HEADER), else the connection's address, else "local" (localhost or unknown)."""
    try:
        header = os.environ.get(CLIENT_HEADER_ENV)
        value = st.context.headers.get(header) if header else None
        if isinstance(value, str) and value.strip():
            return value.split(",")[0].strip()[:100]
        address = st.context.ip_address
        return address if isinstance(address, str) and address else "local"
    except Exception:  # no script run context
        return "local"


def navigation(pages: list, viewer_: access.Viewer | None):
    """st.navigation over the pages this viewer may open; the sign-in page when signed out."""
    if viewer_ is None:
        stand_ins = [st.Page(SIGN_IN_PAGE, title="Sign in", icon=":material/login:",
                             url_path=p.url_path or "sign_in", default=not p.url_path) for p in pages]
        page = st.navigation(stand_ins, position="hidden")
    else:
        mine = [p for p in pages if access.may_open(viewer_, p.url_path)]
        # a page of another role's, asked for by its address (a link, a bookmark): a hidden stand-in
        # that logs the refusal and opens the first page of the viewer's own, saying why (without
        # it Streamlit says "page not found", as for a mistyped address)
        closed = [st.Page(_closed_page(viewer_, p, mine[0]), title=p.title, icon=p.icon, url_path=p.url_path,
                          visibility="hidden") for p in pages if p not in mine and p.url_path]
        page = st.navigation(mine + closed)
        title = st.session_state.pop(_CLOSED_KEY, None)
        if title and page in mine:
            st.info(f"**{title}** is not open to your role ({viewer_.label}), so {page.title} is shown instead. "
                    "The pages open to you are listed in the sidebar.", icon=":material/lock:")
    st.session_state[_PAGE_KEY] = page.url_path
    return page


def _closed_page(viewer_: access.Viewer, page, instead):
    """The stand-in run for `page` when this viewer may not open it: log the refusal and switch to
    `instead`, whose run says why (`navigation`)."""
    def closed() -> None:
        _record(viewer_, "denied", page.url_path, "page not open to the role")
        st.session_state[_CLOSED_KEY] = page.title
        st.switch_page(instead)
    closed.__name__ = f"closed_{page.url_path}"
    return closed


def _providers() -> list[str]:
    """The OpenID Connect providers configured in .streamlit/secrets.toml ([auth] section)."""
    if not st.secrets.load_if_toml_exists():
        return []
    section = st.secrets.get("auth", {})
    named = [name for name, value in section.items() if hasattr(value, "get") and value.get("client_id")]
    return named or (["default"] if section.get("client_id") else [])


# The libraries and modules the pages use, imported once per server process when the server starts
# (serve.py) or, at the latest, while the sign-in page waits for a password, so the first page a
# person opens after a server start does not pay for them (about 0.3-0.5 s of the first sign-in's
# Overview, and the first Hotspots and Threshold pages); then plotly's validators and Streamlit's
# first-element checks (`run` below; streamlit.emojis: the page icon, 0.15 s).
_WARM_MODULES = ("streamlit.emojis", "plotly.express", "plotly.graph_objects", "insight.charts.base",
                 "insight.charts.svg_map", "insight.charts.maps", "insight.charts.vector_map", "insight.charts.threshold",
                 "insight.charts.reviews", "insight.charts.actions", "insight.ui.vector_map",
                 "insight.queries.overview", "insight.queries.maps", "insight.queries.threshold",
                 "insight.queries.turnaround", "insight.queries.appeals", "insight.queries.partnership",
                 "insight.queries.quality", "insight.queries.actions")
_WARMED = threading.Event()


WARM_UP_STOP = threading.Event()   # set at exit: a warm-up stops before its next query
_WARMING: list[threading.Thread] = []
_WARMING_LOCK = threading.Lock()
WARM_UP_EXIT_WAIT_SECONDS = 30   # at most this long at exit for a warm-up's query under way


def start_warming(target, name: str) -> threading.Thread:
    """Run a warm-up (`target`) in a daemon thread that the process waits for at exit
    (`stop_warm_up`)."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    with _WARMING_LOCK:
        _WARMING[:] = [t for t in _WARMING if t.is_alive()]
        _WARMING.append(thread)
    thread.start()
    return thread


def stop_warm_up(timeout: float = WARM_UP_EXIT_WAIT_SECONDS) -> None:
    """At exit (atexit): tell the warm-ups to stop before their next query and wait for the one
    under way. A daemon thread still inside a DuckDB query when Python finalises is stopped there,
    and the C++ library's unwinding aborted the whole process ("terminate called ... FATAL:
    exception not rethrown", exit status 134): a server stopped just after its start, a test run."""
    WARM_UP_STOP.set()
    with _WARMING_LOCK:
        threads = list(_WARMING)
    for thread in threads:
        thread.join(timeout)


atexit.register(stop_warm_up)


def warm_up_imports() -> threading.Thread | None:
    """Import `_WARM_MODULES` in a background thread, once per process (None when already started),
    then draw plotly's sample figures (insight.charts.base.warm_up), walk the call stack once,
    open the shared read-only connection to the warehouse (insight.ui._connection: attaching the
    file took 0.13 s of the first sign-in after a start) and run the queries of the pages' first
    views, the Overview's first (insight.ui.warm_default_view: raw results only; nothing is shown
    or cached for a viewer, whose access checks and disclosure rule apply when a page loads them)."""
    if _WARMED.is_set():
        return None
    _WARMED.set()

    def run() -> None:
        for name in _WARM_MODULES:
            if WARM_UP_STOP.is_set():
                return
            try:
                importlib.import_module(name)
            except Exception:   # a page imports it again and reports the error there
                _LOG.warning("warm-up: could not import %s", name, exc_info=True)
        try:
            importlib.import_module("insight.charts.base").warm_up()
            # Streamlit's first element of a process looks at the whole call stack (env_util.is_repl:
            # inspect.stack, which maps every loaded module to its file, 0.15 s and more): map them now
            inspect.stack()
        except Exception:
            _LOG.warning("warm-up: could not draw the sample figures", exc_info=True)
        try:
            key = db.build_key(db.warehouse_path())
            if key is not None:   # no warehouse yet: the pages say how to build one
                ui = importlib.import_module("insight.ui")
                ui._connection(key)
                failed = ui.warm_default_view(key)
                if failed:
                    _LOG.warning("warm-up: these queries of the pages' first views failed (each page "
                                 "reports it when opened): %s", ", ".join(failed))
        except Exception:
            _LOG.warning("warm-up: could not open the warehouse", exc_info=True)

    return start_warming(run, "asb-warm-up-imports")


def sign_in_panel() -> None:
    """OpenID Connect buttons and/or the local user-file form (which signs in before the next run)."""
    warm_up_imports()
    claims = _claims()
    if claims.get("is_logged_in"):
        account = _account_for_claims(claims)
        ended = auth.claims_ended(claims, touch=False) if account else None
        if ended:
            st.info(auth.ENDED[ended], icon=":material/schedule:")
            st.button("Sign in again", on_click=st.logout, key="sign_in_logout", type="primary")
            return
        st.warning(f"You are signed in as {claims.get('email') or claims.get('sub')}, but no role is assigned "
                   "to that account. Ask the OPCC to add you to the users file, giving them your "
                   f"issuer `{claims.get('iss') or '?'}` and subject `{claims.get('sub') or '?'}`.",
                   icon=":material/person_off:")
        st.button("Sign out", on_click=st.logout, key="sign_in_logout")
        return
    ended = st.session_state.pop(_ENDED_KEY, None)
    if ended:
        st.info(auth.ENDED[ended], icon=":material/schedule:")
    for provider in _providers():
        label = "Sign in with your organisation account" + ("" if provider == "default" else f" ({provider})")
        if st.button(label, icon=":material/key:", key=f"sign_in_oidc_{provider}", type="primary"):
            st.login(None if provider == "default" else provider)
    try:
        accounts = auth.load_accounts(auth.users_path())
    except auth.UsersFileError as exc:
        # anyone who reaches the server reads this page: the path, the entries and their password
        # hashes go to the server's log only
        _LOG.error("sign-in: the users file cannot be used: %s", exc)
        st.error("Nobody can sign in with a password: the users file is missing or cannot be used (the "
                 "server's log says which and why). Make one with `asb users --demo` (the demo users) or "
                 "`asb users --add` (see README).", icon=":material/no_accounts:")
        return
    if any(a.password_hash for a in accounts.values()):
        _password_form()


def _account_for_claims(claims: dict):
    try:
        return auth.account_for_claims(auth.users_path(), claims)
    except auth.UsersFileError:
        return None


def _password_form() -> None:
    """The user-file form. The button's callback signs in before the run that follows (so that run
    draws the page the address names: one run, no rerun); a refusal is shown under the form."""
    with st.form("sign_in", clear_on_submit=True):
        st.text_input("User", key="sign_in_user", autocomplete="username")
        st.text_input("Password", type="password", key="sign_in_password", autocomplete="current-password")
        st.form_submit_button("Sign in", icon=":material/login:", key="sign_in_submit", on_click=_submit_password)
    refused = st.session_state.pop(_REFUSED_KEY, None)
    if refused:
        st.error(refused, icon=":material/error:")


def _submit_password() -> None:
    """Check the submitted user and password (throttled, audited); on success start the session and
    ask for its cookie, else leave the refusal for the form to show."""
    user_id, password = st.session_state.get("sign_in_user") or "", st.session_state.get("sign_in_password") or ""
    st.session_state["sign_in_password"] = ""  # not kept in the session past this check
    users, who = auth.users_path(), client()
    result = auth.sign_in(users, user_id, password, who, db.warehouse_path())
    page = st.session_state.get(_PAGE_KEY, "")
    if result.outcome != "ok":
        # The user id is logged only when it names an account (a password typed into the user
        # box must not reach the log).
        try:
            target = auth.load_accounts(users).get(user_id.strip())
        except auth.UsersFileError:   # the file broke since the form was drawn
            target = None
        details = audit.filters_json({"user": target.user_id if target else "(unknown user)", "client": who})
        _record(target.viewer() if target else None, "denied", page, f"password sign-in: {result.outcome}", details)
        for what in result.locked_now:
            _record(target.viewer() if target else None, "denied", page,
                    f"password sign-in: lockout of the {what}", details)
        st.session_state[_REFUSED_KEY] = result.message
        return
    # logged first: a sign-in the log cannot hold does not happen (fail closed)
    if not _record(result.account.viewer(), "sign_in", page, "password", audit.filters_json({"client": who})):
        st.session_state[_REFUSED_KEY] = UNAUDITED
        return
    start_session(st.session_state, result.account.user_id, auth.is_demo_sign_in(user_id, password),
                  result.account.password_hash)
    st.session_state[_COOKIE_KEY] = auth.TICKETS.issue(st.session_state[_TOKEN_KEY])
    st.session_state[_SEEN_KEY] = set()


def start_session(session_state, user_id: str, demo: bool = False, password_hash: str | None = None) -> None:
    """Put a signed local sign-in token for `user_id` into `session_state` (the sign-in form, and
    the benchmarks that drive AppTest without spending a run on the form), bound to the account's
    password (`password_hash`, else the users file's): a new password ends it (auth.viewer_for_token)."""
    if password_hash is None:
        try:
            account = auth.load_accounts(auth.users_path()).get(user_id)
        except auth.UsersFileError:
            account = None
        password_hash = account.password_hash if account else None
    session_state[_TOKEN_KEY] = auth.issue_token(user_id, demo, password_hash)


# What a sign-out keeps of the session: that it looked at the cookie already (the cookie it clears
# must not sign the tab in again before the page has cleared it)
_KEPT_AT_SIGN_OUT = (_RESUMED_KEY,)


def _sign_out(viewer_: access.Viewer) -> None:
    """End the sign-in, and forget everything the session held for it: the next person to sign in
    at this tab gets a tab as new, not the searched postcode, the choices of the sidebar, nor the
    board pack made by the one before (the sessions audit of 6 December 2026: a board viewer
    signing in after the OPCC analyst downloaded the analyst's Bolsover-only pack). The address's
    choices go too."""
    _record(viewer_, "sign_out", st.session_state.get(_PAGE_KEY, ""), "")  # a sign-out happens, logged or not
    auth.end_session(st.session_state.get(_TOKEN_KEY), _claims())
    kept = {key: st.session_state[key] for key in _KEPT_AT_SIGN_OUT if key in st.session_state}
    st.session_state.clear()
    st.session_state.update(kept)
    st.session_state[_ENDED_KEY] = "signed_out"   # the sign-in page says so
    st.session_state[_COOKIE_KEY] = "end"
    for key in list(st.query_params):
        try:
            del st.query_params[key]
        except StreamlitAPIException:
            # a tab's parameter (`ui.analysis_tabs`) is bound to its tabs, whose removal Streamlit
            # refuses from a page (clear() refused them all, and the sign-out stopped there: the roles
            # audit of 7 December 2026): removed as Streamlit's binding itself removes a stale one
            with get_session_state().query_params() as params:
                params.remove_param(key)
    if _claims().get("is_logged_in"):
        st.logout()


def warn_loose_files(viewer_: access.Viewer) -> None:
    """Warn (the server log, once per file and process; and the OPCC analyst on every page) when the
    users file, the warehouse, the audit log, its key or the build's key can be read by other users.
    The service still starts: refusing would lock everyone out over a file mode (README)."""
    warehouse = db.warehouse_path()
    problems = auth.loose_files(warehouse, _audit_file(), audit.key_path(_audit_file()))
    for problem in problems:
        if problem not in _WARNED:
            _WARNED.add(problem)
            _LOG.warning("file mode: %s", problem)
    if problems and viewer_.role == access.OPCC_ANALYST:
        st.warning("Files that hold secrets or personal data can be read by other users of the server: "
                   + "; ".join(problems) + ".", icon=":material/lock_open:")


def account_box(viewer_: access.Viewer) -> None:
    """Who is signed in, with which role, and a sign-out button (sidebar)."""
    with st.sidebar:
        st.markdown(f"Signed in as **{viewer_.name}**  \n{viewer_.label}")
        st.button("Sign out", icon=":material/logout:", key="auth_sign_out", on_click=_sign_out,
                  args=(viewer_,))


UNAUDITED = ("The audit log cannot be written, so no one can sign in and no list of people is shown "
             "(every sign-in and every such view must be logged). The server's log says why: ask the "
             "dashboard's administrator.")


def _record(viewer_: access.Viewer | None, action: str, page: str, what: str, filters: str = "{}",
            row_count: int = 0) -> bool:
    """`audit.record` in the audit file; False, with the reason in the server's log (not on screen:
    it names a path), when the log cannot be written."""
    try:
        audit.record(_audit_file(), viewer_, action, page, what, filters, row_count)
        return True
    except audit.AuditUnavailable as exc:
        _LOG.error("%s", exc)
        return False


def _audit_file() -> Path:
    return audit.audit_path(db.warehouse_path())


def check_rows(query, codes) -> None:
    """Stop the run (and log the attempt) when the viewer may not see these person-level rows."""
    viewer_ = viewer()
    try:
        access.check_codes(viewer_, codes)
    except access.AccessDenied as exc:
        _record(viewer_, "denied", st.session_state.get(_PAGE_KEY, ""), query.__name__,
                audit.filters_json({"codes": codes}))
        st.error(f"Not available to you: {exc}.", icon=":material/lock:")
        st.stop()


# Text arguments of the named queries (and of the audit page's own view) that hold a code or a key
# chosen from a list, never typed: logged as they are. Any other text argument (`search`, `text`, one
# added later) is taken for what a person typed, and logged as its length only (`logged_arguments`).
CODED_TEXT_ARGUMENTS = frozenset({"kind", "key", "authority_code", "person_key", "sort", "as_of", "start",
                                  "end", "start_date", "end_date", "as_of_date", "month"})


def typed_text(value: str) -> str:
    """What the audit log holds for text a person typed: its length, never the text."""
    return f"(typed text, {len(value)} character{'' if len(value) == 1 else 's'})" if value else ""


def logged_arguments(arguments: dict) -> dict:
    """A query's arguments as the audit log holds them: codes, dates, numbers, lists chosen from
    and the person key as they are; any other text (a search box's) as `typed_text`."""
    return {name: typed_text(value) if isinstance(value, str) and name not in CODED_TEXT_ARGUMENTS else value
            for name, value in arguments.items()}


def record_view(what: str, arguments: dict, frame: pd.DataFrame) -> pd.DataFrame:
    """Log a view of person-level rows (once per session for the same page, query and arguments)
    and tag the frame so that its download is logged as an export. Typed text is logged as its
    length only (`logged_arguments`); the once-per-session check still tells two searches apart."""
    page, filters = st.session_state.get(_PAGE_KEY, ""), audit.filters_json(logged_arguments(arguments))
    fingerprint = hashlib.sha256(f"{page}|{what}|{audit.filters_json(arguments)}".encode()).hexdigest()
    seen = st.session_state.setdefault(_SEEN_KEY, set())
    if fingerprint not in seen:
        if not _record(viewer(), "view", page, what, filters, len(frame)):
            st.error(UNAUDITED, icon=":material/error:")   # no person-level rows the log does not hold
            st.stop()
        seen.add(fingerprint)
    frame.attrs[_AUDIT_ATTR] = {"page": page, "filters": filters}
    return frame


def tag_export(arguments: dict, frame: pd.DataFrame) -> pd.DataFrame:
    """Tag a protected aggregate's frame, shown to a viewer without person-level rights over some
    of its authorities, so that its download is logged as an export (the view is not: aggregate
    pages log nothing until something leaves the dashboard)."""
    frame.attrs[_AUDIT_ATTR] = {"page": st.session_state.get(_PAGE_KEY, ""),
                                "filters": audit.filters_json(logged_arguments(arguments))}
    return frame


class SignInEnded(PermissionError):
    """A download clicked after the sign-in that drew its button ended or changed."""


def _still_signed_in():
    """A check made now and run when a download is clicked: whether the sign-in of this run still
    stands then, for the same viewer. The click runs the download's callable on a thread of its own,
    with no script run (`on_click="ignore"`), so nothing else would ask: a button on screen served
    its list after a sign-out in another tab, the account's removal or a new role (the sessions
    audit of 6 December 2026). The token (or the OpenID Connect claims) is taken now; the users
    file and the session store are read at the click, as every run reads them."""
    users, warehouse, claims, drawn_for = auth.users_path(), db.warehouse_path(), _claims(), viewer()
    if claims.get("is_logged_in"):
        def now() -> access.Viewer | None:
            return auth.viewer_for_claims(users, claims)
    else:
        token = st.session_state.get(_TOKEN_KEY)

        def now() -> access.Viewer | None:
            return auth.viewer_for_token(users, token, warehouse)

    def check(path: Path, page: str, file_name: str, filters: str) -> access.Viewer:
        try:
            found = now()
        except auth.UsersFileError:
            found = None
        same = (found is not None and drawn_for is not None and (found.user_id, found.role, found.authority_code)
                == (drawn_for.user_id, drawn_for.role, drawn_for.authority_code))   # a new display name is no change
        if not same:
            audit.record(path, drawn_for, "denied", page, file_name, filters)   # whose button it was
            raise SignInEnded("the sign-in that showed this download has ended or changed: sign in again")
        return found

    return check


def export_data(frame: pd.DataFrame, file_name: str, to_bytes, mimetype: str = "text/csv"):
    """What a download button serves: a callable that Streamlit runs when the button is clicked,
    so no file is made on a run nobody downloads (a page's lists are made into CSV only on
    demand). At the click it checks the sign-in still stands for the viewer who saw the button
    (`_still_signed_in`: else it logs the attempt as `denied` and serves nothing); for person-level
    rows (and another authority's logged aggregates) it logs the export before it returns the bytes,
    which only that viewer may then fetch (`media.own`; `mimetype`: the button's)."""
    tag = frame.attrs.get(_AUDIT_ATTR)
    path, page = _audit_file(), st.session_state.get(_PAGE_KEY, "")
    still, rows = _still_signed_in(), len(frame)

    def make() -> bytes:
        viewer_ = still(path, tag["page"] if tag else page, file_name, tag["filters"] if tag else "{}")
        if tag is not None:
            audit.record(path, viewer_, "export", tag["page"], file_name, tag["filters"], rows)
        data = to_bytes(frame)
        media.own(data, mimetype, file_name, viewer_)
        return data

    return make


def export_file(data: bytes, file_name: str, arguments: dict, mimetype: str):
    """What a download button of a made file (the board pack's pptx or PDF) serves: a callable that
    checks the sign-in still stands (`_still_signed_in`) and logs the export (its choices as
    `arguments`) before it returns the bytes, whoever downloads: the file leaves the dashboard for
    the board, as every protected aggregate downloaded does. Only that viewer may fetch them
    (`media.own`; `mimetype`: the button's)."""
    path, still = _audit_file(), _still_signed_in()
    page, filters = st.session_state.get(_PAGE_KEY, ""), audit.filters_json(logged_arguments(arguments))

    def make() -> bytes:
        viewer_ = still(path, page, file_name, filters)
        audit.record(path, viewer_, "export", page, file_name, filters, 0)
        media.own(data, mimetype, file_name, viewer_)
        return data

    return make


def require_signed_in() -> access.Viewer:
    """The viewer of this run; when the sign-in has ended (signed out in another tab, idle, the
    account removed), no more of the page: a fragment's own rerun (a click on the map, a tab of
    analyses), which does not pass through the dashboard's sign-in gate, reruns the whole app,
    whose gate shows the sign-in page; any other run stops (the sessions audit of 6 December 2026:
    a map fragment kept answering after a sign-out, its views logged with no user)."""
    found = viewer()
    if found is not None:
        return found
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None and ctx.fragment_ids_this_run:
        st.rerun(scope="app")
    st.info("Your sign-in has ended: sign in again.", icon=":material/logout:")
    st.stop()


def outdated_warehouse(exc: Exception) -> None:
    """Stop the run: the warehouse lacks a table or column a query needs. The screen says what to
    do; the database's message (SQL names) goes to the server log only."""
    _LOG.warning("query against an outdated warehouse %s: %s", db.warehouse_path(), exc)
    st.error("The warehouse lacks what this page needs; it was probably built by an older version. "
             "Rebuild it with `asb build` or `asb demo`.", icon=":material/database_off:")
    st.stop()
