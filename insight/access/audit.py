"""The audit log: an append-only SQLite file of every view and export of person-level data.

The warehouse is read-only and replaced on every build, so the log lives in its own file:
`$ASB_AUDIT`, else `audit.sqlite` beside the warehouse (`data/audit.sqlite`). Each entry says
who (user, role, authority), when (UTC), what (view, export, sign-in, sign-out, denied), which
page and query, with which filters (JSON) and how many rows. Triggers abort every UPDATE and
DELETE and any INSERT that is not the next entry of the chain; each entry carries the SHA-256
of the previous entry's hash and its own fields, so an edit made outside the application (with
the triggers dropped) breaks the chain at that entry and `verify` names it. No Streamlit here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from insight.access import roles as access

AUDIT_ENV = "ASB_AUDIT"
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
"""


def audit_path(warehouse: Path) -> Path:
    """The audit file: $AUDIT_ENV, else audit.sqlite beside the warehouse."""
    return Path(os.environ.get(AUDIT_ENV) or warehouse.parent / "audit.sqlite").resolve()


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    con.executescript(_DDL)
    return con


def entry_hash(prev_hash: str, fields: dict) -> str:
    """SHA-256 over the previous hash and the entry's fields (canonical JSON)."""
    body = json.dumps([prev_hash, *(fields[f] for f in FIELDS)], separators=(",", ":"), default=str)
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


def record(path: Path, viewer: access.Viewer | None, action: str, page: str, what: str,
           filters: str = "{}", row_count: int = 0) -> int:
    """Append one entry and return its sequence number."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    con = _connect(path)
    try:
        con.execute("begin immediate")  # one writer at a time, so the chain stays a chain
        last = con.execute("select seq, row_hash from audit_log order by seq desc limit 1").fetchone()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        fields = {"seq": seq, "at_utc": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
                  "user_id": viewer.user_id if viewer else "", "role": viewer.role if viewer else "",
                  "authority_code": viewer.authority_code if viewer else None, "action": action,
                  "page": page, "what": what, "filters": filters, "row_count": int(row_count)}
        con.execute(f"insert into audit_log ({', '.join(FIELDS)}, prev_hash, row_hash) "
                    f"values ({', '.join('?' * (len(FIELDS) + 2))})",
                    [*fields.values(), prev_hash, entry_hash(prev_hash, fields)])
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


def verify(path: Path) -> tuple[int, int | None]:
    """(entries checked, seq of the first entry whose hash or link is wrong, or None when intact)."""
    if not path.exists():
        return 0, None
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute(f"select {', '.join(FIELDS)}, prev_hash, row_hash from audit_log order by seq")
        prev, count, expected_seq = GENESIS, 0, 1
        for row in rows:
            fields = dict(zip(FIELDS, row[:-2], strict=True))
            count += 1
            if (fields["seq"] != expected_seq or row[-2] != prev
                    or row[-1] != entry_hash(prev, fields)):
                return count, fields["seq"]
            prev, expected_seq = row[-1], expected_seq + 1
        return count, None
    finally:
        con.close()
