"""Finding repeated keys: `sqlfile.repeated_hashes` (sorted hashes, each against the one before)
against a plain grouping, and the build's uniqueness check and repeated-ref search built on it."""

from __future__ import annotations

import random

import duckdb
import pytest

from etl import sqlfile, validate


def _keys(seed: int) -> list[str | None]:
    """Mostly unique keys with repeats of two, three and many, nulls, near-identical texts
    (case, a trailing space, an empty string) and keys that are prefixes of each other."""
    rng = random.Random(seed)
    keys: list[str | None] = [f"src:{rng.randrange(10**9):09d}" for _ in range(rng.randrange(0, 3000))]
    for k in rng.sample(keys, min(len(keys), rng.randrange(0, 40))):
        keys += [k] * rng.randrange(1, 4)
    keys += ["A", "a", "a ", "", "ab", "abc"] + ["dup"] * rng.randrange(0, 5) + [None] * rng.randrange(0, 3)
    rng.shuffle(keys)
    return keys


def _table(keys) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create table t (k varchar, n integer)")
    if keys:
        con.executemany("insert into t values (?, ?)", [(k, i) for i, k in enumerate(keys)])
    return con


@pytest.mark.parametrize("seed", range(6))
def test__repeated_hashes__are_the_hashes_a_grouping_finds_repeated(seed):
    con = _table(_keys(seed))
    found = {h for (h,) in con.execute(sqlfile.repeated_hashes("k", "t")).fetchall()}
    expected = {h for (h,) in con.execute("select hash(k) from t group by 1 having count(*) > 1").fetchall()}
    assert found == expected
    # and the repeated keys themselves, as the callers then group them
    repeated = con.execute(f"select k from t where hash(k) in ({sqlfile.repeated_hashes('k', 't')}) "
                           "group by k having count(*) > 1").fetchall()
    keys = [k for (k,) in con.execute("select k from t").fetchall()]
    assert {k for (k,) in repeated} == {k for k in keys if keys.count(k) > 1}


def test__repeated_hashes__of_several_columns_and_of_no_rows():
    con = duckdb.connect()
    con.execute("create table t as select * from (values ('a', 'x'), ('a', 'y'), ('a', 'x'), ('b', null), "
                "('b', null), (null, 'x')) v(s, r)")
    assert con.execute(f"select count(distinct h) from ({sqlfile.repeated_hashes('s, r', 't')})").fetchall() == [(2,)]
    con.execute("create table e (s varchar)")
    assert con.execute(sqlfile.repeated_hashes("s", "e")).fetchall() == []
    con.execute("insert into e values ('only')")
    assert con.execute(sqlfile.repeated_hashes("s", "e")).fetchall() == []


@pytest.mark.parametrize(("rows", "bad"), [
    (["A1", "A2", "A3"], []),
    (["A1", "A2", "A1"], ["A1"]),
    (["A1", None, "A2"], [None]),
    (["A1", "a1", "A1 ", "A1", "A1"], ["A1"]),
    ([], []),
])
def test__uniqueness_check__names_each_repeated_or_null_key(rows, bad):
    con = duckdb.connect()
    con.execute("create table applications (application_ref varchar)")
    if rows:
        con.executemany("insert into applications values (?)", [(r,) for r in rows])
    found = con.execute(validate.CHECKS["applications.application_ref unique, not null"]).fetchall()
    assert sorted((k for k, _ in found), key=str) == sorted(bad, key=str)
