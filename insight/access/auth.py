"""Sign-in: the users file, argon2 password hashes, signed session tokens and OpenID Connect claims.

The users file (TOML, `$ASB_USERS`, else `data/users.toml`, outside git) lists `[[user]]`
entries: `id`, `name`, `role`, `authority` (council managers), and either a `password_hash`
(argon2id, for local sign-in) or the `subject` / `email` an OpenID Connect provider vouches for.
A local sign-in puts in the session a token signed (itsdangerous, HMAC) with a server secret
that is never in the session; every run turns the token, or Streamlit's verified `st.user`
claims, back into a `Viewer` by reading the file again, so a role cannot be written in from
outside and a changed role applies at the next run. No Streamlit here.

Hardening (README "Roles, sign-in and audit"): failed password sign-ins are counted per account
and per client, and either is locked out for a while after too many (`Throttle`); at most
`MAX_CONCURRENT_HASHES` argon2 checks run at once (64 MiB each); the demo users' published
passwords work only on a demo build of the warehouse; an OpenID Connect identity maps to an
account by (issuer, subject), or by (issuer, e-mail) when the provider says the e-mail is verified;
every sign-in, password or OpenID Connect, ends after `SESSION_MAX_AGE_SECONDS` and after
`IDLE_TIMEOUT_SECONDS` without a run, and for good at sign-out (`SESSIONS`, kept on the server in
`sessions.sqlite` beside the audit log, shared by every server process and kept over a restart).
"""

from __future__ import annotations

import collections
import functools
import hashlib
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import argon2
import duckdb
import itsdangerous

from etl.rules import authorities
from etl.transform import private
from insight import db
from insight.access import roles as access

USERS_ENV, SECRET_ENV = "ASB_USERS", "ASB_SESSION_SECRET"
DEMO_USERS_ENV = "ASB_ALLOW_DEMO_USERS"  # "1": the demo users may sign in to any warehouse (tests)
# The address people open the dashboard at, where a reverse proxy in front rewrites the Host header
# (e.g. "https://asb.derbyshire.example"; several, comma-separated): see `same_site`.
PUBLIC_ORIGIN_ENV = "ASB_PUBLIC_ORIGIN"
DEFAULT_USERS = Path("data") / "users.toml"
SESSION_MAX_AGE_SECONDS = 12 * 3600     # a sign-in ends this long after it was made, whatever happens
TOKEN_MAX_AGE_SECONDS = SESSION_MAX_AGE_SECONDS
IDLE_TIMEOUT_SECONDS = 30 * 60          # ... and after this long without a run of the app
FAILURE_WINDOW_SECONDS = 15 * 60        # failed password sign-ins are counted over this window:
ACCOUNT_MAX_FAILURES = 5                #   this many for one user id (from any client) locks the id,
CLIENT_MAX_FAILURES = 20                #   this many from one client (any user ids) locks the client,
LOCKOUT_SECONDS = 15 * 60               #   for this long
MAX_CONCURRENT_HASHES = 2               # argon2id checks at once (64 MiB of memory each) ...
HASH_WAIT_SECONDS = 10.0                # ... and how long a sign-in waits for a free slot
SESSION_WRITE_SECONDS = 30             # a session's last run is written to the shared store at most this often
SESSIONS_FILE = "sessions.sqlite"       # beside the audit log: ended sign-ins and last runs (see Sessions)
_SALT = "asb-dashboard-session"
_LOG = logging.getLogger("asb.dashboard")
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
    issuer: str = ""             # OpenID Connect: the provider's issuer (`iss`) for subject / email

    def viewer(self) -> access.Viewer:
        return access.Viewer(self.user_id, self.role, self.authority_code, self.name or self.user_id)


def users_path() -> Path:
    """The users file: $ASB_USERS, else ./data/users.toml."""
    return Path(os.environ.get(USERS_ENV) or DEFAULT_USERS).resolve()


