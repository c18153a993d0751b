"""The audit log store (insight/access/audit.py): appends a hash chain, refuses edits, detects tampering.

A real SQLite file per test. Entries are appended with consecutive numbers, each linked to the
one before; UPDATE, DELETE and any insert that is not the next link are aborted by the file's
own triggers, whoever connects; an edit made after dropping the triggers is found by `verify`;
only the OPCC analyst role may read the entries.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from insight.access import audit
from insight.access import roles as access

OPCC = access.Viewer("opcc.analyst", access.OPCC_ANALYST, name="Olivia")
EREWASH = access.Viewer("erewash.manager", access.COUNCIL_MANAGER, "E07000036")
BOARD = access.Viewer("board.viewer", access.BOARD_VIEWER)


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "audit.sqlite"
    audit.record(path, OPCC, "view", "threshold", "near_miss_work_list",
                 audit.filters_json({"as_of": dt.date(2026, 10, 31), "person_codes": ("E07000036",)}), 29)
    audit.record(path, EREWASH, "export", "threshold", "near_misses_2026-10-31.csv", "{}", 29)
    audit.record(path, BOARD, "denied", "maps", "area_incidents", '{"codes": ["E07000036"]}', 0)
    return path


def test__record__numbers_entries_and_chains_them(log):
    con = sqlite3.connect(log)
    rows = con.execute("select seq, prev_hash, row_hash from audit_log order by seq").fetchall()
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[0][1] == audit.GENESIS and rows[1][1] == rows[0][2] and rows[2][1] == rows[1][2]
    assert (audit.verify(log).entries, audit.verify(log).broken) == (3, None)


def test__record__keeps_who_when_what_filters_and_rows(log):
    first = audit.entries(log, OPCC).iloc[-1]
    assert (first["user_id"], first["role"], first["action"], first["page"], first["row_count"]) == (
        "opcc.analyst", "opcc_analyst", "view", "threshold", 29)
    assert json.loads(first["filters"]) == {"as_of": "2026-10-31", "person_codes": ["E07000036"]}
    assert abs(first["at_utc"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert audit.entries(log, OPCC).iloc[1]["authority_code"] == "E07000036"


@pytest.mark.parametrize("sql", [
    "update audit_log set row_count = 0 where seq = 1",
    "update audit_log set user_id = 'someone.else'",
    "delete from audit_log where seq = 2",
    "delete from audit_log",
    "insert or replace into audit_log select * from audit_log where seq = 1",
    "replace into audit_log select * from audit_log where seq = 3",
    "insert into audit_log (seq, at_utc, user_id, role, action, page, what, filters, row_count, prev_hash, "
    "row_hash) values (9, '2026-01-01', 'x', 'opcc_analyst', 'view', '', '', '{}', 0, 'a', 'b')",
    "insert into audit_log (seq, at_utc, user_id, role, action, page, what, filters, row_count, prev_hash, "
    "row_hash) values (4, '2026-01-01', 'x', 'opcc_analyst', 'view', '', '', '{}', 0, 'not the last hash', 'b')",
])
def test__audit_log__refuses_edits_whoever_connects(log, sql):
    con = sqlite3.connect(log)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute(sql)
    con.rollback()
    assert (audit.verify(log).entries, audit.verify(log).broken) == (3, None)
    assert len(audit.entries(log, OPCC)) == 3


def test__verify__finds_an_edit_made_with_the_triggers_dropped(log):
    con = sqlite3.connect(log)
    con.executescript("drop trigger audit_log_no_update; update audit_log set row_count = 0 where seq = 2;")
    con.close()
    assert (audit.verify(log).entries, audit.verify(log).broken) == (2, 2)


def test__verify__finds_a_deleted_entry(log):
    con = sqlite3.connect(log)
    con.executescript("drop trigger audit_log_no_delete; delete from audit_log where seq = 2;")
    con.close()
    assert audit.verify(log).broken == 3


def test__verify__an_absent_log_is_empty(tmp_path):
    assert audit.verify(tmp_path / "none.sqlite") == audit.Verified(0, None)


def test__record__refuses_an_unknown_action(log):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(log, OPCC, "delete", "", "")


@pytest.mark.parametrize("viewer", [EREWASH, BOARD, None])
def test__entries__for_the_opcc_analyst_only(log, viewer):
    with pytest.raises(access.AccessDenied):
        audit.entries(log, viewer)
    with pytest.raises(access.AccessDenied):
        audit.choices(log, viewer)


@pytest.mark.parametrize("kwargs, expected", [
    ({}, [3, 2, 1]),
    ({"users": ["erewash.manager"]}, [2]),
    ({"actions": ["view", "denied"]}, [3, 1]),
    ({"pages": ["maps"]}, [3]),
    ({"text": "NEAR_MISS"}, [2, 1]),
    ({"start": dt.date.today() + dt.timedelta(days=2)}, []),
    ({"end": dt.date(2020, 1, 1)}, []),
])
def test__entries__filters(log, kwargs, expected):
    assert list(audit.entries(log, OPCC, **kwargs)["seq"]) == expected


def test__choices__the_users_actions_and_pages_in_the_log(log):
    assert audit.choices(log, OPCC) == {"user_id": ["board.viewer", "erewash.manager", "opcc.analyst"],
                                  "action": ["denied", "export", "view"], "page": ["maps", "threshold"]}


def test__audit_path__env_else_beside_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.delenv(audit.AUDIT_ENV, raising=False)
    assert audit.audit_path(tmp_path / "w.duckdb") == tmp_path / "audit.sqlite"
    monkeypatch.setenv(audit.AUDIT_ENV, str(tmp_path / "elsewhere.sqlite"))
    assert audit.audit_path(tmp_path / "w.duckdb") == tmp_path / "elsewhere.sqlite"


# --- the keyed chain and checkpoints -------------------------------------------------------------

def _rebuild_chain_without_the_key(path, key=None):
    """What someone who can write the file does: drop the triggers, change an entry and recompute
    every hash after it (with plain SHA-256, or with a key of their own)."""
    con = sqlite3.connect(path)
    con.executescript("drop trigger audit_log_no_update; update audit_log set row_count = 0 where seq = 1;")
    rows = con.execute(f"select {', '.join(audit.FIELDS)} from audit_log order by seq").fetchall()
    prev = audit.GENESIS
    for row in rows:
        fields = dict(zip(audit.FIELDS, row, strict=True))
        row_hash = audit.entry_hash(prev, fields, key)
        con.execute("update audit_log set prev_hash = ?, row_hash = ? where seq = ?", [prev, row_hash, fields["seq"]])
        prev = row_hash
    con.commit()
    con.close()


def test__record__hashes_are_keyed_with_a_secret_kept_outside_the_log(log):
    hashes = [r[0] for r in sqlite3.connect(log).execute("select row_hash from audit_log")]
    assert all(h.startswith(audit.KEYED) for h in hashes)
    assert audit.key_path(log).exists() and audit.verify(log).intact and audit.verify(log).unkeyed == 0


@pytest.mark.parametrize("key", [None, b"a key of the attacker's own"])
def test__verify__a_chain_rebuilt_without_the_audit_key_breaks(log, key):
    _rebuild_chain_without_the_key(log, key)
    assert audit.verify(log).broken == 1


def test__verify__a_log_from_before_the_key_still_verifies_and_is_counted_unkeyed(tmp_path, monkeypatch):
    path = tmp_path / "old.sqlite"
    monkeypatch.setattr(audit, "audit_key", lambda path, create=True: None)  # as the code before keying wrote it
    audit.record(path, OPCC, "view", "threshold", "q")
    audit.record(path, OPCC, "sign_out", "", "")
    monkeypatch.undo()
    # a log that holds entries is never vouched for by a key made now: the administrator counts them
    with pytest.raises(audit.AuditUnavailable, match=audit.UNKEYED_ENV):
        audit.record(path, OPCC, "view", "maps", "q2")
    monkeypatch.setenv(audit.UNKEYED_ENV, "2")
    audit.record(path, OPCC, "view", "maps", "q2")  # the first keyed entry
    monkeypatch.delenv(audit.UNKEYED_ENV)
    found = audit.verify(path)
    assert found.intact and (found.entries, found.unkeyed) == (3, 2)


def test__verify__an_unkeyed_entry_after_keyed_ones_breaks_the_chain(log, monkeypatch):
    monkeypatch.setattr(audit, "audit_key", lambda path, create=True: None)
    audit.record(log, OPCC, "view", "threshold", "q")  # appended by someone without the key
    monkeypatch.undo()
    assert audit.verify(log).broken == 4


def test__verify__keyed_entries_without_the_key_are_reported(log):
    audit.key_path(log).unlink()
    found = audit.verify(log)
    assert not found.intact and "audit key is missing" in found.problem


def _truncate(path, keep: int) -> None:
    con = sqlite3.connect(path)
    con.executescript(f"drop trigger audit_log_no_delete; delete from audit_log where seq > {keep};")
    con.close()


def test__checkpoint__cutting_entries_off_the_end_is_found(log):
    point = audit.checkpoint(log)
    assert (point["entries"], point["last_seq"]) == (3, 3) and point["last_hash"].startswith(audit.KEYED)
    audit.record(log, OPCC, "view", "maps", "later")  # the log grows after the checkpoint: fine
    assert audit.verify_checkpoint(log, point) == []
    _truncate(log, 2)
    assert audit.verify(log).intact  # the chain alone cannot tell
    problems = audit.verify_checkpoint(log, point)
    assert problems and "cut off" in problems[0]


def test__checkpoint__a_rewritten_log_is_found(log, tmp_path):
    point = audit.checkpoint(log)
    _rebuild_chain_without_the_key(log, audit.audit_key(log))  # even with the key
    assert any("rewritten" in p for p in audit.verify_checkpoint(log, point))


def test__asb_audit__checkpoint_then_verify(log, tmp_path, capsys):
    from insight import cli

    point = tmp_path / "checkpoint.json"
    assert cli.main(["audit", "checkpoint", "--file", str(log), "--out", str(point)]) == 0
    assert json.loads(point.read_text())["entries"] == 3
    assert cli.main(["audit", "verify", "--file", str(log), "--checkpoint", str(point)]) == 0
    assert "intact over 3 entries" in capsys.readouterr().out
    _truncate(log, 1)
    assert cli.main(["audit", "verify", "--file", str(log), "--checkpoint", str(point)]) == 1
    assert "cut off" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"not a database\n", b"", b"SQLite format 3\x00" + b"\x00" * 80])
def test__verify__a_file_that_is_no_audit_log_is_a_problem_not_a_crash(tmp_path, capsys, content):
    """A log replaced by something else (another file, an empty one, a cut-off SQLite file) fails
    verification, in words."""
    from insight import cli

    bad = tmp_path / "audit.sqlite"
    bad.write_bytes(content)
    found = audit.verify(bad)
    assert not found.intact and "not an audit log" in found.problem
    assert cli.main(["audit", "verify", "--file", str(bad)]) == 1
    assert "not an audit log" in capsys.readouterr().err
    assert cli.main(["audit", "checkpoint", "--file", str(bad)]) == 1


def test__asb_audit__verify_of_an_absent_log_fails(tmp_path, capsys):
    """Deleting the log must not pass `asb audit verify`: there is nothing to vouch for."""
    from insight import cli

    assert cli.main(["audit", "verify", "--file", str(tmp_path / "deleted.sqlite")]) == 1
    assert "no audit log at" in capsys.readouterr().err


@pytest.mark.parametrize("point", [{}, {"x": 1}, {"entries": 3}, {"entries": "3", "last_seq": 3, "last_hash": "h"},
                                   [1, 2], "text"])
def test__checkpoint__a_checkpoint_missing_its_fields_is_refused(log, point):
    """A checkpoint without its entry count, newest number and hash proves nothing: it never passes."""
    problems = audit.verify_checkpoint(log, point)
    assert problems and "not a checkpoint" in problems[0]


@pytest.mark.parametrize("case", ["absent", "not json", "a folder as --out"])
def test__asb_audit__checkpoint_files_it_cannot_use_are_one_error_line(log, tmp_path, capsys, case):
    from insight import cli

    if case == "a folder as --out":
        code = cli.main(["audit", "checkpoint", "--file", str(log), "--out", str(tmp_path)])
    else:
        point = tmp_path / "checkpoint.json"
        if case == "not json":
            point.write_text("garbage")
        code = cli.main(["audit", "verify", "--file", str(log), "--checkpoint", str(point)])
    err = capsys.readouterr().err
    assert code in (1, 2) and err.startswith("asb audit:") and len(err.strip().splitlines()) == 1, err
