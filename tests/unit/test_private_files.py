"""Files only their owner may read (etl/transform/private.py): the pseudonymisation key (the build's
and the demo's), the users file, the audit log and its key. Each is created 0600 in one step and
never written through a symbolic link planted where it goes. The warehouse and the inputs folder
are in tests/warehouse/test_inputs_confined.py.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from etl.demo import generator
from etl.transform import private, pseudonym
from insight.access import audit, auth
from insight.access import roles as access

OPCC = access.Viewer("opcc.analyst", access.OPCC_ANALYST)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _open_umask():
    # The usual umask (022) would make a plain write 0644: the code, not the umask, must make it 0600.
    import os

    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test__demo_key__is_created_owner_only(tmp_path):
    path = tmp_path / "inputs" / generator.KEY_FILE
    generator._ensure_key(path)
    assert _mode(path) == 0o600 and len(path.read_text().strip()) == 64


def test__build_key__is_created_owner_only_and_kept(tmp_path):
    path = tmp_path / "secrets" / "pseudonym.key"
    pseudonym.generate_key_file(path)
    first = path.read_text()
    pseudonym.generate_key_file(path)
    assert _mode(path) == 0o600 and path.read_text() == first


@pytest.mark.parametrize("make", [generator._ensure_key, pseudonym.generate_key_file])
def test__key__never_written_through_a_planted_link(tmp_path, make):
    elsewhere = tmp_path / "partner_folder" / "stolen.csv"
    elsewhere.parent.mkdir()
    path = tmp_path / "secrets" / "pseudonym.key"
    path.parent.mkdir()
    path.symlink_to(elsewhere)
    with pytest.raises(FileExistsError):
        make(path)
    assert not elsewhere.exists()


def test__build__notes_a_key_file_others_can_read(tmp_path, monkeypatch):
    monkeypatch.delenv(pseudonym.ENV_VAR, raising=False)
    path = pseudonym.generate_key_file(tmp_path / "pseudonym.key")
    path.chmod(0o644)
    _, note = pseudonym.resolve_key(path, tmp_path / "unused.key")
    assert note and "chmod 600" in note


def test__users_file__owner_only_and_never_through_a_link(tmp_path):
    path = auth.write_accounts(tmp_path / "users.toml", auth.demo_accounts(fast=True))
    assert _mode(path) == 0o600
    target = tmp_path / "public.txt"
    target.write_text("public\n")
    link = tmp_path / "linked_users.toml"
    link.symlink_to(target)
    auth.write_accounts(link, auth.demo_accounts(fast=True))
    assert target.read_text() == "public\n"  # the link was replaced, not followed
    assert not link.is_symlink() and _mode(link) == 0o600


def test__audit_log_and_its_key__owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv(audit.AUDIT_KEY_ENV, raising=False)
    path = tmp_path / "data" / "audit.sqlite"
    audit.record(path, OPCC, "view", "threshold", "near_miss_work_list")
    assert _mode(path) == 0o600
    assert _mode(audit.key_path(path)) == 0o600


def test__loose__names_a_file_others_can_read(tmp_path):
    path = private.write(tmp_path / "x", "secret")
    assert private.loose(path) is None and private.loose(tmp_path / "absent") is None
    path.chmod(0o640)
    assert "chmod 600" in private.loose(path)
