"""Property test of the disclosure rule (issue 14) at the query level, on the demo warehouse.

Hypothesis draws a viewer (a board viewer, or the Erewash council manager), a selection of
authorities, a period (1 to 400 days), a hexagon size and an area, and runs every protected
aggregate of insight/access/roles.py QUERIES the way ui.load does (`access.check_request`, the
query, `access.shown`). For every row outside the viewer's person-level rights it finds:

- no count of people or incidents from 1 to k-1, and no integer column the table does not
  declare (a new count column must be classified before it can pass);
- no row about fewer than k (`min_rows`), no statistic over fewer than k cases, no value of a
  single case, no place description without k distinct reporters, and, checked against the
  incidents table itself, no busiest place with fewer than k incidents or described with fewer
  than k reporters;
- no line whose shown total pins a single hidden cell;
- a refusal (TooDetailed) for a period under MIN_PERIOD_DAYS or a hexagon of another size than
  RESTRICTED_RESOLUTION, and only then.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reader import call_arguments, named_query

from etl.marts import reviews
from etl.rules import authorities
from insight import db
from insight.access import disclosure
from insight.access import roles as access

K = disclosure.suppress_below()
EREWASH = "E07000036"
VIEWERS = [access.Viewer("board.viewer", access.BOARD_VIEWER),
           access.Viewer("erewash.manager", access.COUNCIL_MANAGER, EREWASH)]
# Integer columns that count neither people nor incidents: ranks, resolutions, classes, limits,
# thresholds, orders, numbers of map cells.
NOT_COUNTS = {"rank", "h3_resolution", "gi_class", "limit_min", "limit_max", "sla_days", "age_order",
              "community_threshold", "cells", "all_cells", "cells_1", "cells_5", "cells_10", "places",
              "point", "cells_total", "sla_explain_days", "sla_appeal_decision_days", "top_share",
              "sla_decision_days", "days_left"}
PROTECTED = {name: rule for name, rule in access.QUERIES.items() if isinstance(rule, disclosure.Aggregate)}




def _closed_rows(rule: disclosure.Aggregate, frame: pd.DataFrame, allowed: set, codes) -> pd.Series:
    """The rows the viewer has no person-level right over, of those the rule covers (`only_rows`:
    the data-quality grid's case-register months; its incident feeds' months count file rows, shown
    as the per-file table shows them)."""
    whole_allowed = set(codes) <= allowed
    if rule.authority and rule.authority in frame.columns:
        authority = frame[rule.authority]
        closed = ~(authority.isin(allowed) | (authority.isna() & whole_allowed))
    else:
        closed = pd.Series(not whole_allowed, index=frame.index)
    for column, values in (rule.only_rows or {}).items():
        if column in frame.columns:
            closed &= frame[column].isin(values)
    return closed


def _small(series: pd.Series) -> pd.Series:
    values = pd.to_numeric(series, errors="coerce")
    return (values > 0) & (values < K)


def _check_frame(name: str, rule: disclosure.Aggregate, before: pd.DataFrame, shown: pd.DataFrame,
                 allowed: set, codes) -> None:
    closed = _closed_rows(rule, shown, allowed, codes)
    rows = shown[closed]
    for column in rule.counts:
        if column in rows.columns:
            checked = rows
            if column in rule.published and rule.published_when in rows.columns:   # published by law there
                checked = rows[~rows[rule.published_when].fillna(False).astype(bool)]
            assert not _small(checked[column]).any(), (name, column, checked[column].tolist())
    for column in before.columns:
        if pd.api.types.is_integer_dtype(before[column]) and column not in NOT_COUNTS:
            declared = {*rule.counts, *rule.derived, *rule.at_least_k, *rule.single, *rule.shares,
                        *rule.published}
            assert column in declared, (
                f"{name}: integer column {column} is not classified as a count")
    if rule.min_rows and rule.min_rows in rows.columns:
        assert not _small(rows[rule.min_rows]).any(), (name, rule.min_rows)
    # a row whose ordering count is hidden never sits among rows shown: its place would tell it
    blocks = shown.groupby(rule.order_within, sort=False) if rule.order_within in shown.columns else [(0, shown)]
    for _, block in blocks:
        moved = block[[c for c in rule.order if c in block.columns]].isna().any(axis=1) & closed[block.index]
        if moved.any():
            assert moved.loc[moved.idxmax():].all(), (name, "a hidden count between rows shown")
    for column in rule.single:
        if column in rows.columns:
            assert rows[column].isna().all(), (name, column)
    for column, reporters in rule.places.items():
        if column in rows.columns:
            described = rows[column].notna()
            assert (pd.to_numeric(rows.loc[described, reporters], errors="coerce") >= K).all(), (name, column)
    for column, base in rule.at_least_k.items():
        if column in rows.columns and base in rows.columns:
            shown_stat = rows[column].notna()
            bases = rows.loc[shown_stat, base]
            if base in rule.single:   # the base itself is not shown (a box's count): read it from before
                keys = [c for c in (rule.authority, "stage") if c and c in rows.columns]
                bases = rows.loc[shown_stat, keys].merge(before[[*keys, base]], on=keys, how="left")[base]
            assert (pd.to_numeric(bases, errors="coerce") >= K).all(), (name, column)
    if rule.total_by is not None and rule.authority in shown.columns:
        keys = [c for c in rule.total_by if c in shown.columns]
        for _, block in shown.groupby(keys or (lambda _: 0), dropna=False):
            totals, parts = block[block[rule.authority].isna()], block[block[rule.authority].notna()]
            for column in rule.counts:
                if column not in block.columns or totals.empty or totals[column].isna().all():
                    continue
                hidden = parts[column].isna() & before.loc[parts.index, column].fillna(0).gt(0) \
                    if len(before) == len(shown) else parts[column].isna()
                assert hidden.sum() != 1, (name, column, "a single hidden cell beside a shown total")


def _check_places(con, shown: pd.DataFrame, codes, start, end, allowed: set) -> None:
    """The busiest places against the incidents table: >= k incidents, described only with >= k people."""
    if set(codes) <= allowed:
        return
    for row in shown.itertuples():
        incidents, people = con.execute(
            "select count(*), count(distinct person_key) from incidents where h3_r10 = ? and "
            "authority_code = any(?) and reported_date between ? and ?",
            [row.h3_cell, list(codes), start, end]).fetchall()[0]
        assert incidents >= K, row
        if pd.notna(row.main_location) or pd.notna(row.main_asb_type):
            assert people >= K, row


@st.composite
def _draws(draw):
    viewer = draw(st.sampled_from(VIEWERS))
    codes = tuple(draw(st.lists(st.sampled_from(authorities.CODES), min_size=1, max_size=4, unique=True)))
    days_back = draw(st.integers(min_value=0, max_value=500))
    length = draw(st.sampled_from([1, 2, 7, 27, 28, 31, 90, 365]) | st.integers(min_value=1, max_value=400))
    resolution = draw(st.sampled_from([8, 9, 10]))
    kind = draw(st.sampled_from(["h3_8", "h3_9", "h3_10", "lsoa", "authority"]))
    area = draw(st.integers(min_value=0, max_value=5))
    whole_months = draw(st.booleans())   # the dates as the sidebar gives a restricted viewer, or raw
    return viewer, codes, days_back, length, resolution, kind, area, whole_months


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(draw=_draws())
def test__protected_aggregates__show_nothing_about_fewer_than_k_outside_the_viewer_s_rights(con, draw):
    viewer, codes, days_back, length, resolution, kind, area, whole_months = draw
    as_of = db.build_as_of(con)
    end = as_of - dt.timedelta(days=days_back)
    start = end - dt.timedelta(days=length - 1)
    allowed = set(access.person_level_authorities(viewer))
    restricted = bool(set(codes) - allowed)
    if restricted and whole_months:   # what the sidebar gives such a viewer (ui._coarse_dates)
        start, end = disclosure.coarse_period(start, end)
        length = (end - start).days + 1
    not_months = disclosure.coarse_period(start, end) != (start, end)
    from insight.queries import maps as qm

    areas = qm.area_counts(con, codes, start, end, kind) if not kind.startswith("h3") else \
        qm.hex_counts(con, codes, start, end, int(kind[3:])).rename(columns={"h3_cell": "code"})
    key = areas["code"].iloc[min(area, len(areas) - 1)] if len(areas) else "none"
    values = {"codes": codes, "start": start, "end": end, "as_of": as_of, "build_as_of": as_of,
              "resolution": resolution, "kind": kind, "key": key,
              # the one margin and bands such a viewer may ask for (disclosure.Aggregate.fixed)
              "at_risk_days": reviews.AT_RISK_WORKING_DAYS, "spatial_bands_m": disclosure.STANDARD_SPATIAL_BANDS_M,
              "temporal_bands_days": disclosure.STANDARD_TEMPORAL_BANDS_DAYS, "permutations": 9}
    for name, rule in PROTECTED.items():
        query = named_query(name)
        area_kind = kind if kind in qm.AREA_KINDS or not name.endswith("area_counts") else "lsoa"
        args = call_arguments(query, {**values, "kind": area_kind})
        too_short = rule.period is not None and (length < disclosure.MIN_PERIOD_DAYS or not_months)
        too_fine = rule.resolution is not None and (
            (rule.resolution == "resolution" and resolution != disclosure.RESTRICTED_RESOLUTION)
            or (rule.resolution == "kind" and area_kind.startswith("h3_")
                and area_kind != f"h3_{disclosure.RESTRICTED_RESOLUTION}"))
        try:
            access.check_request(viewer, query, args, {}, as_of)
        except disclosure.TooDetailed:
            assert restricted and (too_short or too_fine), name
            continue
        assert not (restricted and (too_short or too_fine)), name
        try:
            before = query(con, *args)
        except (qm.TooManyPoints, qm.knox.NeedsDayLevelDates):
            continue
        shown = access.shown(viewer, query, args, {}, before,
                             rerun=lambda a, kw, query=query: query(con, *a, **kw))  # a mixed selection's parts
        _check_frame(name, rule, before, shown, allowed, codes)
        if name.endswith("area_top_locations"):
            _check_places(con, shown, codes, start, end, allowed)
