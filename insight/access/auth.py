"""Sign-in: the users file, argon2 password hashes, signed session tokens and OpenID Connect claims.

The users file (TOML, `$ASB_USERS`, else `data/users.toml`, outside git) lists `[[user]]`
entries: `id`, `name`, `role`, `authority` (council managers), and either a `password_hash`
(argon2id, for local sign-in) or the `subject` / `email` an OpenID Connect provider vouches for.
A local sign-in puts in the session a token signed (itsdangerous, HMAC) with a server secret
that is never in the session; every run turns the token, or Streamlit's verified `st.user`
claims, back into a `Viewer` by reading the file again, so a role cannot be written in from
outside and a changed role applies at the next run. No Streamlit here.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

import argon2
import itsdangerous

from etl.rules import authorities
from insight.access import roles as access

USERS_ENV, SECRET_ENV = "ASB_USERS", "ASB_SESSION_SECRET"
DEFAULT_USERS = Path("data") / "users.toml"
TOKEN_MAX_AGE_SECONDS = 12 * 3600
_SALT = "asb-dashboard-session"
_HASHER = argon2.PasswordHasher()  # argon2id with the library's recommended parameters
_FAST_HASHER = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)  # tests only

# The demo's users (demo only: the passwords are in the README).
DEMO_USERS = {  # short name -> (id, password, role, authority, name)
    "opcc": ("opcc.analyst", "demo-opcc", access.OPCC_ANALYST, None, "Olivia OPCC (demo)"),
    "erewash": ("erewash.manager", "demo-erewash", access.COUNCIL_MANAGER, "E07000036", "Evan Erewash (demo)"),
    "derby": ("derby.manager", "demo-derby", access.COUNCIL_MANAGER, "E06000015", "Dina Derby (demo)"),
    "board": ("board.viewer", "demo-board", access.BOARD_VIEWER, None, "Bea Board (demo)"),
}


class UsersFileError(ValueError):
    """The users file is missing or holds an entry that cannot be used."""


@dataclass(frozen=True)
class Account:
    user_id: str
    role: str
    authority_code: str | None = None
    name: str = ""
    password_hash: str = ""
    email: str = ""
    subject: str = ""

    def viewer(self) -> access.Viewer:
        return access.Viewer(self.user_id, self.role, self.authority_code, self.name or self.user_id)


def users_path() -> Path:
    """The users file: $ASB_USERS, else ./data/users.toml."""
    return Path(os.environ.get(USERS_ENV) or DEFAULT_USERS).resolve()


def _account(entry: dict) -> Account:
    user_id = str(entry.get("id", "")).strip()
    authority = entry.get("authority")
    code = authorities.resolve(str(authority)) if authority else None
    if not user_id:
        raise UsersFileError(f"a [[user]] entry has no id: {entry}")
    if authority and code is None:
        raise UsersFileError(f"user {user_id}: {authority!r} is not one of the nine authorities")
    account = Account(user_id, str(entry.get("role", "")), code, str(entry.get("name", "")),
                      str(entry.get("password_hash", "")), str(entry.get("email", "")).strip().lower(),
                      str(entry.get("subject", "")).strip())
    try:
        account.viewer()
    except ValueError as exc:
        raise UsersFileError(f"user {user_id}: {exc}") from exc
    return account


@functools.lru_cache(maxsize=4)
def _accounts(path: str, _mtime_ns: int, _size: int) -> dict[str, Account]:
    with open(path, "rb") as file:
        entries = tomllib.load(file).get("user", [])
    accounts = [_account(e) for e in entries]
    by_id = {a.user_id: a for a in accounts}
    if len(by_id) != len(accounts):
        raise UsersFileError(f"{path}: a user id appears twice")
    return by_id


def load_accounts(path: Path) -> dict[str, Account]:
    """The accounts of a users file by id, read again whenever the file changes."""
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise UsersFileError(f"no users file at {path}") from exc
    try:
        return _accounts(str(path), stat.st_mtime_ns, stat.st_size)
    except tomllib.TOMLDecodeError as exc:
        raise UsersFileError(f"{path} is not valid TOML: {exc}") from exc


def hash_password(password: str, fast: bool = False) -> str:
    """An argon2id hash of a password (`fast`: cheap parameters, for tests only)."""
    return (_FAST_HASHER if fast else _HASHER).hash(password)


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the user is unknown, so that answering takes as long either way.
    return _HASHER.hash(secrets.token_hex(16))


def authenticate(path: Path, user_id: str, password: str) -> Account | None:
    """The account when the id exists, has a password and the password matches; else None."""
    account = load_accounts(path).get(user_id.strip())
    known = bool(account and account.password_hash)
    try:
        _HASHER.verify(account.password_hash if known else _dummy_hash(), password)  # params from the hash
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return None
    return account if known else None


@functools.cache
def _serializer() -> itsdangerous.URLSafeTimedSerializer:
    # A secret made at start-up signs tokens for this server process only (a restart signs
    # everyone out); set $ASB_SESSION_SECRET to share one between processes.
    secret = os.environ.get(SECRET_ENV) or secrets.token_hex(32)
    return itsdangerous.URLSafeTimedSerializer(secret, salt=_SALT)


def issue_token(user_id: str) -> str:
    """A signed, timestamped token naming the user (no role: that is read from the file)."""
    return _serializer().dumps({"user": user_id})


def token_user(token: object) -> str | None:
    """The user id inside a token this server signed in the last TOKEN_MAX_AGE_SECONDS, else None."""
    if not isinstance(token, str):
        return None
    try:
        payload = _serializer().loads(token, max_age=TOKEN_MAX_AGE_SECONDS)
    except itsdangerous.BadData:
        return None
    return payload.get("user") if isinstance(payload, dict) else None


def viewer_for_token(path: Path, token: object) -> access.Viewer | None:
    """The viewer a local sign-in token stands for (None if invalid, expired or no longer a user)."""
    user_id = token_user(token)
    account = load_accounts(path).get(user_id) if user_id else None
    return account.viewer() if account and account.password_hash else None


def account_for_claims(path: Path, claims: dict) -> Account | None:
    """The account an OpenID Connect identity maps to: by `sub`, else by a verified e-mail."""
    accounts = load_accounts(path).values()
    subject, email = str(claims.get("sub") or ""), str(claims.get("email") or "").strip().lower()
    by_subject = [a for a in accounts if a.subject and a.subject == subject]
    if by_subject:
        return by_subject[0]
    if email and claims.get("email_verified") is not False:
        return next((a for a in accounts if a.email and a.email == email), None)
    return None


def _toml_entry(account: Account) -> str:
    fields = {"id": account.user_id, "name": account.name, "role": account.role,
              "authority": account.authority_code, "password_hash": account.password_hash,
              "email": account.email, "subject": account.subject}
    lines = [f"{k} = {json.dumps(v)}" for k, v in fields.items() if v]
    return "[[user]]\n" + "\n".join(lines) + "\n"


def write_accounts(path: Path, accounts: list[Account]) -> Path:
    """Write a users file (readable by the owner only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ("# Users of the ASB dashboard: role, authority (council managers), and a password hash\n"
              "# (argon2id) for local sign-in or the OpenID Connect subject/e-mail. See README.md.\n\n")
    path.write_text(header + "\n".join(_toml_entry(a) for a in accounts), encoding="utf-8")
    path.chmod(0o600)
    return path


def demo_accounts(fast: bool = False) -> list[Account]:
    """The four demo users with hashed demo passwords."""
    return [Account(uid, role, code, name, hash_password(password, fast))
            for uid, password, role, code, name in DEMO_USERS.values()]


def add_account(path: Path, account: Account) -> Path:
    """Add a user to a users file (created if missing); refuses an id that exists."""
    existing = list(load_accounts(path).values()) if path.exists() else []
    if any(a.user_id == account.user_id for a in existing):
        raise UsersFileError(f"user {account.user_id} already exists in {path}")
    account.viewer()  # validates role and authority
    return write_accounts(path, [*existing, account])
