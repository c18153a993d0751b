"""`asb users`, `asb audit checkpoint` and the users file read by `asb export parquet`: a path that
cannot be used is one `error:` line, never a traceback, and no account is written that could never
sign in (the new-user audit, 6 December)."""

from __future__ import annotations

from pathlib import Path

import pytest

from insight import cli
from insight.access import auth


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    err = capsys.readouterr().err
    return code, err


def _one_error_line(err: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and ": error: " in lines[0] and "Traceback" not in err, err


@pytest.fixture
def under_a_file(tmp_path) -> Path:
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    return tmp_path / "plain" / "users.toml"


@pytest.mark.parametrize("extra", [("--demo",), ("--add", "z", "--role", "opcc_analyst", "--issuer", "https://id",
                                                 "--subject", "s1", "--no-password")])
@pytest.mark.parametrize("where", ["folder", "under_a_file"])
def test__users__a_file_that_cannot_be_written_is_one_error_line(tmp_path, under_a_file, capsys, extra, where):
    path = tmp_path if where == "folder" else under_a_file
    code, err = _run(capsys, "users", "--file", str(path), *extra)
    assert code == 2
    _one_error_line(err)


@pytest.mark.parametrize("extra, words", [
    (("--no-password",), "--issuer with --subject or --email"),
    (("--issuer", "https://id", "--no-password"), "--subject or --email"),
    (("--issuer", "https://id"), "--subject or --email"),
])
def test__users__an_account_that_could_never_sign_in_is_refused(tmp_path, capsys, extra, words):
    path = tmp_path / "users.toml"
    code, err = _run(capsys, "users", "--file", str(path), "--add", "z", "--role", "opcc_analyst", *extra)
    assert code == 2 and words in err
    _one_error_line(err)
    assert not path.exists()


@pytest.mark.parametrize("extra", [("--issuer", "https://id", "--subject", "s1"),
                                   ("--issuer", "https://id", "--email", "z@example.org"),
                                   ("--issuer", "https://id", "--subject", "s1", "--email", "z@example.org")])
def test__users__an_openid_connect_account_is_still_added(tmp_path, capsys, extra):
    path = tmp_path / "users.toml"
    code, _ = _run(capsys, "users", "--file", str(path), "--add", "z", "--role", "opcc_analyst", *extra,
                   "--no-password")
    assert code == 0 and "z" in auth.load_accounts(path)


@pytest.mark.parametrize("content", [None, b"\xff\xfe\x00bad"])
def test__users_file__a_folder_or_not_utf8_is_a_users_file_error(tmp_path, content):
    path = tmp_path / "users.toml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(auth.UsersFileError, match="users.toml"):
        auth.load_accounts(path)


def test__audit_checkpoint__a_log_that_is_not_there_is_refused(tmp_path, capsys):
    code, err = _run(capsys, "audit", "checkpoint", "--file", str(tmp_path / "nosuch.sqlite"))
    assert code == 1 and "no audit log" in err
    _one_error_line(err)
