"""The audit log: an append-only SQLite file of every view and export of person-level data.

The warehouse is read-only and replaced on every build, so the log lives in its own file:
`$ASB_AUDIT`, else `audit.sqlite` beside the warehouse (`data/audit.sqlite`). Each entry says
who (user, role, authority), when (UTC), what (view, export, sign-in, sign-out, denied), which
page and query, with which filters (JSON) and how many rows. Triggers abort every UPDATE and
DELETE and any INSERT that is not the next entry of the chain; each entry carries the SHA-256
of the previous entry's hash and its own fields, so an edit made outside the application (with
the triggers dropped) breaks the chain at that entry and `verify` names it. No Streamlit here.

The chain is keyed: an entry's hash is an HMAC-SHA256 under the audit key (`$ASB_AUDIT_KEY`, else
the file `secrets/audit.key` beside the log, made 0600 on first use), stored as "h1:<hex>", so
someone who can write the file but not read the key cannot rebuild the chain. Entries written
before the key (plain SHA-256) still verify, and are counted as unkeyed, but only as many as a
record the forger cannot make says: the marker (`audit_keyed`, one row signed with the audit key)
written into the log when the chain becomes keyed, else the count in the key file (not when the key
is in $ASB_AUDIT_KEY), else $ASB_AUDIT_UNKEYED_ENTRIES set by the administrator. Unkeyed entries
with no such record fail verification; an unkeyed entry after a keyed one breaks the chain.
Cutting entries off the end leaves a valid chain, so `checkpoint` exports the newest hash with the
count and the time, and `verify_checkpoint` finds a log that no longer reaches it (`asb audit
checkpoint`, `asb audit verify --checkpoint FILE`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from etl.transform import private
from insight.access import roles as access

AUDIT_ENV, AUDIT_KEY_ENV = "ASB_AUDIT", "ASB_AUDIT_KEY"
UNKEYED_ENV = "ASB_AUDIT_UNKEYED_ENTRIES"  # an administrator's count of the entries from before the key
KEYED = "h1:"  # the prefix of a keyed entry's hash (HMAC-SHA256 under the audit key)
ACTIONS = ("view", "export", "sign_in", "sign_out", "denied")
FIELDS = ("seq", "at_utc", "user_id", "role", "authority_code", "action", "page", "what", "filters",
          "row_count")
GENESIS = "0" * 64

_DDL = f"""
create table if not exists audit_log (
    seq integer primary key,            -- 1, 2, 3, ... in the order written
    at_utc text not null,               -- ISO 8601, UTC, microseconds
    user_id text not null,
    role text not null,
    authority_code text,                -- council managers
    action text not null check (action in ({", ".join(f"'{a}'" for a in ACTIONS)})),
    page text not null,                 -- the page's url path ('' = the default page)
    what text not null,                 -- the named query, or the file exported
    filters text not null,              -- the query's arguments as JSON
    row_count integer not null,
    prev_hash text not null,            -- row_hash of the entry before (zeros for the first)
    row_hash text not null              -- sha256 of prev_hash and this entry's fields
);
create trigger if not exists audit_log_no_update before update on audit_log
begin select raise(abort, 'the audit log is append-only: entries cannot be changed'); end;
create trigger if not exists audit_log_no_delete before delete on audit_log
begin select raise(abort, 'the audit log is append-only: entries cannot be deleted'); end;
create trigger if not exists audit_log_append_only before insert on audit_log
when new.seq is not (select coalesce(max(seq), 0) + 1 from audit_log)
  or new.prev_hash is not (select coalesce((select row_hash from audit_log order by seq desc limit 1),
                                           '{GENESIS}'))
