"""With the audit key in $ASB_AUDIT_KEY, a log rewritten with plain SHA-256 hashes does not verify
(probe 2, problem 4).

Entries written before the chain was keyed (plain SHA-256) are accepted only up to a number
recorded where a forger cannot change it: a marker signed with the audit key, written into the log
when the chain becomes keyed (and, with the key file, the count in that file). Unkeyed entries
with no such record fail verification, in words, and `asb audit verify` exits 1.
"""

from __future__ import annotations

import sqlite3

import pytest

from insight import cli
from insight.access import audit
from insight.access import roles as access

EREWASH = access.Viewer("erewash.manager", access.COUNCIL_MANAGER, "E07000036", "E")
KEY = "the-real-audit-key-only-the-server-knows"


def _forge(path, drop: str | None = None) -> None:
    """What someone who can write the file but lacks the key does: drop the triggers, delete an
    entry and chain the rest again with plain SHA-256 (the probe's t_audit_forge.py)."""
    con = sqlite3.connect(path)
    rows = con.execute(f"select {', '.join(audit.FIELDS)} from audit_log order by seq").fetchall()
    con.executescript("drop trigger audit_log_no_update; drop trigger audit_log_no_delete; "
                      "drop trigger audit_log_append_only; delete from audit_log;")
    prev, seq = audit.GENESIS, 0
    for row in rows:
        fields = dict(zip(audit.FIELDS, row, strict=True))
        if fields["what"] == drop:
            continue
        seq += 1
        fields["seq"] = seq
        row_hash = audit.entry_hash(prev, fields, None)
        con.execute(f"insert into audit_log ({', '.join(audit.FIELDS)}, prev_hash, row_hash) "
                    f"values ({', '.join('?' * (len(audit.FIELDS) + 2))})", [*fields.values(), prev, row_hash])
        prev = row_hash
    con.commit()
    con.close()


def _write(path, n=5):
    for i in range(n):
        audit.record(path, EREWASH, "view", "threshold", f"query_{i}", "{}", i)


@pytest.mark.parametrize("key_from", ["environment", "key file"])
def test__verify__a_log_rewritten_unkeyed_fails(tmp_path, monkeypatch, capsys, key_from):
    path = tmp_path / "audit.sqlite"
    if key_from == "environment":
        monkeypatch.setenv(audit.AUDIT_KEY_ENV, KEY)
    _write(path)
    assert audit.verify(path).intact
    _forge(path, drop="query_2")
    found = audit.verify(path)
    assert not found.intact
    assert cli.main(["audit", "verify", "--file", str(path)]) == 1
    assert "intact" not in capsys.readouterr().out


def test__verify__the_marker_cannot_be_dropped_or_moved(tmp_path, monkeypatch):
    """Dropping the marker table leaves unkeyed entries with no known limit: a problem, in words."""
    monkeypatch.setenv(audit.AUDIT_KEY_ENV, KEY)
    path = tmp_path / "audit.sqlite"
    _write(path, 3)
    _forge(path)
    con = sqlite3.connect(path)
    for (name,) in con.execute("select name from sqlite_master where type = 'table' and name != 'audit_log'"):
        con.execute(f'drop table "{name}"')
    con.commit()
    con.close()
    found = audit.verify(path)
    assert not found.intact and found.problem and "unkeyed" in found.problem


def test__verify__unkeyed_entries_with_no_known_limit_are_a_problem(tmp_path, monkeypatch):
    """A log whose entries are all unkeyed, checked with the key in the environment (nothing records
    how many entries came before the key): not intact, and the message says why."""
    path = tmp_path / "audit.sqlite"
    monkeypatch.setattr(audit, "audit_key", lambda path, create=True: None)  # written without a key
    _write(path, 2)
    monkeypatch.undo()
    monkeypatch.setenv(audit.AUDIT_KEY_ENV, KEY)
    found = audit.verify(path)
    assert not found.intact and "unkeyed" in found.problem and "2" in found.problem


def test__verify__entries_from_before_the_key_verify_once_their_number_is_declared(tmp_path, monkeypatch):
    """The legitimate case: entries written before the chain was keyed, then the key set in
    $ASB_AUDIT_KEY. Nothing outside the log knows how many there were until the administrator
    says so ($ASB_AUDIT_UNKEYED_ENTRIES); the first keyed entry then records it in a keyed marker,
    and the setting is no longer needed."""
    path = tmp_path / "old.sqlite"
    monkeypatch.setattr(audit, "audit_key", lambda path, create=True: None)
    _write(path, 2)
    monkeypatch.undo()
    monkeypatch.setenv(audit.AUDIT_KEY_ENV, KEY)
    monkeypatch.setenv(audit.UNKEYED_ENV, "2")
    audit.record(path, EREWASH, "view", "maps", "keyed")
    monkeypatch.delenv(audit.UNKEYED_ENV)
    found = audit.verify(path)
    assert found.intact and (found.entries, found.unkeyed) == (3, 2)
    assert not audit.key_path(path).exists()  # nothing beside the log: the key is in the environment
    _forge(path)  # a forger who keeps the marker and chains the rest unkeyed still fails
    assert audit.verify(path).broken == 3


def _forged_without_marker(tmp_path):
    """A log of four entries that someone without the key rewrote unkeyed (one entry dropped), its
    keyed marker dropped too: its path."""
    path = tmp_path / "audit.sqlite"
    _write(path, 4)
    _forge(path, drop="query_1")
    con = sqlite3.connect(path)
    con.execute("drop table audit_keyed")
    con.commit()
    con.close()
    return path


def test__append__a_log_rewritten_unkeyed_is_not_vouched_for_by_the_next_entry(tmp_path, monkeypatch):
    """Someone without the key rewrites the log unkeyed and drops the marker; the server then
    appends a keyed entry. That entry must not record the forged entries as "from before the key"."""
    monkeypatch.setenv(audit.AUDIT_KEY_ENV, KEY)
    path = _forged_without_marker(tmp_path)
    audit.record(path, EREWASH, "view", "maps", "after the forgery")
    found = audit.verify(path)
    assert not found.intact and "unkeyed" in (found.problem or "")


def test__append__a_lost_key_file_is_never_made_again_over_a_log_that_holds_entries(tmp_path, monkeypatch):
    """Someone without the key rewrites the log unkeyed, drops the marker and deletes the key file:
    the server made a new key file counting every entry then in the log as "from before the key",
    so the rewritten log verified (found by a black-box audit). A key file is now made only for a
    log with no entry, or for the count the administrator vouches for ($ASB_AUDIT_UNKEYED_ENTRIES);
    otherwise nothing is written (nothing that must be logged happens) and `verify` says why."""
    path = _forged_without_marker(tmp_path)
    audit.key_path(path).unlink()
    with pytest.raises(audit.AuditUnavailable, match="key"):
        audit.record(path, EREWASH, "sign_in", "", "password")
    assert not audit.key_path(path).exists()
    found = audit.verify(path)
    assert not found.intact and found.problem
