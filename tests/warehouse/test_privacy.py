"""Privacy checks on the built demo warehouse and the repository (extends tests/warehouse/test_demo_build.py,
which checks the generator's exact fake values and the raw person references).

The pseudonymisation key that built the warehouse (proved by recomputing a person key from an
input reference) is in no text or blob column, nor are its HMAC pads, and it is in no file git
tracks; the files that hold secrets are ignored by git. Detectors for anything that *looks* like a
name, a phone number, an e-mail address or a house number with its street or postcode find
thousands of values in the demo's inputs and none in the warehouse.
"""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from etl.demo.people import FIRST, LAST
from etl.transform import pseudonym

ROOT = Path(__file__).resolve().parents[2]
STREET = r"(?:Street|Road|Avenue|Close|Lane|Drive|Way|Court|Grove|Walk|Row|Crescent|Place|Terrace|Gardens)"
POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}"
LOOKS_LIKE = {
    "name": re.compile(rf"\b(?:{'|'.join(FIRST)})\s+(?:{'|'.join(LAST)})\b"),
    "phone": re.compile(r"(?<![\w.])(?:\+44\s?|0)(?:7\d{3}|1\d{3}|2\d{2}|3\d{2}|8\d{2})\s?\d{3}\s?\d{3,4}(?![\w.])"),
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "house number and street": re.compile(rf"(?<![\w.-])\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][a-z]+\s+){{1,3}}{STREET}\b"),
    "house number and postcode": re.compile(rf"(?<![\w.-])\d{{1,4}}[A-Za-z]?\s+\D{{3,60}}?\b{POSTCODE}\b"),
}
SECRET_PATHS = ["data/demo_inputs/secrets/pseudonym.key", "data/users.toml", "data/audit.sqlite",
                ".streamlit/secrets.toml", "data/warehouse.duckdb"]


@pytest.fixture(scope="module")
def con(demo_warehouse):
    connection = duckdb.connect(str(demo_warehouse), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def warehouse_values(con) -> set[str]:
    """Every distinct value of every text column, and every blob as hex."""
    columns = con.execute("""select table_name, column_name, data_type from information_schema.columns
                             where data_type in ('VARCHAR', 'BLOB')""").fetchall()
    values: set[str] = set()
    for table, column, kind in columns:
        expr = f'hex("{column}")' if kind == "BLOB" else f'"{column}"'
        values |= {r[0] for r in con.execute(f'select distinct {expr} from "{table}"').fetchall() if r[0]}
    assert len(values) > 10_000
    return values


@pytest.fixture(scope="module")
def warehouse_text(warehouse_values) -> str:
    return "\n".join(warehouse_values)


@pytest.fixture(scope="module")
def demo_key(demo_build, con) -> str:
    """The key the session's demo build used, proved by a person key recomputed from an input ref."""
    inputs, _, _ = demo_build
    key = (inputs / "secrets" / "pseudonym.key").read_text().strip()
    with open(next(inputs.glob("amber_valley/*.csv")), encoding="utf-8-sig", newline="") as file:
        ref = next(row["person_ref"] for row in csv.DictReader(file) if row["person_ref"])
    person = pseudonym.person_key(key.encode(), ref)
    assert con.execute("select count(*) from incidents where person_key = ?", [person]).fetchall()[0][0] > 0
    return key


def _tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"not a git checkout ({exc})")
    return [ROOT / name for name in listed.decode().split("\0") if name and (ROOT / name).is_file()]


def test__key__not_in_any_column_of_the_warehouse(demo_key, warehouse_text):
    pads = pseudonym.hmac_pads(demo_key.encode())
    for secret in [demo_key, demo_key.upper(), pads["ipad"].hex().upper(), pads["opad"].hex().upper()]:
        assert secret not in warehouse_text


def test__key__not_in_any_file_git_tracks(demo_key):
    keys = [demo_key.encode()]
    local = ROOT / SECRET_PATHS[0]  # a developer's own demo key, when there is one
    if local.exists():
        keys.append(local.read_bytes().strip())
    files = _tracked_files()
    assert len(files) > 50
    leaked = [str(f.relative_to(ROOT)) for f in files for k in keys if k in f.read_bytes()]
    assert leaked == []


def test__secrets__the_files_that_hold_them_are_ignored_by_git():
    _tracked_files()  # skips outside a git checkout
    result = subprocess.run(["git", "check-ignore", "--no-index", *SECRET_PATHS], cwd=ROOT,
                            capture_output=True, text=True)
    assert sorted(result.stdout.split()) == sorted(SECRET_PATHS)
    tracked = [str(f.relative_to(ROOT)) for f in _tracked_files()]
    assert not [t for t in tracked if t.endswith((".key", ".sqlite")) or "/secrets/" in f"/{t}"]


def _input_lines(inputs: Path) -> list[str]:
    lines: list[str] = []
    for path in inputs.rglob("*.csv"):
        lines += path.read_text(encoding="latin-1").splitlines()
    return lines


@pytest.mark.parametrize("kind", list(LOOKS_LIKE))
def test__personal_data__what_looks_like_it_is_in_the_inputs_and_not_in_the_warehouse(
        demo_build, warehouse_values, kind):
    detector = LOOKS_LIKE[kind]
    if kind == "house number and postcode":  # the demo's addresses carry no postcode
        assert detector.search("12 Acacia Avenue, Ilkeston DE7 5AB")
        assert not detector.search("Bus stop on Albert Street, DE1 3QL")
    else:
        assert sum(bool(detector.search(line)) for line in _input_lines(demo_build[0])) > 100
    found = sorted({value for value in warehouse_values if detector.search(value)})
    assert found == [], f"{kind}: {found[:10]}"
