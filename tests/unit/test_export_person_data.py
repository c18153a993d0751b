"""`asb export parquet` lets out no person key and no postcode without `--with-person-keys`, in any
column, JSON text included (probe 2, problem 1).

`--table` names only what README "asb export parquet" documents: the `mart_*` tables, `incidents`
and `authorities`. Any other table (`etl_rejects`, whose `raw_values` JSON holds the partner row's
`person_key` and full postcode; `int_complaints`, `applications`, `incident_reports`,
`etl_builds` ...) is refused with exit 2 and a message naming what may be exported. Then every
table the warehouse holds is tried on its own, and every exported file is read back as text and
searched for the person-key pattern and for the full postcodes of the demo's inputs.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from insight import cli
from insight.export import parquet

PERSON_KEY = re.compile(r"p_[0-9a-f]{20}")
POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b")


def _export(warehouse: Path, out: Path, *extra) -> int:
    return cli.main(["export", "parquet", "--warehouse", str(warehouse), "--out", str(out), *map(str, extra)])


@pytest.fixture(scope="module")
def input_postcodes(demo_build) -> set[str]:
    """The full postcodes written in the demo's input files, without their space."""
    found = set()
    for path in demo_build[0].rglob("*"):
        if path.is_file() and path.suffix.lower() in (".csv", ".txt", ".json", ".toml"):
            text = path.read_text(encoding="utf-8", errors="replace").upper()
            found |= {a + b for a, b in POSTCODE.findall(text)}
    assert found, "the demo's inputs hold postcodes"
    return found


def _texts(folder: Path):
    """(file, text) of every file of an export: Parquet files as the text of every row."""
    con = duckdb.connect()
    try:
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            if path.suffix == ".parquet":
                rows = con.execute(f"select to_json(t)::varchar from read_parquet('{path}') t").fetchall()
                yield path, "\n".join(r[0] for r in rows)
            else:
                yield path, path.read_text(encoding="utf-8", errors="replace")
    finally:
        con.close()


def _leaks(folder: Path, postcodes: set[str]) -> list[str]:
    found = []
    for path, text in _texts(folder):
        keys = PERSON_KEY.findall(text)
        codes = {a + b for a, b in POSTCODE.findall(text.upper())} & postcodes
        if keys or codes:
            found.append(f"{path.relative_to(folder)}: {len(keys)} person keys, postcodes {sorted(codes)[:3]}")
    return found


def _warehouse_tables(warehouse: Path) -> list[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return [r[0] for r in con.execute("select table_name from information_schema.tables "
                                          "where table_schema = 'main' order by 1").fetchall()]
    finally:
        con.close()


def test__table__only_the_documented_tables_may_be_named(demo_warehouse, tmp_path, audit_file, capsys):
    for name in ("etl_rejects", "int_complaints", "applications", "incident_reports", "etl_builds"):
        assert _export(demo_warehouse, tmp_path / name, "--table", name) == 2, name
        err = capsys.readouterr().err
        assert name in err and "mart_" in err and "incidents" in err and "authorities" in err, err
        assert not (tmp_path / name).exists()
    # allowed and not allowed together: refused whole, nothing written
    assert _export(demo_warehouse, tmp_path / "mixed", "--table", "incidents", "etl_rejects") == 2
    assert not (tmp_path / "mixed").exists()
    assert _export(demo_warehouse, tmp_path / "ok", "--table", "incidents", "mart_threshold_status") == 0


def test__every_table_alone__no_person_key_or_postcode_leaves_without_keys(demo_warehouse, tmp_path, audit_file,
                                                                          input_postcodes):
    leaks, exported = [], []
    for name in _warehouse_tables(demo_warehouse):
        out = tmp_path / name
        if _export(demo_warehouse, out, "--table", name) != 0:
            assert not out.exists()
            continue
        exported.append(name)
        leaks += [f"{name}: {leak}" for leak in _leaks(out, input_postcodes)]
    assert leaks == []
    assert {"incidents", "authorities", "mart_threshold_status"} <= set(exported)
    assert set(exported) <= {n for n in _warehouse_tables(demo_warehouse)
                             if n.startswith("mart_") or n in parquet.BASE_TABLES}


def test__default_export__no_person_key_or_postcode_anywhere(demo_warehouse, tmp_path, audit_file, input_postcodes):
    assert _export(demo_warehouse, tmp_path / "out") == 0
    assert _leaks(tmp_path / "out", input_postcodes) == []


def test__a_mart_with_a_person_key_in_json_text_is_refused_without_keys(tmp_path, audit_file, capsys):
    """A mart added later that carries a person key or a full postcode inside text (JSON) is not
    let out under a column name that does not look like a person: the export is refused."""
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create table etl_builds (load_id varchar, built_at timestamp, as_of_date date, key_fingerprint varchar)")
    con.execute("insert into etl_builds values ('b1', now(), date '2026-10-31', 'x')")
    con.execute("create table mart_nested (authority_code varchar, details varchar)")
    con.execute("""insert into mart_nested values ('E07000036', '{"person_key":"p_0123456789abcdef0123"}')""")
    con.execute("create table mart_place (authority_code varchar, details varchar)")
    con.execute("""insert into mart_place values ('E07000036', '{"postcode":"DE7 5RP"}')""")
    con.execute("create table mart_fine (authority_code varchar, n integer)")
    con.execute("insert into mart_fine values ('E07000036', 3)")
    con.close()
    assert _export(warehouse, tmp_path / "a", "--table", "mart_nested") == 2
    assert "mart_nested" in capsys.readouterr().err and not (tmp_path / "a").exists()
    assert _export(warehouse, tmp_path / "b", "--table", "mart_place") == 2
    assert "mart_place" in capsys.readouterr().err and not (tmp_path / "b").exists()
    assert _export(warehouse, tmp_path / "c") == 2  # the default export holds them too
    assert _export(warehouse, tmp_path / "d", "--table", "mart_fine") == 0