begin select raise(abort, 'the audit log is append-only: only the next entry of the chain can be added'); end;
create table if not exists audit_keyed (
    unkeyed_entries integer not null,   -- entries written before the chain was keyed (plain SHA-256)
    anchor text not null,               -- the row_hash of the last of them (zeros when none)
    mac text not null                   -- HMAC-SHA256 of the two under the audit key
);
create trigger if not exists audit_keyed_no_update before update on audit_keyed
begin select raise(abort, 'the audit log is append-only: entries cannot be changed'); end;
create trigger if not exists audit_keyed_no_delete before delete on audit_keyed
begin select raise(abort, 'the audit log is append-only: entries cannot be deleted'); end;
create trigger if not exists audit_keyed_once before insert on audit_keyed
when (select count(*) from audit_keyed) > 0
begin select raise(abort, 'the audit log is append-only: the chain was keyed once'); end;
"""


def audit_path(warehouse: Path) -> Path:
    """The audit file: $AUDIT_ENV, else audit.sqlite beside the warehouse."""
    return Path(os.environ.get(AUDIT_ENV) or warehouse.parent / "audit.sqlite").resolve()


def key_path(path: Path) -> Path:
    """The audit key's file: secrets/audit.key beside the audit log."""
    return Path(path).parent / "secrets" / "audit.key"


def audit_key(path: Path, create: bool = True) -> bytes | None:
    """The key of the chain: $ASB_AUDIT_KEY, else the key file (made owner-only if missing and
    `create`: for a log with no entry, or one whose unkeyed entries the administrator counted,
    $ASB_AUDIT_UNKEYED_ENTRIES; else OSError), else None."""
    value = os.environ.get(AUDIT_KEY_ENV)
    if value:
        return value.encode("utf-8")
    lines = _key_lines(path, create)
    if create and not (lines and lines[0].strip()):   # a log that holds entries, without its key:
        # fail closed (an entry written unkeyed, or a new key vouching for them, would accept a forgery)
        raise OSError(f"it holds entries but its key ({key_path(path)}) is missing: restore the key file, or, for a "
                      f"log from before the key, set ${UNKEYED_ENV} to the number of its entries")
    return lines[0].strip().encode("utf-8") if lines and lines[0].strip() else None


def _key_lines(path: Path, create: bool) -> list[str]:
    file = key_path(path)
    if create and not file.exists():
        # The key file also says how many entries may be unkeyed (so a log rebuilt later with plain
        # hashes does not verify): none for a log with no entry; for a log that holds entries (one
        # from before the key), only the count the administrator vouches for. Never merely what the
        # log holds now: someone without the key who rewrote it unkeyed, dropped its marker and
        # deleted the key file would have it vouched for (`_append` then writes nothing).
        held, vouched = _entries(path), os.environ.get(UNKEYED_ENV, "").strip()
        if held == 0 or vouched.isdigit():
            try:
                private.write(file, f"{secrets.token_hex(32)}\nunkeyed_entries = {vouched if held else 0}\n")
            except FileExistsError:
                pass  # made meanwhile by another writer
    try:
        return file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def _marker_mac(key: bytes, unkeyed: int, anchor: str) -> str:
    body = json.dumps([unkeyed, anchor], separators=(",", ":"))
    return hmac.new(key, b"asb-audit-keyed:" + body.encode("utf-8"), hashlib.sha256).hexdigest()


def _marker(con: sqlite3.Connection, key: bytes | None) -> tuple[int, str] | None:
    """(unkeyed entries, hash of the last of them) from the log's keyed marker, when it is there
    and signed with `key`."""
    if key is None:
        return None
    try:
        rows = con.execute("select unkeyed_entries, anchor, mac from audit_keyed").fetchall()
    except sqlite3.OperationalError:  # a log from before the marker
        return None
    for unkeyed, anchor, mac in rows:
        if (isinstance(unkeyed, int) and isinstance(anchor, str) and isinstance(mac, str)
                and hmac.compare_digest(mac, _marker_mac(key, unkeyed, anchor))):
            return unkeyed, anchor
    return None


