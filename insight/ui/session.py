"""Streamlit glue for roles, sign-in and the audit log.

`viewer()` re-derives the signed-in person on every call: from Streamlit's verified `st.user`
claims when an OpenID Connect provider signed them in, else from the signed token a local
sign-in left in the session (see insight/access/auth.py); nothing a URL or a widget can write is trusted.
`navigation()` gives each role its pages (a signed-out visitor gets the sign-in page at every
address, so a link still opens its page once signed in); `sign_in_panel()` and `account_box()`
draw the sign-in page and the sidebar's "signed in as"; `check_rows()`, `record_view()` and
`export_data()` are what `ui.load` and `ui.download_csv` use to refuse and to audit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from insight import db
from insight.access import audit, auth
from insight.access import roles as access

SIGN_IN_PAGE = "app_pages/sign_in.py"
_TOKEN_KEY, _PAGE_KEY, _SEEN_KEY = "auth_token", "auth_page", "auth_audited"
_AUDIT_ATTR = "asb_audit"


def _claims() -> dict:
    try:
        return st.user.to_dict()
    except Exception:  # no script run context, or an st.user that cannot be read
        return {}


def viewer() -> access.Viewer | None:
    """The signed-in viewer of this run, or None."""
    claims = _claims()
    try:
        if claims.get("is_logged_in"):
            account = auth.account_for_claims(auth.users_path(), claims)
            return account.viewer() if account else None
        return auth.viewer_for_token(auth.users_path(), st.session_state.get(_TOKEN_KEY))
    except auth.UsersFileError:
        return None


def navigation(pages: list, viewer_: access.Viewer | None):
    """st.navigation over the pages this viewer may open; the sign-in page when signed out."""
    if viewer_ is None:
        stand_ins = [st.Page(SIGN_IN_PAGE, title="Sign in", icon=":material/login:",
                             url_path=p.url_path or "sign_in", default=not p.url_path) for p in pages]
        page = st.navigation(stand_ins, position="hidden")
    else:
        page = st.navigation([p for p in pages if access.may_open(viewer_, p.url_path)])
    st.session_state[_PAGE_KEY] = page.url_path
    return page


def _providers() -> list[str]:
    """The OpenID Connect providers configured in .streamlit/secrets.toml ([auth] section)."""
    if not st.secrets.load_if_toml_exists():
        return []
    section = st.secrets.get("auth", {})
    named = [name for name, value in section.items() if hasattr(value, "get") and value.get("client_id")]
    return named or (["default"] if section.get("client_id") else [])


def sign_in_panel() -> None:
    """OpenID Connect buttons and/or the local user-file form; signs in and reruns."""
    claims = _claims()
    if claims.get("is_logged_in"):
        who = claims.get("email") or claims.get("sub")
        st.warning(f"You are signed in as {who}, but no role is assigned to that account. Ask the "
                   "OPCC to add you to the users file.", icon=":material/person_off:")
        st.button("Sign out", on_click=st.logout, key="sign_in_logout")
        return
    for provider in _providers():
        label = "Sign in with your organisation account" + ("" if provider == "default" else f" ({provider})")
        if st.button(label, icon=":material/key:", key=f"sign_in_oidc_{provider}", type="primary"):
            st.login(None if provider == "default" else provider)
    try:
        accounts = auth.load_accounts(auth.users_path())
    except auth.UsersFileError as exc:
        st.error(f"Nobody can sign in with a password: {exc}. Make one with `asb users --demo` (the "
                 "demo users) or `asb users --add` (see README).", icon=":material/no_accounts:")
        return
    if any(a.password_hash for a in accounts.values()):
        _password_form()


def _password_form() -> None:
    with st.form("sign_in", clear_on_submit=True):
        user_id = st.text_input("User", key="sign_in_user", autocomplete="username")
        password = st.text_input("Password", type="password", key="sign_in_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", icon=":material/login:", key="sign_in_submit")
    if not submitted:
        return
    account = auth.authenticate(auth.users_path(), user_id, password)
    if account is None:
        st.error("Unknown user or wrong password.", icon=":material/error:")
        return
    start_session(st.session_state, account.user_id)
    st.session_state[_SEEN_KEY] = set()
    audit.record(_audit_file(), account.viewer(), "sign_in", st.session_state.get(_PAGE_KEY, ""), "password")
    st.rerun()


def start_session(session_state, user_id: str) -> None:
    """Put a signed local sign-in token for `user_id` into `session_state` (the sign-in form, and
    the benchmarks that drive AppTest without spending a run on the form)."""
    session_state[_TOKEN_KEY] = auth.issue_token(user_id)


def _sign_out(viewer_: access.Viewer) -> None:
    audit.record(_audit_file(), viewer_, "sign_out", st.session_state.get(_PAGE_KEY, ""), "")
    for key in (_TOKEN_KEY, _SEEN_KEY):
        st.session_state.pop(key, None)
    if _claims().get("is_logged_in"):
        st.logout()


def account_box(viewer_: access.Viewer) -> None:
    """Who is signed in, with which role, and a sign-out button (sidebar)."""
    with st.sidebar:
        st.markdown(f"Signed in as **{viewer_.name}**  \n{viewer_.label}")
        st.button("Sign out", icon=":material/logout:", key="auth_sign_out", on_click=_sign_out,
                  args=(viewer_,))


def _audit_file() -> Path:
    return audit.audit_path(db.warehouse_path())


def check_rows(query, codes) -> None:
    """Stop the run (and log the attempt) when the viewer may not see these person-level rows."""
    viewer_ = viewer()
    try:
        access.check_codes(viewer_, codes)
    except access.AccessDenied as exc:
        audit.record(_audit_file(), viewer_, "denied", st.session_state.get(_PAGE_KEY, ""),
                     query.__name__, audit.filters_json({"codes": codes}))
        st.error(f"Not available to you: {exc}.", icon=":material/lock:")
        st.stop()


def record_view(what: str, arguments: dict, frame: pd.DataFrame) -> pd.DataFrame:
    """Log a view of person-level rows (once per session for the same page, query and arguments)
    and tag the frame so that its download is logged as an export."""
    page, filters = st.session_state.get(_PAGE_KEY, ""), audit.filters_json(arguments)
    fingerprint = hashlib.sha256(f"{page}|{what}|{filters}".encode()).hexdigest()
    seen = st.session_state.setdefault(_SEEN_KEY, set())
    if fingerprint not in seen:
        audit.record(_audit_file(), viewer(), "view", page, what, filters, len(frame))
        seen.add(fingerprint)
    frame.attrs[_AUDIT_ATTR] = {"page": page, "filters": filters}
    return frame


def export_data(frame: pd.DataFrame, file_name: str, to_bytes):
    """What a download button serves: the bytes, or for person-level rows a callable that
    Streamlit runs when the button is clicked, logging the export before it returns the bytes."""
    tag = frame.attrs.get(_AUDIT_ATTR)
    if tag is None:
        return to_bytes(frame)
    path, viewer_, rows = _audit_file(), viewer(), len(frame)

    def make() -> bytes:
        audit.record(path, viewer_, "export", tag["page"], file_name, tag["filters"], rows)
        return to_bytes(frame)

    return make
