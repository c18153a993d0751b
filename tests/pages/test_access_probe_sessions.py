"""Access probe: a sign-in, and the session cookie that carries it, outlive a password reset.

Found against the served app (serve.py, driven over HTTP and its websocket, no browser): the Erewash
manager signed in, traded the ticket for the `asb_session` cookie, then the administrator gave the
account a new password in the users file (a suspected leak of the old one). A new session with the
old cookie still opened the Overview as that manager, for up to 12 hours: the token named the user
id only. A token the sign-in form makes now keeps a mark of the password hash it was signed in with
(auth.credential_mark), and a token whose account has another password is refused, cookie or
session alike; the sign-in page says why. Removing the account or changing its role already
applied (the file is read on every run).
"""

from __future__ import annotations

import dataclasses
import shutil

import pytest
from support import open_app, users_file

from insight.access import auth
from insight.access import roles as access


@pytest.fixture
def own_users(tmp_path, monkeypatch):
    """A copy of the demo users file that this test may change ($ASB_USERS)."""
    path = tmp_path / "users.toml"
    shutil.copy(users_file(), path)
    monkeypatch.setenv(auth.USERS_ENV, str(path))
    return path


def _rewrite(path, user_id: str, **changes) -> None:
    accounts = auth.load_accounts(path)
    accounts[user_id] = dataclasses.replace(accounts[user_id], **changes)
    auth.write_accounts(path, list(accounts.values()))


def test__token__refused_once_the_account_has_a_new_password(own_users):
    account = auth.load_accounts(own_users)["erewash.manager"]
    token = auth.issue_token(account.user_id, password_hash=account.password_hash)
    assert auth.viewer_for_token(own_users, token).authority_code == "E07000036"
    _rewrite(own_users, "erewash.manager", role=access.BOARD_VIEWER, authority_code=None)
    assert auth.viewer_for_token(own_users, token).role == access.BOARD_VIEWER  # a new role applies
    _rewrite(own_users, "erewash.manager", password_hash=auth.hash_password("a-new-password-0123", fast=True))
    assert auth.viewer_for_token(own_users, token) is None
    assert auth.token_ended(token, path=own_users) == "password_changed"
    assert auth.credential_mark(account.password_hash) not in account.password_hash  # a mark, not the hash


def test__token__the_same_account_made_again_under_its_id_ends_the_old_sign_ins(own_users):
    account = auth.load_accounts(own_users)["derby.manager"]
    token = auth.issue_token(account.user_id, password_hash=account.password_hash)
    accounts = {k: v for k, v in auth.load_accounts(own_users).items() if k != "derby.manager"}
    auth.write_accounts(own_users, list(accounts.values()))
    assert auth.viewer_for_token(own_users, token) is None
    auth.add_account(own_users, dataclasses.replace(account, password_hash=auth.hash_password("x" * 14, fast=True)))
    assert auth.viewer_for_token(own_users, token) is None


def test__sign_in_form__a_password_reset_signs_the_session_out_and_says_why(monkeypatch, demo_warehouse, own_users,
                                                                            audit_file):
    at = open_app(monkeypatch, demo_warehouse, user="erewash")
    monkeypatch.setenv(auth.USERS_ENV, str(own_users))   # open_app points at the shared file: same accounts
    at.run()
    assert "Overview" in [t.value for t in at.title]
    _rewrite(own_users, "erewash.manager", password_hash=auth.hash_password("a-new-password-0123", fast=True))
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert auth.ENDED["password_changed"] in [i.value for i in at.info]
    assert not at.dataframe and not at.metric


def test__sign_in_form__an_account_removed_signs_the_session_out_and_says_why(monkeypatch, demo_warehouse, own_users,
                                                                            audit_file):
    """Removed from the users file, a manager was signed out at the next click onto a sign-in page
    that said nothing of why (the pages audit of 6 December 2026)."""
    at = open_app(monkeypatch, demo_warehouse, user="erewash")
    monkeypatch.setenv(auth.USERS_ENV, str(own_users))
    at.run()
    assert "Overview" in [t.value for t in at.title]
    accounts = {k: v for k, v in auth.load_accounts(own_users).items() if k != "erewash.manager"}
    auth.write_accounts(own_users, list(accounts.values()))
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert auth.ENDED["removed"] in [i.value for i in at.info]
    assert not at.dataframe and not at.metric
