"""The one registry of the warehouse's models: every intermediate table and mart, how it is
made, what it reads, which parameters it takes, and whether a page may evaluate it live.

A model is made either by its SQL file (`etl/sql/<layer>/<name>.sql`, a chain of CTEs bound
with DuckDB parameters such as `$as_of`) or, where SQL cannot express it well, by a Python
function that returns a frame (the Gi* statistics, Lorenz curves, hotspot accuracy). The build
fills the models of each subject in the order listed here (`build`); a mart's table is declared
in `etl/sql/warehouse.sql` (a test checks every registered mart has its DDL), an intermediate
model is created from its SQL. `live_sql` and `evaluate` give the same SQL for another as-of
date, with the as-of-dependent marts it reads defined as CTEs of that date, so the read side's
one stored-or-live rule (`insight/queries/run.py`) needs nothing else.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from etl import sqlfile
from etl.marts import hotspots, reviews


@dataclass(frozen=True)
class Context:
    """What a model's parameters and Python builders may use: the as-of date and the districts
    (EPSG:27700 polygons with authority_code; hotspot models only)."""

    as_of: dt.date
    districts: object = None
    params: dict = field(default_factory=dict)  # extra parameters, e.g. at_risk_days
    cells: dict = field(default_factory=dict, repr=False)  # H3 cells per district by resolution, made once


@dataclass(frozen=True)
class Model:
    name: str
    subject: str  # threshold, hotspots, reviews, quality: the build stage that fills it
    kind: str = "mart"  # "mart" (a table declared in warehouse.sql), "table" or "view" (intermediate)
    params: tuple[str, ...] = ("as_of",)  # the DuckDB parameters its SQL takes
    reads: tuple[str, ...] = ()  # as-of-dependent marts its SQL reads (same as-of date)
    python: Callable[[duckdb.DuckDBPyConnection, Context], pd.DataFrame] | None = None
    live: bool = True  # a page may evaluate its SQL for another as-of date
    # parameters a page's evaluation for another date sets (insight/queries/run.py): e.g. every_row
    # False, when the pages read only some of the mart's rows and the rest are costly to make;
    # with_lists False, when the columns a list reads for the rows it shows are costly for every
    # row (`run.complete` gives those rows whole)
    live_params: dict = field(default_factory=dict)
    # a page keeps its evaluation for another date (one table per date and connection, read by the
    # page's several queries); False for a mart that is a projection of a stored table, which each
    # query reads inline so that its own filters (period, authority) reach the stored table: keeping
    # mart_second_reports meant writing its 1.2 million events to read a few thousand (issue 15)
    keep: bool = True


MODELS: tuple[Model, ...] = (
    # threshold engine (etl/marts/threshold.py): complaints and spells do not depend on the date
    Model("int_complaint_rows", "threshold", kind="table", params=(), live=False),
    Model("int_complaints", "threshold", kind="view", params=(), live=False),
    Model("int_threshold_timeline", "threshold", kind="table", params=(), live=False),
    Model("int_second_reports", "threshold", kind="table", params=(), live=False),
    Model("mart_threshold_status", "threshold", params=("as_of", "every_row", "with_lists", "persons"),
          live_params={"every_row": False, "with_lists": False, "persons": None}),
    Model("mart_community_status", "threshold"),
    Model("mart_threshold_history", "threshold", live=False),
    Model("mart_second_reports", "threshold", keep=False),
    # hotspots (etl/marts/hotspots.py)
    Model("mart_hotspot_cells", "hotspots", python=hotspots.cells_frame, live=False),
    # month_only: the police.uk sources of a build (etl_loads names them once written)
    Model("mart_repeat_locations", "hotspots", params=("as_of", "top", "month_only"),
          live_params={"top": hotspots.REPEAT_LIST, "month_only": []}),
    Model("mart_concentration", "hotspots", python=hotspots.concentration_frame, live=False),
    Model("mart_hotspot_accuracy", "hotspots", python=hotspots.accuracy_frame, live=False),
    # case review performance (etl/marts/reviews.py), in dependency order
    Model("mart_review_turnaround", "reviews"),
    Model("mart_review_open_stages", "reviews", params=("as_of", "at_risk_days"),
          reads=("mart_review_turnaround",)),
    Model("mart_statutory_exceptions", "reviews", reads=("mart_review_turnaround",)),
    Model("mart_statutory_returns", "reviews", reads=("mart_review_turnaround", "mart_statutory_exceptions")),
    Model("mart_appeals", "reviews", reads=("mart_review_turnaround",)),
    # action plans and re-triggers (etl/marts/actions.py)
    Model("mart_actions", "reviews"),
    Model("mart_retriggers", "reviews", reads=("mart_actions",)),
    # data quality
    Model("mart_source_months", "quality", params=()),
)
BY_NAME = {m.name: m for m in MODELS}


def model(name: str) -> Model:
    """The registered model called `name` (ValueError when there is none)."""
    if name not in BY_NAME:
        raise ValueError(f"unknown mart {name!r}")
    return BY_NAME[name]


def names(subject: str, kind: str | None = "mart") -> tuple[str, ...]:
    """The models of one subject in build order (marts only unless `kind` is None)."""
    return tuple(m.name for m in MODELS if m.subject == subject and (kind is None or m.kind == kind))


def parameters(name: str, context: Context) -> dict:
    """The values of the parameters `name`'s SQL takes (`every_row` and `with_lists`: true,
    `persons` and `top`: null, everyone and every cell, as the build stores them; `month_only`: no
    source beyond etl_loads' police.uk ones, unless `context.params` says otherwise)."""
    values = {"as_of": context.as_of, "at_risk_days": reviews.AT_RISK_WORKING_DAYS, "every_row": True,
              "with_lists": True, "persons": None, "top": None, "month_only": [], **context.params}
    return {p: values[p] for p in model(name).params}


