"""Differencing across choices of authorities: a viewer without person-level rights picks one
choice of authorities, then another, and subtracts the "All selected" rows.

The black-box audit of 5 December 2026 read Bolsover's 4 applications, shown as "–", as the
Overview's tiles for all nine authorities (102) less those for the other eight (98), as a board
viewer and as a council manager; the same on the Appeals and Action plans tiles.

Every aggregate with per-authority rows and a total row (`total_by` in insight/access/roles.py
QUERIES) is read here through the dashboard's cached path (`ui._shown`, what `ui.load` returns)
for many choices of authorities: all nine, each eight, each one, pairs. What the viewer sees of
them is a set of linear equations over the authorities' true values (a shown authority cell is
x_a = v; a shown total is the sum of the chosen authorities' x_a; the viewer's own authorities are
known). No hidden cell of 1..k-1 may follow from them exactly (linear algebra: its unit vector in
the span of the equations' rows), whatever choices are combined.

The aggregates that sum the choice in rows without an authority (`rows`: the threshold history,
the second-report trend, monthly compliance, the funnel, appeals and actions by type...) are read
the same way: each row and column of each choice is an equation over the authorities' parts (each
asked for alone, the truth), with the relations a reader knows besides (a total column is the sum
of its parts; per authority, the rows add up to a total shown elsewhere: `known_total_by`).
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest
from reader import call_arguments, named_query

from etl.marts import reviews
from etl.rules import authorities
from insight import db, ui
from insight.access import disclosure
from insight.access import roles as access

K = disclosure.suppress_below()
CODES = tuple(authorities.CODES)
EREWASH = "E07000036"
# the aggregates whose frames hold a row per authority and total rows (`total_by`)
TOTALLED = {name: rule for name, rule in access.QUERIES.items()
            if isinstance(rule, disclosure.Aggregate) and rule.total_by is not None and rule.authority}


def _choices() -> list[tuple[str, ...]]:
    """All nine, each eight, each one and a few pairs and triples."""
    out = [CODES]
    out += [tuple(c for c in CODES if c != left_out) for left_out in CODES]
    out += [(c,) for c in CODES]
    out += [pair for n, pair in enumerate(itertools.combinations(CODES, 2)) if n % 5 == 0]
    out += [three for n, three in enumerate(itertools.combinations(CODES, 3)) if n % 21 == 0]
    return out


def _seen(name: str, warehouse, args: tuple, role: str, allowed: tuple[str, ...]) -> pd.DataFrame:
    return ui._shown(name, db.build_key(warehouse), args, (), role, allowed, K)


def _determined(rows: list[np.ndarray], unknown: int) -> bool:
    """Whether unknown number `unknown` follows exactly from the equations with these left sides."""
    if not rows:
        return False
    a = np.array(rows, dtype=float)
    unit = np.zeros(a.shape[1])
    unit[unknown] = 1.0
    return np.linalg.matrix_rank(np.vstack([a, unit])) == np.linalg.matrix_rank(a)


def _leaks(name: str, rule: disclosure.Aggregate, con, warehouse, values: dict, role: str,
           allowed: tuple[str, ...]) -> list[tuple]:
    """(group, column, authority, true value) of each hidden small cell the choices pin down."""
    query = named_query(name)
    truth = query(con, *call_arguments(query, {**values, "codes": CODES}))
    keys = [c for c in rule.total_by if c in truth.columns]
    unknown = [c for c in CODES if c not in allowed]
    index = {c: n for n, c in enumerate(unknown)}
    equations: dict[tuple, list[np.ndarray]] = {}
    for codes in _choices():
        seen = _seen(name, warehouse, call_arguments(query, {**values, "codes": codes}), role, allowed)
        for _, row in seen.iterrows():
            group = tuple(row[c] for c in keys)
            for column in rule.counts:
                if column not in seen.columns or column in rule.distinct or pd.isna(row[column]):
                    continue
                left = np.zeros(len(unknown))
                authority = row[rule.authority]
                members = [authority] if pd.notna(authority) else list(codes)
                for code in members:
                    if code in index:
                        left[index[code]] = 1.0
                if left.any():
                    equations.setdefault((group, column), []).append(left)
    found = []
    for _, row in truth.iterrows():
        authority = row[rule.authority]
        if pd.isna(authority) or authority not in index:
            continue
        group = tuple(row[c] for c in keys)
        for column in rule.counts:
            if column in truth.columns and column not in rule.distinct and pd.notna(row[column]) \
                    and 0 < row[column] < K:
                if _determined(equations.get((group, column), []), index[authority]):
                    found.append((group, column, authority, row[column]))
    return found


@pytest.mark.parametrize("name", sorted(TOTALLED))
@pytest.mark.parametrize("role, allowed", [(access.BOARD_VIEWER, ()), (access.COUNCIL_MANAGER, (EREWASH,))])
def test__no_choice_of_authorities_gives_away_a_hidden_small_cell(con, demo_warehouse, name, role, allowed):
    as_of = db.build_as_of(con)
    values = {"as_of": as_of, "start": as_of - dt.timedelta(days=364), "end": as_of}
    assert TOTALLED
    found = _leaks(name, TOTALLED[name], con, demo_warehouse, values, role, allowed)
    assert found == [], found[:5]


# the aggregates that sum the choice in rows, with arguments a test can give (the hexagons at 8)
SUMMED = {name: rule for name, rule in access.QUERIES.items()
          if isinstance(rule, disclosure.Aggregate) and rule.rows is not None
          and name.rsplit(".", 1)[1] in ("history", "second_report_trend", "monthly_compliance", "funnel",
                                          "open_summary", "by_review_type", "grounds_outcomes",
                                          "by_original_decision", "by_agency", "by_type", "hex_counts",
                                          "hotspot_summary")}


def _key(row: pd.Series, keys: list[str]) -> tuple:
    return tuple(None if pd.isna(row[c]) else (str(row[c]) if not isinstance(row[c], (int, float)) else row[c])
                 for c in keys)


def _summed_leaks(name: str, rule: disclosure.Aggregate, con, warehouse, values: dict, role: str,
                  allowed: tuple[str, ...]) -> list[tuple]:
    """(row, column, authority, true value) of each small part that the choices pin down."""
    query = named_query(name)
    keys = list(rule.rows)
    outside = [c for c in CODES if c not in allowed]
    truth: dict[tuple, float] = {}   # (authority, row, column) -> its part
    for code in outside:
        part = query(con, *call_arguments(query, {**values, "codes": (code,)}))
        for _, row in part.iterrows():
            for column in rule.counts:
                if column in part.columns and pd.notna(row[column]):
                    cell = (code, _key(row, keys), column)
                    truth[cell] = truth.get(cell, 0.0) + float(row[column])
    seen_rows: dict[tuple, list[tuple[list, tuple]]] = {}   # row -> [(chosen outside, column)]
    for codes in _choices():
        seen = _seen(name, warehouse, call_arguments(query, {**values, "codes": codes}), role, allowed)
        chosen = [c for c in codes if c in outside]
        for _, row in seen.iterrows():
            for column in rule.counts:
                if column in seen.columns and pd.notna(row[column]) and chosen:
                    seen_rows.setdefault(_key(row, keys), []).append((chosen, column))
    block_of = {}   # row -> the rows tied to it (a total shown elsewhere: `known_total_by`)
    rows = sorted({r for _, r, _ in truth} | set(seen_rows), key=str)
    if rule.known_total_by is not None:
        at = [keys.index(c) for c in rule.known_total_by if c in keys]
        for r in rows:
            block_of[r] = tuple(r[n] for n in at)
    else:
        block_of = {r: r for r in rows}
    found = []
    for block in set(block_of.values()):
        members = [r for r in rows if block_of[r] == block]
        unknowns = [(a, r, c) for a in outside for r in members for c in rule.counts]
        index = {u: n for n, u in enumerate(unknowns)}
        equations = []
        for r in members:
            for chosen, column in seen_rows.get(r, []):
                left = np.zeros(len(unknowns))
                for a in chosen:
                    left[index[(a, r, column)]] = 1.0
                equations.append(left)
            for total, ways in rule.column_totals.items():
                for combination in disclosure.sums(ways):
                    for a in outside:
                        left = np.zeros(len(unknowns))
                        left[index[(a, r, total)]] = 1.0
                        for p in combination:
                            if p in rule.counts:
                                left[index[(a, r, p)]] -= 1.0
                        equations.append(left)
        if rule.known_total_by is not None:   # shown elsewhere unless 1..k-1 (then hidden there too)
            for a in outside:
                for column in rule.counts:
                    if 0 < sum(truth.get((a, r, column), 0.0) for r in members) < K:
                        continue
                    left = np.zeros(len(unknowns))
                    for r in members:
                        left[index[(a, r, column)]] = 1.0
                    equations.append(left)
        if not equations:
            continue
        _, s, vt = np.linalg.svd(np.array(equations), full_matrices=False)
        basis = vt[s > 1e-9 * max(s.max(), 1.0)]
        pinned = (basis ** 2).sum(axis=0) > 1 - 1e-6   # its unit vector lies in the equations' span
        for (a, r, c), n in index.items():
            if pinned[n] and 0 < truth.get((a, r, c), 0.0) < K:
                found.append((r, c, a, truth[(a, r, c)]))
    return found


@pytest.mark.parametrize("name", sorted(SUMMED))
@pytest.mark.parametrize("role, allowed", [(access.BOARD_VIEWER, ()), (access.COUNCIL_MANAGER, (EREWASH,))])
def test__no_choice_of_authorities_gives_away_a_small_part_of_a_summed_row(con, demo_warehouse, name, role,
                                                                            allowed):
    as_of = db.build_as_of(con)
    values = {"as_of": as_of, "start": as_of - dt.timedelta(days=364), "end": as_of, "resolution": 8,
              "at_risk_days": reviews.AT_RISK_WORKING_DAYS}   # the one margin such a viewer may ask for
    assert len(SUMMED) == 12
    found = _summed_leaks(name, SUMMED[name], con, demo_warehouse, values, role, allowed)
    assert found == [], found[:5]


def test__the_audit_s_subtraction_all_nine_less_eight_is_blank(con, demo_warehouse):
    """The audit's own reading: an authority with a small count of applications in the year,
    the headline's "All selected" for all nine and for the other eight, as a board viewer: one of
    the two totals is hidden."""
    from insight.queries import overview
    as_of = db.build_as_of(con)
    start = as_of - dt.timedelta(days=364)
    truth = overview.headline(con, CODES, start, as_of)
    small = truth[truth.authority_code.notna() & (truth.applications > 0) & (truth.applications < K)]
    if small.empty:
        pytest.skip("no authority of the demo has a small count of applications in the year")
    code = small.authority_code.iloc[0]
    name = "insight.queries.overview.headline"
    every = _seen(name, demo_warehouse, (CODES, start, as_of), access.BOARD_VIEWER, ())
    eight = _seen(name, demo_warehouse, (tuple(c for c in CODES if c != code), start, as_of),
                  access.BOARD_VIEWER, ())
    total_nine = every.loc[every.authority_code.isna(), "applications"].iloc[0]
    total_eight = eight.loc[eight.authority_code.isna(), "applications"].iloc[0]
    assert pd.isna(total_nine) or pd.isna(total_eight), (total_nine, total_eight)