def _account(entry: dict) -> Account:
    user_id = str(entry.get("id", "")).strip()
    authority = entry.get("authority")
    code = authorities.resolve(str(authority)) if authority else None
    if not user_id:   # never the entry itself: it may hold a password hash
        raise UsersFileError(f"a [[user]] entry has no id (its name: {str(entry.get('name', ''))!r})")
    if authority and code is None:
        raise UsersFileError(f"user {user_id}: {authority!r} is not one of the nine authorities")
    account = Account(user_id, str(entry.get("role", "")), code, str(entry.get("name", "")),
                      str(entry.get("password_hash", "")), str(entry.get("email", "")).strip().lower(),
                      str(entry.get("subject", "")).strip(), str(entry.get("issuer", "")).strip())
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
    except UnicodeDecodeError as exc:
        raise UsersFileError(f"{path} is not a users file (not UTF-8 text)") from exc
    except OSError as exc:   # a folder, a file it may not read
        raise UsersFileError(f"{path} cannot be read as a users file: {exc.strerror or exc}") from exc


def hash_password(password: str, fast: bool = False) -> str:
    """An argon2id hash of a password (`fast`: cheap parameters, for tests only)."""
    return (_FAST_HASHER if fast else _HASHER).hash(password)


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the user is unknown, so that answering takes as long either way.
    return _HASHER.hash(secrets.token_hex(16))


class Busy(RuntimeError):
    """Every password-check slot stayed taken for HASH_WAIT_SECONDS."""


_HASH_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


def _verify(password_hash: str, password: str) -> None:
    _HASHER.verify(password_hash, password)  # the parameters (memory, time) come from the hash


def authenticate(path: Path, user_id: str, password: str) -> Account | None:
    """The account when the id exists, has a password and the password matches; else None. At most
    MAX_CONCURRENT_HASHES checks run at once (raises Busy when no slot frees in time)."""
    account = load_accounts(path).get(user_id.strip())
    known = bool(account and account.password_hash)
    if not _HASH_SLOTS.acquire(timeout=HASH_WAIT_SECONDS):
        raise Busy("too many sign-ins at once")
    try:
        _verify(account.password_hash if known else _dummy_hash(), password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return None
    finally:
        _HASH_SLOTS.release()
    return account if known else None


# --- throttling ----------------------------------------------------------------------------------

class Throttle:
    """Failures per key (a user id, a client) in a sliding window; `max_failures` of them lock the
    key for `lockout` seconds. In the server's memory: a restart forgets it."""

    def __init__(self, max_failures: int, window: float, lockout: float, max_keys: int = 10_000):
        self.max_failures, self.window, self.lockout, self.max_keys = max_failures, window, lockout, max_keys
        self._failures: dict[str, collections.deque] = {}
        self._locked: dict[str, float] = {}
        self._lock = threading.Lock()

    def locked_for(self, key: str, now: float | None = None) -> float:
        """Seconds the key stays locked (0 when it is not)."""
        now = time.time() if now is None else now
        with self._lock:
            return max(0.0, self._locked.get(key, 0.0) - now)

    def fail(self, key: str, now: float | None = None) -> bool:
        """Count a failure; True when it locks the key."""
        now = time.time() if now is None else now
        with self._lock:
            if len(self._failures) >= self.max_keys:
                self._prune(now)
            recent = self._failures.setdefault(key, collections.deque())
            recent.append(now)
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.max_failures:
                recent.clear()
                self._locked[key] = now + self.lockout
                return True
            return False

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self._locked.clear()

    def _prune(self, now: float) -> None:
        for key in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.window]:
            del self._failures[key]
        for key in [k for k, until in self._locked.items() if until <= now]:
            del self._locked[key]
        while len(self._failures) >= self.max_keys:  # still full: forget the oldest
            del self._failures[next(iter(self._failures))]


ACCOUNTS = Throttle(ACCOUNT_MAX_FAILURES, FAILURE_WINDOW_SECONDS, LOCKOUT_SECONDS)
CLIENTS = Throttle(CLIENT_MAX_FAILURES, FAILURE_WINDOW_SECONDS, LOCKOUT_SECONDS)