def dependencies(name: str) -> list[str]:
    """Every mart `name` reads, directly or not, in registry order."""
    needed, stack = set(), list(model(name).reads)
    while stack:
        current = stack.pop()
        if current not in needed:
            needed.add(current)
            stack.extend(model(current).reads)
    return [m.name for m in MODELS if m.name in needed]


def live_sql(name: str, made: dict[str, str] | None = None) -> str:
    """`name`'s SQL for its own parameters, with the marts it reads computed for the same
    parameters as CTEs that shadow their stored tables; `made` maps a mart it reads to a relation
    that already holds it for the same parameters (read instead of computing it again)."""
    if not model(name).live:
        raise ValueError(f"{name} is not evaluated live (it is stored for the build's as-of date only)")
    deps = dependencies(name)
    if not deps:
        return sqlfile.read(name)
    made = made or {}
    ctes = ",\n".join(f"{d} as (select * from {made[d]})" if d in made else
                       f"{d} as (select * from ({sqlfile.read(d)}))" for d in deps)
    return f"with {ctes}\nselect * from ({sqlfile.read(name)})"


def evaluate(con: duckdb.DuckDBPyConnection, name: str, as_of: dt.date, **params) -> pd.DataFrame:
    """A mart evaluated live as of any date (a DataFrame with the mart's columns)."""
    return con.execute(live_sql(name), parameters(name, Context(as_of, params=params))).df()


def _make(con: duckdb.DuckDBPyConnection, m: Model, context: Context) -> None:
    if m.python is not None:
        frame = m.python(con, context)
        con.register("_model_frame", frame)
        con.execute(f"insert into {m.name} by name select * from _model_frame")
        con.unregister("_model_frame")
        return
    sql, values = sqlfile.read(m.name), parameters(m.name, context)
    if m.kind == "view":
        con.execute(f"create or replace view {m.name} as {sql}")
    elif m.kind == "table":
        con.execute(f"create or replace table {m.name} as {sql}", values)
    else:
        con.execute(f"insert into {m.name} by name {sql}", values)


def build(con: duckdb.DuckDBPyConnection, subject: str, context: Context, timings: list | None = None) -> None:
    """Fill every model of `subject` in registry order; `timings` receives (name, seconds).

    The models of a subject are written in one transaction, so `con` must not be in one already:
    each commit to a warehouse file costs some 3 ms, which was a tenth of a small build's marts
    (issue 15). A failure rolls the subject back whole."""
    con.begin()
    try:
        _build(con, subject, context, timings)
    except BaseException:
        con.rollback()
        raise
    con.commit()


def _build(con: duckdb.DuckDBPyConnection, subject: str, context: Context, timings: list | None) -> None:
    for m in MODELS:
        if m.subject != subject:
            continue
        started = time.perf_counter()
        _make(con, m, context)
        if timings is not None:
            timings.append((m.name, time.perf_counter() - started))
