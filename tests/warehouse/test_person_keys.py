"""Every record's person_key is the keyed hash of its own reference (etl/sources/extract.py hashes
each distinct reference of a file once and joins it back to the records): the same as the Python
HMAC of that record's reference, whatever the shape of the references (repeats, case, spaces, a
pattern, blanks, placeholders for nobody, a constant for the column's empty cells) and whether
the file was read alone or in a batch of files sharing its header."""

from __future__ import annotations

import csv
import io
import random

import pytest
from conftest import INCIDENT_COLUMNS, TEST_KEY, incident_row, run_build, write_inputs

from etl.transform import pseudonym

PATTERN = "ECN-?0*([0-9]+)"
TOML = f"""
[[source]]
slug = "batched"
kind = "incidents"
path = "batched/*.csv"
authority = "E07000036"
person_ref_pattern = "{PATTERN}"

[[source]]
slug = "alone"
kind = "incidents"
path = "alone/*.csv"
authority = "E07000036"
[source.constants]
person_ref = "ECN-000777"

[[source]]
slug = "no-column"
kind = "incidents"
path = "no_column/*.csv"
authority = "E07000036"
[source.constants]
person_ref = "household 5"
"""
SHAPES = ["ECN-0042", "ecn 42", " ECN42 ", "ECN-42", "", "N/A", "unknown", "000", "Ecn-00043", "ECN-9",
          "x-1", "=\"ECN-0042\"", "ECN-0042", "ECN-0042"]


def _csv(prefix: str, refs: list[str], columns: list[str] = INCIDENT_COLUMNS) -> str:
    """A canonical incidents file (conftest.incident_row's values), one record per reference,
    written by the csv module (a reference may hold quotes or spaces) in `columns` alone."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for n, ref in enumerate(refs):
        row = dict(zip(INCIDENT_COLUMNS, incident_row(f"{prefix}{n}", 1 + n % 28).split(","), strict=True))
        row["person_ref"] = ref
        if prefix != "A" and prefix != "B":   # 'other' never merges with another source's report
            row["asb_type"] = "other"
        writer.writerow([row[c] for c in columns])
    return out.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    rng = random.Random(5)
    refs = [rng.choice(SHAPES) for _ in range(300)]
    files = {"batched/a.csv": _csv("A", refs[:150]), "batched/b.csv": _csv("B", refs[150:]),
             "alone/c.csv": _csv("C", refs[:100]),
             "no_column/d.csv": _csv("D", ["", "", ""], [c for c in INCIDENT_COLUMNS if c != "person_ref"])}
    inputs = write_inputs(tmp_path_factory.mktemp("keys") / "in", TOML, files)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
        _, con = run_build(inputs)
    yield con, refs
    con.close()


def _expected(ref: str | None, pattern: str | None = None) -> str | None:
    if ref is None or ref.strip() == "":
        return None
    if pseudonym.normalise_ref(ref, pattern) is None:
        return None
    return pseudonym.person_key(TEST_KEY.encode(), ref, pattern)


def _keys(con, source: str) -> dict[str, str | None]:
    return dict(con.execute("select split_part(incident_id, ':', 2), person_key from incidents "
                            "where source = ?", [source]).fetchall())


def test__person_keys__each_record_hashes_its_own_reference_in_a_batch(built):
    con, refs = built
    got = _keys(con, "batched")
    assert len(got) == 300
    for n, ref in enumerate(refs):
        text = ref[2:-1] if ref.startswith('="') else ref   # Excel's ="..." is the text inside
        want = _expected(text.strip(), PATTERN)
        assert got[f"{'A' if n < 150 else 'B'}{n if n < 150 else n - 150}"] == want, (n, ref)
    assert len({k for k in got.values() if k}) >= 4   # 42, 43, 9 and 1 are four people


def test__person_keys__a_blank_reference_takes_the_declared_constant(built):
    con, refs = built
    got = _keys(con, "alone")
    for n, ref in enumerate(refs[:100]):
        text = ref[2:-1] if ref.startswith('="') else ref
        want = _expected(text.strip() or "ECN-000777")
        assert got[f"C{n}"] == want, (n, ref)
    assert _expected("ECN-000777") in got.values()


def test__person_keys__a_file_without_the_column_takes_the_constant(built):
    con, _ = built
    assert set(_keys(con, "no_column").values()) == {_expected("household 5")}