def _recorded_counts(path: Path) -> list[int]:
    """The counts of unkeyed entries recorded outside the log: the key file's (written when it was
    made; not when the key is in $ASB_AUDIT_KEY, since the file is then no key of ours), then the
    administrator's $ASB_AUDIT_UNKEYED_ENTRIES."""
    counts = []
    if not os.environ.get(AUDIT_KEY_ENV):
        for line in _key_lines(path, create=False)[1:]:
            name, _, value = line.partition("=")
            if name.strip() == "unkeyed_entries" and value.strip().isdigit():
                counts.append(int(value))
                break
    value = os.environ.get(UNKEYED_ENV, "").strip()
    if value.isdigit():
        counts.append(int(value))
    return counts


def _unkeyed_limit(path: Path, con: sqlite3.Connection, key: bytes | None) -> tuple[int, str | None] | None:
    """How many first entries may be unkeyed, and the hash the last of them must have (None: not
    checked), from a record someone without the key cannot make: the log's keyed marker, else a
    count recorded outside the log (`_recorded_counts`). None when nothing says."""
    marker = _marker(con, key)
    if marker is not None:
        return marker
    counts = _recorded_counts(path)
    return (counts[0], None) if counts else None


def _entries(path: Path) -> int:
    if not Path(path).exists() or Path(path).stat().st_size == 0:
        return 0
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("select coalesce(max(seq), 0) from audit_log").fetchone()[0]
    except sqlite3.OperationalError:  # no table yet
        return 0
    finally:
        con.close()


def _connect(path: Path) -> sqlite3.Connection:
    private.create_empty(path)  # owner-only before SQLite writes anything (its journal copies the mode)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    con.executescript(_DDL)
    return con


def entry_hash(prev_hash: str, fields: dict, key: bytes | None = None) -> str:
    """The hash of an entry over the previous hash and its fields (canonical JSON): HMAC-SHA256
    under `key` ("h1:" + hex), or plain SHA-256 (entries written before the chain was keyed)."""
    body = json.dumps([prev_hash, *(fields[f] for f in FIELDS)], separators=(",", ":"), default=str)
    if key is not None:
        return KEYED + hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _json_value(value):
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple | list | set | frozenset):
        return [_json_value(v) for v in value]
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def filters_json(arguments: dict) -> str:
    """Query arguments as stable JSON (dates as ISO text, tuples as lists)."""
    return json.dumps({k: _json_value(v) for k, v in arguments.items()}, sort_keys=True)


class AuditUnavailable(RuntimeError):
    """The audit log cannot be written (its path a folder, a read-only or full disk, a locked or
    corrupt file): what must be logged is not done (fail closed)."""


