"""Pseudonymisation: the SQL HMAC equals Python's hmac, references normalise, keys are required."""

from __future__ import annotations

import duckdb
import pytest

from etl.transform import pseudonym


@pytest.mark.parametrize(("ref", "pattern"), [
    ("ECN-0001234", None), ("  ecn-0001234 ", None), ("ECN  0001234", None), ("Müller/7", None), ("x9", None),
    ("ECN-00540", r"ECN-?0*([0-9]+)"), ("ecn00540", r"ECN-?0*([0-9]+)"), ("REF 12/AB", r"([0-9]+)/([A-Z]+)"),
    ("no digits", r"ECN-?0*([0-9]+)"), ("C-77", r"C-[0-9]+"),
    ("ecn 540", r"ECN-?0*([0-9]+)"), ("ECN 00540", r"ECN-?0*([0-9]+)"), ("ECN/00540", r"ECN-?0*([0-9]+)"),
])
def test__person_key_sql__equals_python_hmac(ref, pattern):
    """The in-database hash is the RFC 2104 HMAC-SHA256 that Python computes, after the same
    normalisation (with or without a source's person_ref_pattern)."""
    key = b"test-key-0123456789abcdef"
    con = duckdb.connect()
    got = con.execute(f"select {pseudonym.person_key_sql('$ref', pattern)}",
                      {**pseudonym.hmac_pads(key), "ref": ref}).fetchall()[0][0]
    assert got == pseudonym.person_key(key, ref, pattern)


@pytest.mark.parametrize(("refs", "pattern", "same"), [
    (("ECN00540", "ECN-00540", "ecn 00540", " Ecn.00540 "), None, True),      # typed four ways
    (("ECN00540", "ECN00541"), None, False),
    (("ECN00540", "ECN540"), None, False),                                      # leading zeros matter by default
    (("ECN00540", "ECN540", "ecn-0540"), r"ECN-?0*([0-9]+)", True),            # ... unless the source says not
    # the README's pattern, the reference typed with a space, a slash or an underscore (the pattern
    # is tried on the reference as typed, then on its letters and digits alone)
    (("ECN-00540", "ECN00540", "ecn 540", "ECN 00540", "ECN_00540", "ECN/00540"), r"ECN-?0*([0-9]+)", True),
    (("HP/123/A", "hp 123 a"), None, True),
])
def test__normalise_ref__one_person_however_the_reference_is_typed(refs, pattern, same):
    keys = {pseudonym.person_key(b"k" * 16, r, pattern) for r in refs}
    assert (len(keys) == 1) == same


@pytest.mark.parametrize("ref", ["---", " / ", "", "N/A", "n/a", "NA", "None", "null", "Unknown", "not known",
                                 "Anon", "anonymous", "TBC", "0", "000", "Withheld", "Not given", "NK",
                                 # as partners also write nobody (a black-box audit found "none given"
                                 # counted as one person reaching the threshold)
                                 "None given", "not provided", "Not available", "No ref", "no reference",
                                 "Not applicable", "declined"])
def test__person_key_sql__a_reference_of_no_letters_or_digits_is_anonymous(ref):
    con = duckdb.connect()
    got = con.execute(f"select {pseudonym.person_key_sql('$ref')}",
                      {**pseudonym.hmac_pads(b"k" * 16), "ref": ref}).fetchall()[0][0]
    assert got is None and pseudonym.normalise_ref(ref) is None


@pytest.mark.parametrize("ref", ["Anonymous caller", "caller anonymous", "ANONYMOUS REPORTER", "Unknown person",
                                 "Withheld by caller", "Caller declined", "not known (caller)", "anon - refused",
                                 "Refused to give", "Name withheld", "Not Known"])
def test__person_key_sql__a_placeholder_in_words_is_anonymous(ref):
    """A placeholder written with other words ("Anonymous caller": a threshold audit, 6 December
    2026, found it counted as one person whose reports all add up) is nobody, in SQL and Python."""
    con = duckdb.connect()
    got = con.execute(f"select {pseudonym.person_key_sql('$ref')}",
                      {**pseudonym.hmac_pads(b"k" * 16), "ref": ref}).fetchall()[0][0]
    assert got is None and pseudonym.normalise_ref(ref) is None


def test__normalise_ref__a_real_reference_near_a_placeholder_is_a_person():
    for ref in ("NA1", "ANON-7", "0001", "TBC2025", "Anona", "ECN-UNKNOWN-12", "Refused 2", "ANONYMOUS/44"):
        assert pseudonym.normalise_ref(ref) is not None


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


@pytest.mark.parametrize("ref", ["x", "X", "XXX", "xxxx", "ZZZ", "z", "?", "??", "-", "NFA", "nfa", "dk", "DK",
                                 "don't know", "Dont know", "no", "N", "Y", "see notes", "See above", "same as above",
                                 "As above", "ditto", "Not asked", "Ref to follow", "to follow", "n/k", "nil",
                                 "member of public", "Member of the public", "MOP", "pending", "awaiting ref",
                                 "not supplied", "undisclosed", "no details", "No name", "caller"])
def test__person_key_sql__a_placeholder_partners_write_for_nobody_is_anonymous(ref):
    """Placeholders partners type where a reference is asked for (the partner-file audit of 6 December
    2026: ten of them, each used three times, were ten people who met the threshold)."""
    con = duckdb.connect()
    got = con.execute(f"select {pseudonym.person_key_sql('$ref')}",
                      {**pseudonym.hmac_pads(b"k" * 16), "ref": ref}).fetchall()[0][0]
    assert got is None and pseudonym.normalise_ref(ref) is None


@pytest.mark.parametrize("ref", ["X1", "XX-12", "N123", "Y7", "Z9", "DK1", "NFA2", "NO 12", "MOP-4411", "CALLER 7",
                                 "Nixon", "Noble", "Doe J", "Xu", "Ng", "Ditton"])
def test__person_key_sql__a_reference_near_those_placeholders_is_a_person(ref):
    con = duckdb.connect()
    got = con.execute(f"select {pseudonym.person_key_sql('$ref')}",
                      {**pseudonym.hmac_pads(b"k" * 16), "ref": ref}).fetchall()[0][0]
    assert got is not None and pseudonym.normalise_ref(ref) is not None