@dataclass(frozen=True)
class SignIn:
    """What a password sign-in came to. `outcome`: ok, wrong (unknown user or wrong password),
    locked (the user id or the client is locked out), busy (no free check slot) or demo (a demo
    user on a warehouse that is not a demo build). `locked_now`: this failure locked something."""
    outcome: str
    account: Account | None = None
    message: str = ""
    locked_now: tuple[str, ...] = ()


def _minutes(seconds: float) -> int:
    return max(1, int(-(-seconds // 60)))


def is_demo_sign_in(user_id: str, password: str) -> bool:
    """A demo user with its published password (README)."""
    return any(user_id.strip() == uid and secrets.compare_digest(password, pw)
               for uid, pw, *_ in DEMO_USERS.values())


def demo_users_allowed(warehouse: Path) -> bool:
    """The demo users may sign in: the warehouse is a demo build, or $ASB_ALLOW_DEMO_USERS is 1."""
    return os.environ.get(DEMO_USERS_ENV) == "1" or demo_build(warehouse)


def sign_in(path: Path, user_id: str, password: str, client: str, warehouse: Path,
            now: float | None = None) -> SignIn:
    """A password sign-in, throttled per user id and per client (see the constants above)."""
    user_key, client_key = user_id.strip().lower(), client or "unknown"
    wait = max(CLIENTS.locked_for(client_key, now), ACCOUNTS.locked_for(user_key, now))
    if wait:
        return SignIn("locked", message=f"Too many failed sign-ins: try again in {_minutes(wait)} minutes, "
                      "or ask the OPCC to check your account.")
    if is_demo_sign_in(user_id, password) and not demo_users_allowed(warehouse):
        return SignIn("demo", message="The demo users can sign in to the demo warehouse only. Ask the "
                      "OPCC for an account.")
    try:
        account = authenticate(path, user_id, password)
    except Busy:
        return SignIn("busy", message="Many people are signing in at once: try again in a minute.")
    if account is None:
        locked = tuple(what for what, throttle, key in (("user", ACCOUNTS, user_key), ("client", CLIENTS, client_key))
                       if throttle.fail(key, now))
        message = "Unknown user or wrong password."
        if locked:
            message += f" Too many failed sign-ins: try again in {_minutes(LOCKOUT_SECONDS)} minutes."
        return SignIn("wrong", message=message, locked_now=locked)
    ACCOUNTS.clear(user_key)
    return SignIn("ok", account)


@functools.lru_cache(maxsize=8)
def _demo_build(key: tuple[str, int, int]) -> bool:
    try:
        con = db.connect(Path(key[0]))
    except (duckdb.Error, db.WarehouseError):
        return False
    try:
        return bool(con.execute("select demo from etl_builds order by built_at desc limit 1").fetchall()[0][0])
    except (duckdb.Error, IndexError):  # an older warehouse without the column, or no build
        return False
    finally:
        con.close()


def demo_build(warehouse: Path) -> bool:
    """The warehouse's latest build was made from the demo's inputs (etl_builds.demo)."""
    key = db.build_key(Path(warehouse))
    return key is not None and _demo_build(key)


# --- sessions ------------------------------------------------------------------------------------

def sessions_path() -> Path:
    """The shared session store: sessions.sqlite in the audit log's folder ($ASB_AUDIT's, else the
    warehouse's), a folder the server must be able to write anyway."""
    from insight.access import audit  # not at import: `asb users` needs none of it

    return audit.audit_path(db.warehouse_path()).with_name(SESSIONS_FILE)


_STORE_DDL = """
create table if not exists sessions (
    key text primary key,   -- sha256 of the token (or of an OpenID Connect sign-in), never the token
    last_seen real,         -- the last run of the app that this store heard of (Unix time)
    ended_at real           -- when it was signed out: refused from then on
);
"""


class Sessions:
    """The last run of each signed-in session, on the server: a session ends SESSION_MAX_AGE_SECONDS
    after its sign-in, IDLE_TIMEOUT_SECONDS after its last run, and for good when its person signs
    out (`end`: the token, kept in the browser's session cookie too, is refused from then on).

    Kept in memory and in an owner-only SQLite file (`sessions_path()`: beside the audit log) shared
    by every server process, so a sign-out and the idle time hold after a restart and in a second
    process. A session that no record knows of counts as idle once its sign-in is older than
    IDLE_TIMEOUT_SECONDS. A run is written to the file at most every SESSION_WRITE_SECONDS; a last
    run written by another process is taken when it is newer than this one's. When the file cannot
    be used, the server's log says why and the memory alone decides."""

    def __init__(self, path: Path | None = None):
        self._path = path  # None: sessions_path() when used
        self._seen: dict[str, float] = {}
        self._stored: dict[str, float] = {}  # the last run as the file held it when last read or written here
        self._ended: dict[str, float] = {}  # signed out: key -> when
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None
        self._con_path: Path | None = None

    # the shared file (every method below is called with self._lock held)
    def _store(self) -> sqlite3.Connection:
        path = Path(self._path or sessions_path())
        if self._con is not None and self._con_path == path:
            return self._con
        if self._con is not None:
            self._con.close()
            self._con = None
        private.create_empty(path)  # owner-only before SQLite writes anything (its journal copies the mode)
        con = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        try:
            con.executescript(_STORE_DDL)
            con.execute("delete from sessions where max(coalesce(last_seen, 0), coalesce(ended_at, 0)) < ?",
                        [time.time() - SESSION_MAX_AGE_SECONDS - 3600])  # their tokens have expired anyway
        except sqlite3.Error:
            con.close()
            raise
        self._con, self._con_path = con, path
        return con

    def _stored_row(self, key: str) -> tuple[float | None, float | None] | None:
        try:
            return self._store().execute("select last_seen, ended_at from sessions where key = ?", [key]).fetchone()
        except (sqlite3.Error, OSError) as exc:
            self._unavailable(exc)
            return None

    def _write(self, sql: str, key: str, when: float) -> None:
        try:
            self._store().execute(sql, [key, when])
        except (sqlite3.Error, OSError) as exc:
            self._unavailable(exc)

    def _unavailable(self, exc: Exception) -> None:
        _LOG.warning("the session store %s cannot be used (%s): sign-outs and idle times are kept in this "
                     "process's memory only", self._con_path or self._path or "sessions.sqlite", exc)
        if self._con is not None:
            self._con.close()
        self._con = None

    def ended(self, key: str, started: float, now: float | None = None, touch: bool = True) -> str | None:
        """None while the session lives (and records this run); else "expired", "idle" or "signed_out"."""
        now = time.time() if now is None else now
        if now - started > SESSION_MAX_AGE_SECONDS or started > now + 300:
            return "expired"
        with self._lock:
            if key in self._ended:
                return "signed_out"
            row = self._stored_row(key)
            stored, ended_at = row if row else (None, None)
            if ended_at is not None:  # signed out, here before a restart or in another process
                self._ended[key] = ended_at
                return "signed_out"
            last = self._seen.get(key)
            if stored is not None and stored != self._stored.get(key):  # a run this process did not see
                last = stored if last is None else max(last, stored)
                self._stored[key] = stored
            if now - (started if last is None else last) > IDLE_TIMEOUT_SECONDS:
                return "idle"  # (no record anywhere: idle since it was signed)
            if touch:
                if len(self._seen) > 10_000:
                    self._seen = {k: t for k, t in self._seen.items() if now - t <= IDLE_TIMEOUT_SECONDS}
                    self._stored = {k: t for k, t in self._stored.items() if k in self._seen}
                self._seen[key] = now
                if stored is None or now - stored >= SESSION_WRITE_SECONDS:
                    self._write("insert into sessions (key, last_seen) values (?, ?) on conflict (key) do update "
                                "set last_seen = max(coalesce(last_seen, 0), excluded.last_seen)", key, now)
                    self._stored[key] = max(now, stored or now)
        return None

    def end(self, key: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            self._seen.pop(key, None)
            self._stored.pop(key, None)
            if len(self._ended) > 10_000:  # a token is refused after its maximum age anyway
                self._ended = {k: t for k, t in self._ended.items() if now - t <= SESSION_MAX_AGE_SECONDS}
            self._ended[key] = now
            self._write("insert into sessions (key, ended_at) values (?, ?) on conflict (key) do update "
                        "set ended_at = coalesce(ended_at, excluded.ended_at)", key, now)


SESSIONS = Sessions()
ENDED = {"expired": f"Your sign-in has ended: a sign-in lasts at most {SESSION_MAX_AGE_SECONDS // 3600} hours. "
                    "Sign in again.",
         "signed_out": "You signed out. Sign in again.",
         "idle": f"You were signed out after {IDLE_TIMEOUT_SECONDS // 60} minutes without activity. Sign in again.",
         "password_changed": "Your password has been changed since you signed in. Sign in again.",
         "removed": "Your sign-in has ended: your account is no longer in the users file. Ask the OPCC if "
                    "that is a mistake."}


@functools.cache
def _serializer() -> itsdangerous.URLSafeTimedSerializer:
    # A secret made at start-up signs tokens for this server process only (a restart signs
    # everyone out); set $ASB_SESSION_SECRET to share one between processes.
    secret = os.environ.get(SECRET_ENV) or secrets.token_hex(32)
    return itsdangerous.URLSafeTimedSerializer(secret, salt=_SALT)


def credential_mark(password_hash: str) -> str:
    """What a token keeps of the password it was signed in with: a short SHA-256 of the account's
    password hash (the hash itself, salted argon2, cannot be had back from it)."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def issue_token(user_id: str, demo: bool = False, password_hash: str | None = None) -> str:
    """A signed, timestamped token naming the user (no role: that is read from the file);
    `demo`: signed in with a demo user's published password; `password_hash`: the account's hash
    when it signed in (the sign-in form gives it), so a new password, or an account made again
    under the same id, ends every sign-in made before it (`viewer_for_token`)."""
    payload = {"user": user_id, "demo": demo, "n": secrets.token_hex(8)}
    if password_hash is not None:
        payload["c"] = credential_mark(password_hash)
    return _serializer().dumps(payload)


def _token_payload(token: object) -> tuple[dict, float] | None:
    if not isinstance(token, str):
        return None
    try:
        payload, signed_at = _serializer().loads(token, max_age=TOKEN_MAX_AGE_SECONDS, return_timestamp=True)
    except itsdangerous.BadData:
        return None
    return (payload, signed_at.timestamp()) if isinstance(payload, dict) else None


def _session_key(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def token_user(token: object) -> str | None:
    """The user id inside a token this server signed in the last TOKEN_MAX_AGE_SECONDS, else None."""
    found = _token_payload(token)
    return found[0].get("user") if found else None


def token_ended(token: object, now: float | None = None, path: Path | None = None) -> str | None:
    """"expired", "idle" or "signed_out" when a token this server signed belongs to a session that
    has ended; with the users file `path`, "password_changed" when its account's password is no
    longer the one it was signed in with, "removed" when the account is no longer there (or has no
    password)."""
    if not isinstance(token, str):
        return None
    try:
        payload, signed_at = _serializer().loads(token, return_timestamp=True)
    except itsdangerous.BadData:
        return None
    ended = SESSIONS.ended(_session_key("token", token), signed_at.timestamp(), now, touch=False)
    if ended is None and path is not None and isinstance(payload, dict) and payload.get("user"):
        try:
            account = load_accounts(path).get(payload.get("user"))
        except UsersFileError:
            return None
        if not (account and account.password_hash):
            return "removed"
        if "c" in payload and credential_mark(account.password_hash) != payload["c"]:
            return "password_changed"
    return ended


def viewer_for_token(path: Path, token: object, warehouse: Path | None = None,
                     now: float | None = None) -> access.Viewer | None:
    """The viewer a local sign-in token stands for (None if invalid, expired, idle too long, a demo
    sign-in on a warehouse that is not a demo build, no longer a user, or signed in with a password
    the account no longer has: a password reset ends the sign-ins, and session cookies, made before)."""
    found = _token_payload(token)
    if found is None:
        return None
    payload, signed_at = found
    if payload.get("demo") and warehouse is not None and not demo_users_allowed(warehouse):
        return None
    account = load_accounts(path).get(payload.get("user")) if payload.get("user") else None
    if not (account and account.password_hash):
        return None
    if "c" in payload and payload["c"] != credential_mark(account.password_hash):
        return None
    if SESSIONS.ended(_session_key("token", token), signed_at, now):
        return None
    return account.viewer()


def end_session(token: object = None, claims: dict | None = None) -> None:
    """Forget a session's last run (sign-out)."""
    if isinstance(token, str):
        SESSIONS.end(_session_key("token", token))
    if claims:
        SESSIONS.end(_session_key("oidc", claims.get("iss"), claims.get("sub"), claims.get("iat")))


# --- the session cookie (a reload, a new tab or an opened link keeps the sign-in) -----------------

COOKIE_NAME = "asb_session"    # HttpOnly, SameSite=Strict; holds the local sign-in token (see serve.py)
TICKET_SECONDS = 60            # a page has this long to trade its ticket for the cookie


class Tickets:
    """One-time tickets, each standing for a sign-in token, so that the page can ask the server to
    put the token into an HttpOnly cookie without the token itself ever reaching the page's script."""

    def __init__(self):
        self._tickets: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def issue(self, token: str, now: float | None = None) -> str:
        now = time.time() if now is None else now
        ticket = secrets.token_urlsafe(32)
        with self._lock:
            self._tickets = {k: v for k, v in self._tickets.items() if now - v[1] <= TICKET_SECONDS}
            self._tickets[ticket] = (token, now)
        return ticket

    def redeem(self, ticket: object, now: float | None = None) -> str | None:
        """The token of an unused ticket issued in the last TICKET_SECONDS (the ticket is then spent)."""
        now = time.time() if now is None else now
        if not isinstance(ticket, str):
            return None
        with self._lock:
            found = self._tickets.pop(ticket, None)
        return found[0] if found and now - found[1] <= TICKET_SECONDS else None


TICKETS = Tickets()


def account_for_claims(path: Path, claims: dict) -> Account | None:
    """The account an OpenID Connect identity maps to: by (issuer, subject), else by (issuer,
    e-mail) when the provider says the e-mail is verified (`email_verified` true)."""
    issuer, subject = str(claims.get("iss") or "").strip(), str(claims.get("sub") or "").strip()
    email = str(claims.get("email") or "").strip().lower()
    if not issuer:
        return None
    accounts = [a for a in load_accounts(path).values() if a.issuer and a.issuer == issuer]
    by_subject = [a for a in accounts if subject and a.subject == subject]
    if by_subject:
        return by_subject[0]
    if email and claims.get("email_verified") is True:
        return next((a for a in accounts if a.email and a.email == email), None)
    return None


def claims_ended(claims: dict, now: float | None = None, touch: bool = True) -> str | None:
    """"expired" or "idle" when an OpenID Connect sign-in has ended: at most SESSION_MAX_AGE_SECONDS
    after the ID token was issued (`iat`; Streamlit's cookie itself lasts 30 days), and after
    IDLE_TIMEOUT_SECONDS without a run. Claims without `iat` are treated as expired."""
    try:
        issued = float(claims.get("iat"))
    except (TypeError, ValueError):
        return "expired"
    return SESSIONS.ended(_session_key("oidc", claims.get("iss"), claims.get("sub"), claims.get("iat")),
                          issued, now, touch)


def viewer_for_claims(path: Path, claims: dict, now: float | None = None) -> access.Viewer | None:
    """The viewer of a live OpenID Connect sign-in (None when unmapped or ended)."""
    account = account_for_claims(path, claims)
    if account is None or claims_ended(claims, now):
        return None
    return account.viewer()


def _toml_entry(account: Account) -> str:
    fields = {"id": account.user_id, "name": account.name, "role": account.role,
              "authority": account.authority_code, "password_hash": account.password_hash,
              "email": account.email, "subject": account.subject, "issuer": account.issuer}
    lines = [f"{k} = {json.dumps(v)}" for k, v in fields.items() if v]
    return "[[user]]\n" + "\n".join(lines) + "\n"


def write_accounts(path: Path, accounts: list[Account]) -> Path:
    """Write a users file, readable by the owner only: a new file made 0600 and moved over the old
    one (a link at `path` is replaced, never followed)."""
    header = ("# Users of the ASB dashboard: role, authority (council managers), and a password hash\n"
              "# (argon2id) for local sign-in or the OpenID Connect issuer with subject/e-mail. See README.md.\n\n")
    return private.write(path, header + "\n".join(_toml_entry(a) for a in accounts), replace=True)


def demo_accounts(fast: bool = False) -> list[Account]:
    """The four demo users with hashed demo passwords."""
    return [Account(uid, role, code, name, hash_password(password, fast))
            for uid, password, role, code, name in DEMO_USERS.values()]


def check_new_account(path: Path, account: Account) -> list[Account]:
    """Refuse an account that cannot be added to the users file at `path` (an empty id, one that
    exists, a role without its authority, an OpenID Connect match without its issuer); returns
    the file's accounts."""
    if not account.user_id.strip():
        raise UsersFileError("the user id is empty: give the name the user signs in with")
    existing = list(load_accounts(path).values()) if path.exists() else []
    # ids that differ only in case or spaces are one id to the lockout (and to a reader): refused
    same = [a.user_id for a in existing if a.user_id.strip().casefold() == account.user_id.strip().casefold()]
    if same:
        raise UsersFileError(f"user {account.user_id} already exists in {path}"
                             + ("" if same[0] == account.user_id else f" (as {same[0]})"))
    account.viewer()  # validates role and authority
    if (account.subject or account.email) and not account.issuer:
        raise UsersFileError(f"user {account.user_id}: an OpenID Connect subject or e-mail needs the "
                             "provider's issuer (--issuer, the `iss` of its tokens)")
    if account.issuer and not (account.subject or account.email):
        raise UsersFileError(f"user {account.user_id}: an OpenID Connect issuer matches a user by its "
                             "--subject or --email: give one")
    return existing


def add_account(path: Path, account: Account) -> Path:
    """Add a user to a users file (created if missing); refuses what `check_new_account` refuses."""
    return write_accounts(path, [*check_new_account(path, account), account])


def loose_files(warehouse: Path, audit_file: Path, audit_key: Path) -> list[str]:
    """The secret and data files that others can read or write, each with the fix: the users file,
    the warehouse, the audit log and its key, the build's default pseudonymisation key, and
    Streamlit's .streamlit/secrets.toml (the OpenID Connect client and cookie secrets)."""
    files = [users_path(), warehouse, audit_file, audit_key, warehouse.parent / "secrets" / "pseudonym.key",
             Path(".streamlit") / "secrets.toml"]
    return [why for why in (private.loose(f) for f in files) if why]


def _origin_key(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def same_site(origin: str | None, host: str | None) -> bool:
    """Whether a POST to serve.py's cookie routes comes from the dashboard's own page: no Origin
    header (not a browser's cross-site request), or an Origin whose host is the request's Host, or
    one that $ASB_PUBLIC_ORIGIN names exactly (scheme, host and port; ignoring case and a trailing
    slash), for a server behind a reverse proxy that rewrites Host. A sandboxed page's Origin
    ("null") is never accepted."""
    if origin is None:
        return True
    if origin.strip().lower() == "null":
        return False
    if host is not None and origin.split("://", 1)[-1] == host:
        return True
    named = {_origin_key(o) for o in os.environ.get(PUBLIC_ORIGIN_ENV, "").split(",") if o.strip()}
    return _origin_key(origin) in named
