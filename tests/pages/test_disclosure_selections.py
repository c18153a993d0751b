"""A council manager who compares two selections (their own authority alone, then their own with
others) on the demo warehouse: the aggregates without per-authority rows (insight/access/roles.py
QUERIES with `authority=None`) sum the selection, the manager sees their own part exactly, so the
sum less the own part is the others' figure, and it must pass the rule as if shown on its own.

The probe (issue: selection differencing) found it on Threshold near-misses, Over time: Erewash
alone, then Erewash + Derbyshire Dales, gave 27 of Dales' monthly counts of 1 to 4 by subtraction.

The property test runs every such aggregate through the dashboard's own cached path
(`ui._shown`, what `ui.load` returns for a protected aggregate) for the Erewash manager, with a
drawn selection of other authorities and period, and finds for every cell shown of the mixed
selection: the mixed value less the own value, and the others' value alone, are 0 or at least k.
"""

from __future__ import annotations

import base64
import datetime as dt
import inspect
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reader import call_arguments, named_query
from support import open_app

from etl.marts import reviews
from etl.rules import authorities
from insight import db, ui
from insight.access import disclosure
from insight.access import roles as access
from insight.queries import maps as qm
from insight.queries import threshold as qt

K = disclosure.suppress_below()
EREWASH = "E07000036"
OTHERS = [c for c in authorities.CODES if c != EREWASH]
MANAGER = access.Viewer("erewash.manager", access.COUNCIL_MANAGER, EREWASH)
# the aggregates without per-authority rows that take the authorities asked for, and the columns
# that name their rows (a row of the mixed selection against the same row of the own one)
ROWS = {"threshold.second_report_trend": ("month",), "threshold.history": ("month_end",),
        "maps.hex_counts": ("h3_cell",), "maps.area_trend": ("month", "period"),
        "maps.area_top_locations": ("h3_cell",), "maps.hotspot_summary": ("h3_resolution", "gi_class"),
        "maps.data_span": (),
        "maps.hotspot_accuracy": ("authority_name",), "maps.near_repeats": ("spatial_band", "temporal_band"),
        "turnaround.monthly_compliance": ("month", "stage"), "turnaround.open_summary": (),
        "turnaround.funnel": ("step",), "appeals.by_review_type": ("review_type",),
        "appeals.grounds_outcomes": ("grounds", "outcome"),
        "appeals.by_original_decision": ("application_decision", "application_route"),
        "actions.by_agency": ("action_agency",), "actions.by_type": ("action_type", "action_state")}
SPLIT = {f"insight.queries.{name}": (access.QUERIES[f"insight.queries.{name}"], rows) for name, rows in ROWS.items()}




def _as_seen(name: str, warehouse, args: tuple) -> pd.DataFrame:
    """What ui.load gives the Erewash manager for `name(con, *args)` (the cached path)."""
    key = db.build_key(warehouse)
    return ui._shown(name, key, args, (), MANAGER.role, access.person_level_authorities(MANAGER), K)


def _by_rows(rows: tuple[str, ...], frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in rows if c in frame.columns]
    return frame.set_index(keys) if keys else frame


def _small(value) -> bool:
    return pd.notna(value) and 0 < value < K


def test__every_aggregate_without_authority_rows_that_takes_codes_says_how_its_rows_match():
    """A new aggregate of this kind must declare `rows`, or a mixed selection would not be checked
    (the quality grid, asked for no authorities, is the exception)."""
    for name, rule in access.QUERIES.items():
        if isinstance(rule, disclosure.Aggregate) and rule.authority is None:
            takes_codes = rule.codes in inspect.signature(named_query(name)).parameters
            assert (name in SPLIT) == takes_codes, name
            assert getattr(rule, "rows", None) == (SPLIT[name][1] if takes_codes else None), name


@st.composite
def _draws(draw):
    others = tuple(draw(st.lists(st.sampled_from(OTHERS), min_size=1, max_size=3, unique=True)))
    days_back = draw(st.integers(min_value=0, max_value=400))
    length = draw(st.sampled_from([28, 31, 90, 182, 365]) | st.integers(min_value=28, max_value=400))
    resolution = draw(st.sampled_from([8, 9]))
    kind = draw(st.sampled_from(["h3_8", "h3_9", "lsoa", "authority"]))
    return others, days_back, length, resolution, kind


def _area(con, kind: str, codes, start, end) -> str:
    """An area of `kind` holding incidents of Erewash and of another selected authority if there
    is one (a hexagon on the border), else Erewash's busiest."""
    if kind.startswith("h3"):
        own = qm.hex_counts(con, (EREWASH,), start, end, int(kind[3:]))
        other = qm.hex_counts(con, tuple(c for c in codes if c != EREWASH), start, end, int(kind[3:]))
        both = own.merge(other, on="h3_cell")
        return (both if len(both) else own)["h3_cell"].iloc[0] if len(own) else "none"
    areas = qm.area_counts(con, (EREWASH,), start, end, kind)
    return areas["code"].iloc[0] if len(areas) else "none"