def record(path: Path, viewer: access.Viewer | None, action: str, page: str, what: str,
           filters: str = "{}", row_count: int = 0) -> int:
    """Append one entry and return its sequence number; AuditUnavailable when it cannot."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    try:
        return _append(path, viewer, action, page, what, filters, row_count)
    except (sqlite3.Error, OSError) as exc:
        raise AuditUnavailable(f"the audit log {path} cannot be written ({exc}): nothing that must be logged "
                               "was done") from exc


def _append(path: Path, viewer: access.Viewer | None, action: str, page: str, what: str, filters: str,
            row_count: int) -> int:
    key = audit_key(path)
    con = _connect(path)
    try:
        con.execute("begin immediate")  # one writer at a time, so the chain stays a chain
        last = con.execute("select seq, row_hash from audit_log order by seq desc limit 1").fetchone()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        if key is not None and not prev_hash.startswith(KEYED) and seq - 1 in (0, *_recorded_counts(path)) \
                and not con.execute("select count(*) from audit_keyed").fetchone()[0]:
            # the chain becomes keyed with this entry: record, signed, how many came before it. Only
            # a count known otherwise (none, the key file's, the administrator's): never merely what
            # the log holds now, which someone without the key may have rewritten unkeyed
            con.execute("insert into audit_keyed (unkeyed_entries, anchor, mac) values (?, ?, ?)",
                        [seq - 1, prev_hash, _marker_mac(key, seq - 1, prev_hash)])
        fields = {"seq": seq, "at_utc": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
                  "user_id": viewer.user_id if viewer else "", "role": viewer.role if viewer else "",
                  "authority_code": viewer.authority_code if viewer else None, "action": action,
                  "page": page, "what": what, "filters": filters, "row_count": int(row_count)}
        con.execute(f"insert into audit_log ({', '.join(FIELDS)}, prev_hash, row_hash) "
                    f"values ({', '.join('?' * (len(FIELDS) + 2))})",
                    [*fields.values(), prev_hash, entry_hash(prev_hash, fields, key)])
        con.execute("commit")
        return seq
    finally:
        con.close()


def entries(path: Path, viewer: access.Viewer | None, start: dt.date | None = None,
            end: dt.date | None = None, users: Iterable[str] = (), actions: Iterable[str] = (),
            pages: Iterable[str] = (), text: str = "") -> pd.DataFrame:
    """Entries of the log, newest first, filtered; for the OPCC analyst role only."""
    if viewer is None or viewer.role != access.OPCC_ANALYST:
        raise access.AccessDenied("the audit log is for the OPCC analyst role only")
    users, actions, pages = list(users), list(actions), list(pages)
    con = _connect(path)
    try:
        frame = pd.read_sql_query(f"""
            select {", ".join(FIELDS)} from audit_log
            where (? is null or substr(at_utc, 1, 10) >= ?) and (? is null or substr(at_utc, 1, 10) <= ?)
              and ({len(users)} = 0 or user_id in (select value from json_each(?)))
              and ({len(actions)} = 0 or action in (select value from json_each(?)))
              and ({len(pages)} = 0 or page in (select value from json_each(?)))
              and (? = '' or instr(lower(what || ' ' || filters), lower(?)) > 0)
            order by seq desc
        """, con, params=[_json_value(start)] * 2 + [_json_value(end)] * 2
            + [json.dumps(users), json.dumps(actions), json.dumps(pages), text.strip(), text.strip()])
    finally:
        con.close()
    frame["at_utc"] = pd.to_datetime(frame["at_utc"], format="ISO8601")
    return frame


def choices(path: Path, viewer: access.Viewer | None) -> dict[str, list[str]]:
    """The distinct users, actions and pages in the log, for filter lists (OPCC analysts only)."""
    if viewer is None or viewer.role != access.OPCC_ANALYST:
        raise access.AccessDenied("the audit log is for the OPCC analyst role only")
    con = _connect(path)
    try:
        return {c: [r[0] for r in con.execute(f"select distinct {c} from audit_log order by 1")]
                for c in ("user_id", "action", "page")}
    finally:
        con.close()


@dataclass(frozen=True)
class Verified:
    """What `verify` found: entries checked, the first entry whose hash or link is wrong (None when
    intact), how many entries are unkeyed (written before the chain was keyed), the newest entry's
    number and hash, and why the chain could not be checked (e.g. no key for keyed entries)."""
    entries: int
    broken: int | None
    unkeyed: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None and self.problem is None


def verify(path: Path, key: bytes | None = None) -> Verified:
    """Check every entry's number, link and hash (keyed entries under `key`, default the audit key).
    An absent log is empty (nothing logged yet); a file that is no audit log (another file, an empty
    or cut-off one) is a problem, never a pass."""
    if not path.exists():
        return Verified(0, None)
    key = key if key is not None else audit_key(path, create=False)
    try:
        return _verify_rows(path, key)
    except sqlite3.DatabaseError as exc:  # not SQLite, cut short, or no audit_log table
        return Verified(0, None, problem=f"the file is not an audit log ({exc}): it was replaced or damaged")


def _verify_rows(path: Path, key: bytes | None) -> Verified:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        known = _unkeyed_limit(path, con, key)
        limit, anchor = known if known is not None else (None, None)
        rows = con.execute(f"select {', '.join(FIELDS)}, prev_hash, row_hash from audit_log order by seq")
        prev, count, expected_seq, unkeyed, keyed_seen = GENESIS, 0, 1, 0, False
        for row in rows:
            fields = dict(zip(FIELDS, row[:-2], strict=True))
            count += 1
            row_hash = row[-1]
            if row_hash.startswith(KEYED):
                if key is None:
                    return Verified(count, None, unkeyed, expected_seq - 1, prev,
                                    f"entry {fields['seq']} on is keyed and the audit key is missing "
                                    f"(${AUDIT_KEY_ENV} or {key_path(path)})")
                good, keyed_seen = hmac.compare_digest(row_hash, entry_hash(prev, fields, key)), True
            else:  # unkeyed (plain SHA-256): only before the first keyed entry, as many as recorded
                good = (not keyed_seen and row_hash == entry_hash(prev, fields)
                        and (limit is None or fields["seq"] <= limit)
                        and (anchor is None or fields["seq"] != limit or row_hash == anchor))
                unkeyed += 1
            if fields["seq"] != expected_seq or row[-2] != prev or not good:
                return Verified(count, fields["seq"], unkeyed, expected_seq - 1, prev)
            prev, expected_seq = row_hash, expected_seq + 1
        if unkeyed and limit is None:
            return Verified(count, None, unkeyed, expected_seq - 1, prev,
                            f"{'all ' if unkeyed == count else ''}{unkeyed} entries are unkeyed (plain SHA-256) and "
                            "nothing signed with the audit key says how many were written before the chain "
                            "was keyed, so they prove nothing: anyone who can write the file could have "
                            f"rewritten them (if they are genuine, set ${UNKEYED_ENV} to their number)")
        return Verified(count, None, unkeyed, expected_seq - 1, prev)
    finally:
        con.close()


def checkpoint(path: Path) -> dict:
    """The log's newest entry as a checkpoint to keep somewhere else (JSON): its number, hash and
    the time, signed with the audit key. Raises ValueError when the chain is not intact."""
    found = verify(path)
    if not found.intact:
        raise ValueError(found.problem or f"the audit chain breaks at entry {found.broken}")
    point = {"file": str(path), "entries": found.entries, "last_seq": found.last_seq,
             "last_hash": found.last_hash, "at_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    key = audit_key(path, create=False)
    if key is not None:
        point["mac"] = _checkpoint_mac(point, key)
    return point


def _checkpoint_mac(point: dict, key: bytes) -> str:
    body = json.dumps([point[k] for k in ("entries", "last_seq", "last_hash", "at_utc")], separators=(",", ":"))
    return hmac.new(key, b"asb-audit-checkpoint:" + body.encode(), hashlib.sha256).hexdigest()


def verify_checkpoint(path: Path, point: dict) -> list[str]:
    """Why the log no longer matches a checkpoint taken earlier (empty when it still does): the
    chain must be intact, still hold the checkpoint's newest entry with the same hash, and hold
    at least as many entries."""
    if not (isinstance(point, dict) and all(isinstance(point.get(k), int) and not isinstance(point.get(k), bool)
                                            for k in ("entries", "last_seq"))
            and isinstance(point.get("last_hash"), str)):
        return ["this is not a checkpoint written by `asb audit checkpoint` (it needs entries, last_seq and "
                "last_hash): it proves nothing"]
    found, problems = verify(path), []
    if not found.intact:
        problems.append(found.problem or f"the hash chain breaks at entry {found.broken}")
    key = audit_key(path, create=False)
    if "mac" in point and key is not None and not hmac.compare_digest(str(point["mac"]), _checkpoint_mac(point, key)):
        problems.append("the checkpoint's signature does not match the audit key: it was not made from this log")
    seq, at = point["last_seq"], point.get("at_utc", "?")
    if found.entries < point["entries"] or found.last_seq < seq:
        problems.append(f"the log ends at entry {found.last_seq}, but the checkpoint of {at} recorded "
                        f"{point.get('entries')} entries: entries were cut off or the log was replaced")
    elif seq and _hash_of(path, seq) != point.get("last_hash"):
        problems.append(f"entry {seq} differs from the checkpoint of {at}: the log was rewritten")
    return problems


def _hash_of(path: Path, seq: int) -> str | None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = con.execute("select row_hash from audit_log where seq = ?", [seq]).fetchone()
        return row[0] if row else None
    finally:
        con.close()
