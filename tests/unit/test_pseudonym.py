"""Pseudonymisation: the SQL HMAC equals Python's hmac, references normalise, keys are required."""

from __future__ import annotations

import duckdb
import pytest

from etl.transform import pseudonym


@pytest.mark.parametrize("ref", ["ECN-0001234", "  ecn-0001234 ", "ECN  0001234", "Müller/7", "x"])
def test__person_key_sql__equals_python_hmac(ref):
    """The in-database hash is the RFC 2104 HMAC-SHA256 that Python computes."""
    key = b"test-key-0123456789abcdef"
    con = duckdb.connect()
    got = con.execute(f"select {pseudonym.person_key_sql('$ref')}",
                      {**pseudonym.hmac_pads(key), "ref": ref}).fetchall()[0][0]
    assert got == pseudonym.person_key(key, ref)


def test__person_key__normalises_case_and_spaces_and_depends_on_key():
    a = pseudonym.person_key(b"k" * 16, "ecn-1 ")
    assert a == pseudonym.person_key(b"k" * 16, "ECN-1") != pseudonym.person_key(b"j" * 16, "ECN-1")
    assert a.startswith("p_") and len(a) == 22


def test__load_key__refuses_missing_or_short_keys(tmp_path, monkeypatch):
    monkeypatch.delenv(pseudonym.ENV_VAR, raising=False)
    with pytest.raises(pseudonym.KeyError_, match="no pseudonymisation key"):
        pseudonym.load_key(None)
    short = tmp_path / "k"
    short.write_text("abc")
    with pytest.raises(pseudonym.KeyError_, match="shorter than"):
        pseudonym.load_key(short)
    made = pseudonym.generate_key_file(tmp_path / "secrets" / "key")
    assert len(pseudonym.load_key(made)) == 64 and oct(made.stat().st_mode)[-3:] == "600"