@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(draw=_draws())
def test__own_alone_minus_own_with_others_never_gives_a_small_count(con, demo_warehouse, draw):
    others, days_back, length, resolution, kind = draw
    as_of = db.build_as_of(con)
    end = as_of - dt.timedelta(days=days_back)
    start = end - dt.timedelta(days=length - 1)
    own_codes, mixed_codes = (EREWASH,), (EREWASH, *others)
    values = {"as_of": as_of, "start": start, "end": end, "resolution": resolution, "kind": kind,
              "key": _area(con, kind, mixed_codes, start, end),
              # the one margin and bands such a viewer may ask for (disclosure.Aggregate.fixed)
              "at_risk_days": reviews.AT_RISK_WORKING_DAYS, "spatial_bands_m": disclosure.STANDARD_SPATIAL_BANDS_M,
              "temporal_bands_days": disclosure.STANDARD_TEMPORAL_BANDS_DAYS, "permutations": 9}
    for name, (rule, rows) in SPLIT.items():
        query = named_query(name)
        own_args = call_arguments(query, {**values, "codes": own_codes})
        mixed_args = call_arguments(query, {**values, "codes": mixed_codes})
        try:
            own = _as_seen(name, demo_warehouse, own_args)
            mixed = _as_seen(name, demo_warehouse, mixed_args)
            alone = query(con, *call_arguments(query, {**values, "codes": others}))
        except (qm.TooManyPoints, qm.knox.NeedsDayLevelDates):
            continue
        own, mixed, alone = (_by_rows(rows, f) for f in (own, mixed, alone))
        for column in rule.counts:
            if column not in mixed.columns:
                continue
            for row, value in mixed[column].items():
                if pd.isna(value):
                    continue
                mine = own[column].get(row, 0) if len(own) else 0
                theirs = alone[column].get(row, 0) if len(alone) else 0
                assert not _small(value - (0 if pd.isna(mine) else mine)), (name, column, row, value, mine, others)
                assert not _small(theirs), (name, column, row, value, theirs, others)


def test__a_restricted_choice_runs_the_query_again_and_only_then(con, demo_warehouse, monkeypatch):
    """The extra runs happen only for a choice short of the nine holding an authority outside the
    viewer's rights, and are kept under their own arguments (`ui._run`): the OPCC analyst, the
    manager's own authority alone and a board viewer's nine run the query once; a board viewer's
    choice of two runs it for each of the nine alone (disclosure.choice_needs_parts: two choices
    could be subtracted); a manager's mixed choice for the others alone, their own alone (the
    mixed rule) and each of the other eight alone."""
    calls = []
    real = access.shown_as

    def counted(role, allowed, query, args, kwargs, frame, k=None, rerun=None, on_map=None):
        def counting(a, kw):
            calls.append(access._arguments(query, a, kw)["codes"])
            return rerun(a, kw)
        return real(role, allowed, query, args, kwargs, frame, k, counting if rerun else None, on_map)

    monkeypatch.setattr(access, "shown_as", counted)
    key = db.build_key(demo_warehouse)
    as_of = db.build_as_of(con)
    name = "insight.queries.threshold.history"
    for role, allowed, codes in [(access.BOARD_VIEWER, (), authorities.CODES),
                                 (access.OPCC_ANALYST, authorities.CODES, (EREWASH, OTHERS[0])),
                                 (access.COUNCIL_MANAGER, (EREWASH,), (EREWASH,))]:
        ui._shown.clear()
        ui._shown(name, key, (as_of, codes), (), role, allowed, K)
    assert calls == []
    ui._shown.clear()
    ui._shown(name, key, (as_of, (EREWASH, OTHERS[0])), (), access.BOARD_VIEWER, (), K)
    assert calls == [(code,) for code in authorities.CODES]
    calls.clear()
    ui._shown.clear()
    ui._shown(name, key, (as_of, (EREWASH, OTHERS[0])), (), access.COUNCIL_MANAGER, (EREWASH,), K)
    assert calls == [*((code,) for code in OTHERS), (OTHERS[0],), (EREWASH,)]


# --- the page the probe used ---------------------------------------------------------------------

def _series(at) -> dict[str, dict[str, float]]:
    out = {}
    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec)["data"]:
            y = trace["y"]
            if isinstance(y, dict) and "bdata" in y:
                y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).astype(float)
            y = [np.nan if v is None else float(v) for v in y]
            out[trace["name"]] = dict(zip([str(x)[:10] for x in trace["x"]], y, strict=True))
    return out


@pytest.fixture
def leaky_other(con) -> str:
    """An authority whose monthly threshold history holds counts of 1 to 4 (what the probe read)."""
    as_of = db.build_as_of(con)
    for code in OTHERS:
        history = qt.history(con, as_of, (code,))
        counts = history[["near_miss_people", "met_people", "newly_met_people"]]
        if ((counts > 0) & (counts < K)).any().any():
            return code
    pytest.skip("no authority of the demo has a small month")


def test__threshold_over_time__own_then_own_and_other_gives_no_small_count(monkeypatch, demo_warehouse, leaky_other):
    own = _series(open_app(monkeypatch, demo_warehouse, "app_pages/threshold.py", user="erewash",
                           authority=EREWASH, thr_analysis="Over time"))
    both = _series(open_app(monkeypatch, demo_warehouse, "app_pages/threshold.py", user="erewash",
                            authority=f"{EREWASH},{leaky_other}", thr_analysis="Over time"))
    assert both and own
    differences = []
    for name, months in both.items():
        for month, value in months.items():
            mine = own.get(name, {}).get(month, 0.0)
            if not np.isnan(value) and not np.isnan(mine):
                differences.append(value - mine)
    assert differences and not [d for d in differences if 0 < d < K], differences
