"""Streamlit glue shared by every page: the warehouse connection, the sidebar filters, formatting.

The frame (`dashboard.py`) opens the warehouse with `require_warehouse()`, draws the sidebar
with `sidebar()` and runs the page; pages read the choices with `current_filters()` and ask
for data with `load(queries.some_query, ...)`, which caches results per warehouse build. The
sidebar's choices live in session state (so they survive page switches) and in the URL query
string (so a link reproduces the view): `?authority=E07000036&start=2025-01-01&end=2025-12-31`.
Person-level rows are asked for with `person_level_codes()`, which the viewer's role narrows;
`load` refuses a person-level query outside the role and logs every view, and `download_csv`
logs every export (insight/access/roles.py, insight/ui/session.py, insight/access/audit.py).
Words: a tile is a glossary term (`tile`, insight/glossary.py); a table (`dataframe`) and its CSV
(`download_csv`) show coded values in words (insight/labels.py), and a download button counts its
rows in the right number ("Download 1 row as CSV").
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import logging
import pickle
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from etl.rules import authorities, periods
from insight import db, glossary, labels
from insight.access import disclosure
from insight.access import roles as access
from insight.charts import base as charts_base
from insight.charts import svg_map
from insight.queries import overview
from insight.ui import session as ui_access
from insight.ui.dates import date_field, in_order, link_day

QUERY_TTL_SECONDS = 600
_LOG = logging.getLogger(__name__)
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."

_STATE = {"authority": "flt_authority", "start": "flt_start", "end": "flt_end", "as_of": "flt_as_of"}
_FILTERS_KEY = "flt_filters"
_SUPPRESSED_KEY = "flt_suppressed"  # a figure was hidden by the disclosure rule on this run
_RUN_KEY = "flt_run"  # counts whole-page runs (a fragment's rerun does not draw the sidebar)
_FOOTER_KEY = "flt_footer"  # (run, whether the footer gave the disclosure note)
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Filters:
    authority_codes: tuple[str, ...]
    start_date: date
    end_date: date
    as_of_date: date


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(key: tuple[str, int, int]) -> duckdb.DuckDBPyConnection:
    # Keyed on inode and mtime, so a rebuilt file gets a new connection; the old one keeps
    # reading the replaced file until it is evicted.
    return db.connect(Path(key[0]))


@st.cache_data(ttl=QUERY_TTL_SECONDS, max_entries=500, show_spinner=False)
def _shown(query_name: str, key: tuple[str, int, int], args: tuple, kwargs: tuple, role: str | None,
           allowed: tuple[str, ...], k: int) -> pd.DataFrame:
    """A protected aggregate as a viewer of `role` with person-level rights over `allowed` may see
    it (access.shown_as), kept: the disclosure rule over a few thousand rows (the board viewer's
    hexagons, repeat locations) takes 0.1-0.7 s, and every rerun of a page asks for the same. A
    selection that sums the viewer's own authorities with others in rows without an authority also
    runs the query for each part (`_run`, kept under the part's own arguments): the answer still
    depends only on this function's arguments, so its key holds."""
    module, _, function = query_name.rpartition(".")
    query = getattr(importlib.import_module(module), function)

    def rerun(part_args: tuple, part_kwargs: dict) -> pd.DataFrame:
        return _run(query_name, key, tuple(part_args), tuple(sorted(part_kwargs.items())))

    def on_map(map_name: str, map_args: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
        """A map as this viewer sees it (kept, as the page's own map is): what a place of it shows."""
        return _run(map_name, key, tuple(map_args), ()), _shown(map_name, key, tuple(map_args), (), role, allowed, k)

    return access.shown_as(role, allowed, query, args, dict(kwargs), _run(query_name, key, args, kwargs), k,
                           rerun=rerun, on_map=on_map)


@st.cache_data(ttl=QUERY_TTL_SECONDS, max_entries=500, show_spinner=False)
def _run(query_name: str, key: tuple[str, int, int], args: tuple, kwargs: tuple) -> pd.DataFrame:
    # One cursor per call: a DuckDB connection must not be shared by concurrent threads.
    module, _, function = query_name.rpartition(".")
    query = getattr(importlib.import_module(module), function)
    cursor = _connection(key).cursor()
    try:
        cursor.execute("use wh")
        return query(cursor, *args, **dict(kwargs))
    finally:
        cursor.close()


def default_view_requests(as_of: date, codes: tuple[str, ...] = authorities.CODES) -> list[tuple[object, tuple]]:
    """(named query, args) that the pages' first views ask `load` for, for a viewer of the
    authorities `codes` with person-level rights over them (all nine: the OPCC analyst, and a board
    viewer's aggregates are among them; one: the council manager of that authority, whose sidebar
    starts on it), on the default period to `as_of`, nothing typed or chosen on the page. In the
    order a person meets them: the Overview (where a sign-in lands), Threshold near-misses (its
    summary and four lists), Hotspots (the hexagon map at its default size, the repeat locations
    and the concentration), then the needs-action strips and first tables of Review turnaround,
    Appeals, Partnership, Actions and Data quality. A test opens each page after
    `warm_default_view` and finds none of these queries run again (tests/pages/test_access_pages.py),
    so a page whose defaults change cannot drift from this list unnoticed. Running them all takes
    0.7-0.9 s on the demo and 6.6 s on the ten-million-row warehouse, in the warm-up's thread."""
    from etl.marts.reviews import AT_RISK_WORKING_DAYS
    from insight.queries import actions, appeals, maps, partnership, quality, threshold, turnaround

    start, end = periods.default_period(as_of)
    return [
        (overview.headline, (codes, start, end)),
        (quality.short_feeds, (codes, end)),
        (overview.monthly_incidents, (codes, start, end)),
        (overview.incident_density, (codes, start, end)),
        (threshold.summary, (as_of, codes)),
        (threshold.week_queue, (as_of, codes, "")),
        (threshold.near_miss_work_list, (as_of, codes, "")),
        (threshold.met_without_application, (as_of, codes, "")),
        (threshold.second_reports, (as_of, codes, start, end, "")),
        (maps.data_span, (codes,)),
        (maps.hex_counts, (codes, start, end, maps.DEFAULT_RESOLUTION)),
        (maps.outlines, ()),
        (maps.repeat_locations, (codes, as_of, as_of)),
        (maps.concentration, (codes,)),
        (turnaround.stage_summary, (as_of, codes, start, end)),
        (turnaround.open_summary, (as_of, codes, AT_RISK_WORKING_DAYS)),
        (turnaround.at_risk, (as_of, codes, AT_RISK_WORKING_DAYS)),
        (appeals.summary, (as_of, codes, start, end)),
        (appeals.needs_action, (as_of, codes)),
        (partnership.partnership, (as_of, codes, start, end)),
        (actions.summary, (as_of, codes, start, end)),
        (actions.retrigger_summary, (as_of, codes, start, end)),
        (actions.needs_action, (as_of, codes)),
        (quality.file_accounting, ()),
        (quality.rejects_by_reason, ()),
        (quality.rejects, ((), (), "")),
        (quality.source_freshness, (as_of,)),
    ]


def warm_default_view(key: tuple[str, int, int], codes: tuple[str, ...] = authorities.CODES) -> list[str]:
    """Run `default_view_requests` for the build's as-of date and `codes`, in their order, as `load`
    asks for them, so the first person to open a page after the server starts does not wait for its
    queries (an OPCC analyst's first visit to Threshold near-misses was 0.4-0.5 s slower than the
    next person's, its five queries). Only the raw results are kept (`_run`, the build's figures,
    the same for everyone): `load` still checks each viewer's access and applies the disclosure
    rule before anything is shown. Called by the server's warm-up (ui_access.warm_up_imports), in
    its background thread, for all nine authorities, and by `warm_own_view` for a council manager's.
    A query that fails is left for its page to report (to its viewer, in words): the others still
    run, and the names of those that failed are returned for the log."""
    failed = []
    for query, args in default_view_requests(_as_of_of(key), codes):
        if ui_access.WARM_UP_STOP.is_set():   # the process is ending (ui_access.stop_warm_up)
            break
        try:
            _run(_query_name(query), key, args, ())
        except Exception:
            failed.append(_query_name(query))
    return failed


_OWN_VIEWS: set[tuple] = set()   # (build key, authorities) whose first views are warm or warming
_OWN_VIEWS_LOCK = threading.Lock()


def warm_own_view() -> threading.Thread | None:
    """For a viewer whose sidebar starts on their own authority (a council manager: `default_codes`),
    run the queries of every page's first view for that authority (`warm_default_view`) in a
    background thread, once per build and authority in this process; None when there is nothing to
    do. Called at the end of a page's run (`footer`), so it does not hold up the page just drawn: an
    Erewash manager's first visit to Threshold near-misses ran 0.37 s of queries that the server's
    warm-up, which is for all nine authorities, had not. Raw results only, as `warm_default_view`."""
    codes = tuple(default_codes())
    key = db.build_key(db.warehouse_path()) if codes else None
    if key is None:
        return None
    with _OWN_VIEWS_LOCK:
        if (key, codes) in _OWN_VIEWS:
            return None
        _OWN_VIEWS.add((key, codes))

    def run() -> None:
        failed = warm_default_view(key, codes)
        if failed:
            _LOG.warning("warm-up of %s: these queries failed (each page reports it when opened): %s",
                         ", ".join(codes), ", ".join(failed))

    return ui_access.start_warming(run, "asb-warm-own-view")


def _query_name(query) -> str:
    """A named query as the results' caches know it (`_run`, `_shown`)."""
    return f"{query.__module__}.{query.__name__}"


# DuckDB's words for a column a table lacks (a warehouse an older version built)
_MISSING_COLUMN = re.compile(r"Referenced column .* not found|does not have a column named|Column .* not found")


def load(query, *args, **kwargs) -> pd.DataFrame:
    """Run a named query (a function of a module in insight/queries, classified in
    insight/access/roles.py QUERIES) on the current warehouse build, cached, and return what this
    viewer may see: a person-level query is refused outside the viewer's authorities and every
    view is logged; a protected aggregate passes through the disclosure rule for the rows outside
    them (and a period or hexagon size the rule does not allow is refused); an unclassified query
    is for the OPCC analyst only."""
    if not query.__module__.startswith("insight.queries."):
        raise ValueError(f"{_query_name(query)} is not a named query")
    key = db.build_key(db.warehouse_path())
    if key is None:
        require_warehouse()
    viewer = ui_access.require_signed_in()   # a fragment's rerun passes no sign-in gate
    codes = access.requested_codes(query, args, kwargs)  # None unless person-level rows
    if codes is not None:
        ui_access.check_rows(query, codes)
    try:
        access.check_request(viewer, query, args, kwargs, _as_of_of(key))
    except disclosure.TooDetailed as exc:
        st.info(f"Not shown: {exc}.", icon=":material/lock:")
        st.stop()
    name, items = _query_name(query), tuple(sorted(kwargs.items()))
    try:
        if isinstance(access.rule_of(query), disclosure.Aggregate):
            frame = _shown(name, key, args, items, viewer.role if viewer else None,
                           access.person_level_authorities(viewer), disclosure.suppress_below())
        else:
            frame = access.shown(viewer, query, args, kwargs, _run(name, key, args, items))
    except duckdb.CatalogException as exc:
        ui_access.outdated_warehouse(exc)  # says what to do; the SQL error goes to the server log
    except duckdb.BinderException as exc:
        if not _MISSING_COLUMN.search(str(exc)):
            raise
        ui_access.outdated_warehouse(exc)  # a column an older build did not write
    attrs = getattr(frame, "attrs", {})  # a few named queries answer with a value, not a frame
    if attrs.get("hidden") or attrs.get("dropped"):
        st.session_state[_SUPPRESSED_KEY] = True
    rule = access.rule_of(query)
    restricted_view = access.restricted(viewer, query, args, kwargs)
    audited = isinstance(rule, disclosure.Aggregate) and rule.audit and restricted_view
    if codes is None and not audited and not (restricted_view and isinstance(frame, pd.DataFrame)):
        return frame
    arguments = inspect.signature(query).bind(None, *args, **kwargs).arguments
    arguments = {k: v for k, v in list(arguments.items())[1:]}
    if codes is None and not audited:   # another authority's figures: their download is logged
        return ui_access.tag_export(arguments, frame)
    return ui_access.record_view(query.__name__, arguments, frame)


def restricted(filters: Filters) -> bool:
    """Whether the selection holds an authority whose person-level rows this viewer may not see:
    its figures then come under the disclosure rule (insight/access/disclosure.py)."""
    return set(person_level_codes(filters)) != set(filters.authority_codes)


def disclosure_k() -> int:
    """k of the disclosure rule: the fewest people or incidents a figure outside the viewer's
    person-level rights may describe (the board pack's suppress_below)."""
    return disclosure.suppress_below()


# the near-repeat test's (distance, time) bands for a selection under the rule (`restricted`)
STANDARD_KNOX_BANDS = (disclosure.STANDARD_SPATIAL_BANDS_M, disclosure.STANDARD_TEMPORAL_BANDS_DAYS)


def restricted_resolution(filters: Filters) -> int | None:
    """The one H3 resolution this viewer may ask for over the selection (None: any): a viewer
    without person-level rights over some of it gets hexagon counts at one size only."""
    return disclosure.RESTRICTED_RESOLUTION if restricted(filters) else None


def require_warehouse() -> None:
    """Stop the page with instructions when the warehouse file does not exist, or is no warehouse
    DuckDB can open (a file copied in by hand, cut short, or of another program)."""
    path = db.warehouse_path()
    key = db.build_key(path)
    if key is not None:
        try:
            _connection(key)
            return
        except db.WarehouseError:
            st.error(f"The file at `{path}` cannot be opened as a warehouse (it is not a DuckDB database "
                     "this version can read).\n\nBuild it again: `asb build --inputs DIR --warehouse FILE` "
                     "writes a new one in its place.", icon=":material/database_off:")
            st.stop()
    st.error(
        f"No warehouse found at `{path}`.\n\n"
        "Build one first: `asb demo` makes a demonstration warehouse from generated data, "
        "`asb build --inputs DIR --warehouse FILE` builds one from real exports. "
        f"Set `{db.WAREHOUSE_ENV}` to open a warehouse somewhere else.",
        icon=":material/database_off:",
    )
    st.stop()


def build_as_of() -> date:
    """The as-of date of the latest build (today when the warehouse records none)."""
    key = db.build_key(db.warehouse_path())
    if key is None:
        require_warehouse()
    return _as_of_of(key)


def _as_of_of(key: tuple[str, int, int]) -> date:
    """The as-of date of the build `key` (today when the warehouse records none)."""
    return _build_as_of(key) or periods.london_today()


@st.cache_data(ttl=QUERY_TTL_SECONDS, max_entries=4, show_spinner=False)
def _build_as_of(key: tuple[str, int, int]) -> date | None:
    cursor = _connection(key).cursor()
    try:
        cursor.execute("use wh")
        return db.build_as_of(cursor)
    finally:
        cursor.close()


_LINK_DATES = {"start": "From", "end": "To", "as_of": "As of"}   # query parameter -> the sidebar's field
_SHOWN_NAMES = 3   # unknown authorities a link's warning names; the rest are counted


def _visible(text: str) -> str:
    """`text` without control or invisible characters (a zero-width space pasted with a link, a
    right-to-left override that would turn the rest of a warning round) or surrounding spaces."""
    return "".join(c for c in text if unicodedata.category(c)[0] != "C").strip()


def _shown_text(text: str, most: int = 40) -> str:
    """Text of a link shown back to its reader (already `_visible`): at most `most` characters,
    markdown defused (`plain`)."""
    return plain(text[:most] + ("…" if len(text) > most else ""))


def _named(values: list[str]) -> str:
    """Unknown values of a link, for a warning: the first few, then how many more."""
    names = ", ".join(_shown_text(v) for v in values[:_SHOWN_NAMES])
    more = len(values) - _SHOWN_NAMES
    return names + (f" and {more:,} more" if more > 0 else "")


ALL_PARAM = "all"  # ?authority=all: all nine, for a viewer whose default is their own authority


def default_codes() -> list[str]:
    """The authorities a session starts with when the URL names none: a council manager's own (their
    figures whole, their lists complete), everyone else all nine ([] = all nine)."""
    own = list(access.person_level_codes(ui_access.viewer(), authorities.CODES))
    return own if 0 < len(own) < len(authorities.CODES) else []


def _seed_from_url(default_as_of: date) -> None:
    """Fill the sidebar's session state from the query string (first run of a session)."""
    params = st.query_params
    # empty entries (`?authority=`, `?authority=a,,b`) name nothing: as if left out
    raw = [v for value in params.get_all("authority") for v in map(_visible, value.split(",")) if v]
    asked_all = any(v.lower() == ALL_PARAM for v in raw)
    codes = {v: authorities.resolve(v) for v in raw if v.lower() != ALL_PARAM}
    start, end = periods.default_period(default_as_of)
    chosen = sorted({c for c in codes.values() if c}, key=authorities.CODES.index)
    unknown = [v for v, c in codes.items() if not c]
    if unknown:  # a link that names no authority this dashboard knows falls back to the viewer's own
        st.sidebar.warning(f"The link names no authority called {_named(unknown)}: "
                           + ("showing the others it names." if chosen or asked_all else
                              "showing your usual authorities."), icon=":material/link_off:")
    st.session_state[_STATE["authority"]] = chosen if (chosen or asked_all) else default_codes()
    defaults = {"start": start, "end": end, "as_of": default_as_of}
    refused = []
    for name, default in defaults.items():
        text = params.get(name)
        try:
            st.session_state[_STATE[name]] = link_day(text) if text else default
        except ValueError as exc:  # said, not silently replaced: the reader thinks the link's dates are shown
            st.session_state[_STATE[name]] = default
            field = _LINK_DATES[name]
            refused.append(f"The link's {field} is not used ({exc}): {field} is {fmt_date(default)}.")
    if refused:
        st.sidebar.warning(" ".join(refused), icon=":material/event_busy:")


def _write_url(filters: Filters, default_as_of: date) -> None:
    """Mirror the filters in the query string; the default as-of is implied. The authorities are
    always written (all nine as `all`): a viewer's default is their own, and a link sent on to
    someone whose default differs (a council manager's to the OPCC, the OPCC's to a council
    manager) opened the receiver's default, not the view sent (the usability audit of 6 December)."""
    every = set(filters.authority_codes) == set(authorities.CODES)
    authority = [ALL_PARAM] if every else list(filters.authority_codes)
    wanted = {
        "authority": authority,
        "start": [filters.start_date.isoformat()],
        "end": [filters.end_date.isoformat()],
        "as_of": None if filters.as_of_date == default_as_of else [filters.as_of_date.isoformat()],
    }
    params = st.query_params
    for name, values in wanted.items():
        if values is None and name in params:
            del params[name]
        elif values is not None and params.get_all(name) != values:
            params[name] = values


def scope_note(filters: Filters) -> str:
    """What the selection shows this viewer, in words: which authorities, and where lists of people
    and the disclosure rule apply ("Erewash only: your authority, with its lists of people")."""
    names = [authorities.NAME_BY_CODE[c] for c in filters.authority_codes]
    shown = ("All nine authorities" if len(names) == len(authorities.CODES)
             else names[0] + " only" if len(names) == 1 else f"{len(names)} authorities")
    own = person_level_codes(filters)
    if len(own) == len(names):
        return f"{shown}, with the lists of people (your access)."
    if not own:
        home = getattr(ui_access.viewer(), "authority_code", None)
        lists = f"lists of people for {authorities.NAME_BY_CODE[home]} only" if home else "no lists of people"
        return f"{shown}: totals only, small numbers hidden (your access: {lists})."
    own_names = ", ".join(authorities.NAME_BY_CODE[c] for c in own)
    return (f"{shown}: lists of people for {own_names} (your access); the others' figures are totals "
            "with small numbers hidden.")


def list_scope(filters: Filters, codes: tuple[str, ...]) -> str:
    """The words that open a banner about lists of people when those lists cover fewer authorities
    than the page's figures ("For Erewash (the lists you may see): "), else "": a banner is about
    what is on screen, never the county's rows a viewer cannot see."""
    if set(codes) >= set(filters.authority_codes) or not codes:
        return ""
    names = ", ".join(authorities.NAME_BY_CODE[c] for c in codes)
    return f"For {names} (the lists you may see): "


_ASKED_KEY = "flt_asked"   # (the period asked for, the period From and To were moved to): `_follow_as_of`


def _follow_as_of(default_as_of: date) -> None:
    """Put in From and To the period the figures use (`periods.ending_by`: it ends on the as-of
    date at the latest, and the default period follows the as-of date), before they are drawn:
    they showed the period asked for while every figure used another (the UX audit of 7 December
    2026). The period asked for is kept while the boxes hold the one moved to, so an as-of date
    moved back gives it back (what ending_by made of the boxes before); a day typed or picked in
    From or To since is the period asked for from then on."""
    state = st.session_state
    if not all(_STATE[k] in state for k in ("start", "end", "as_of")):
        return
    shown = (state[_STATE["start"]], state[_STATE["end"]])
    asked, moved = state.get(_ASKED_KEY, (shown, None))
    if moved != shown:   # not moved, or changed by hand since
        asked = shown
    ordered = (min(asked), max(asked))
    used = periods.ending_by(*ordered, state[_STATE["as_of"]], default_as_of)
    if used == ordered:
        state.pop(_ASKED_KEY, None)
        target = asked   # as asked (a From after To stays so, and is swapped and said so below)
    else:
        state[_ASKED_KEY] = (asked, used)
        target = used
    if target != shown:
        state[_STATE["start"]], state[_STATE["end"]] = target


def sidebar() -> Filters:
    """Draw the shared filters in the sidebar and return the choices. A date is typed (applied on
    Enter or Tab) or picked from a calendar: insight/ui/dates.py says why not st.date_input alone.
    From and To show the period used (`_follow_as_of`)."""
    default_as_of = build_as_of()
    if _STATE["authority"] not in st.session_state:
        _seed_from_url(default_as_of)
    _follow_as_of(default_as_of)
    with st.sidebar:
        codes = st.multiselect(
            "Authorities", authorities.CODES, format_func=authorities.NAME_BY_CODE.get,
            key=_STATE["authority"], placeholder="All nine authorities", persist_state="session")
        scope = st.empty()
        start = date_field("From", _STATE["start"])
        end = date_field("To", _STATE["end"])
        as_of = date_field("As of", _STATE["as_of"], help="Date that threshold status and freshness are "
                           "measured at; defaults to the build's as-of date.")
        start, end = in_order(start, end)
        ended = periods.ending_by(start, end, as_of, default_as_of)
    filters = Filters(tuple(codes) or authorities.CODES, *ended, as_of)
    coarse = _coarse_dates(filters, default_as_of) if restricted(filters) else None
    if coarse is None and _ASKED_KEY in st.session_state:
        # one note of the period used: a restricted viewer's whole months say it (the pages audit read
        # two periods, "16 Mar 2025 – 15 Mar 2026" and the one used, "1 Mar 2025 – 28 Feb 2026")
        asked = st.session_state[_ASKED_KEY][0]
        st.sidebar.info(f"From and To moved: a period ends on the as-of date at the latest, so that every "
                        f"figure counts what was known then: the period is {fmt_period(*ended)}, and a later as-of "
                        f"date gives back {fmt_period(min(asked), max(asked))}.", icon=":material/event:")
    filters = coarse or filters
    scope.caption(scope_note(filters))
    st.session_state[_SUPPRESSED_KEY] = False
    st.session_state[_RUN_KEY] = st.session_state.get(_RUN_KEY, 0) + 1
    _write_url(filters, default_as_of)
    st.session_state[_FILTERS_KEY] = filters
    return filters


def _coarse_dates(filters: Filters, build_as_of: date) -> Filters | None:
    """The dates a viewer without person-level rights over some authority chosen gets
    (disclosure.coarse_dates: whole calendar months, as of the build's date or a month's end, which
    ui.load holds every protected aggregate to), and the sidebar says so, when they differ from the
    fields; else None."""
    start, end, as_of = disclosure.coarse_dates(filters.start_date, filters.end_date, filters.as_of_date,
                                                build_as_of)
    if (start, end, as_of) == (filters.start_date, filters.end_date, filters.as_of_date):
        return None
    moved = f", as of {fmt_date(as_of)}" if as_of != filters.as_of_date else ""
    st.sidebar.info("Figures of authorities whose person-level rows you may not see are counted over whole "
                    "months, as of a month's end or the build's date: the period is "
                    f"{fmt_period(start, end)}{moved}.", icon=":material/lock:")
    return Filters(filters.authority_codes, start, end, as_of)


def current_filters() -> Filters:
    """The filters chosen in the sidebar on this run."""
    return st.session_state[_FILTERS_KEY]


def person_level_codes(filters: Filters) -> tuple[str, ...]:
    """The selected authorities whose person-level rows (pseudonymised) this viewer may see.

    Every query that returns a row per person takes these codes and filters on them in SQL;
    aggregate counts use all selected authorities. The codes are those the viewer's role allows
    (insight/access/roles.py): all for an OPCC analyst, their own for a council manager, none for a board
    viewer; `load` refuses a person-level query for any other code and logs every view."""
    return access.person_level_codes(ui_access.viewer(), filters.authority_codes)


def may_load(query, *args, **kwargs) -> bool:
    """Whether this viewer may run `load(query, *args, **kwargs)` (a page asks before it offers
    a person-level section)."""
    return access.may_load(ui_access.viewer(), query, *args, **kwargs)


# On screen, the words under a tile's change ("on the previous period: within chance", whether the
# change is more than chance) wrap under it rather than end in "with…" in a narrow tile (three
# tiles a row on the Overview, beside the sidebar, in a 1366 px window). In a `tile_row` the tiles
# of a line share its width up to 16rem each: a tile alone on the second line (Turnaround's "Stages
# at risk") is a tile, not a band across the page.
TILE_CSS = """
@media screen {   /* Streamlit's 5rem each side and 6rem above: 160 px of a 1366 px laptop's width */
  [data-testid="stMainBlockContainer"] { padding-left: 1.5rem; padding-right: 1.5rem; padding-top: 4rem; } }
[data-testid="stHorizontalBlock"] > [data-testid="stElementContainer"]:has([data-testid="stMetric"]) {
  max-width: 16rem; }
[data-testid="stMetric"] div:has(> [data-testid="stMetricDelta"]) { flex-wrap: wrap; }
[data-testid="stMetricDeltaDescription"], [data-testid="stMetricDeltaDescription"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
"""

# Printing a page (Ctrl+P, or "Save as PDF" to attach to an e-mail): no sidebar, header, buttons
# or tabs bar; the page is not clipped to the window; tiles keep whole words; charts, maps and
# tables are not split across sheets. Long tables print the rows in view: their CSV download has all.
PRINT_CSS = """
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stStatusWidget"], [data-testid="stDecoration"],
  [data-testid="stDownloadButton"], [data-testid="stBaseButton-secondary"],
  [data-testid="stExpandSidebarButton"] { display: none !important; }
  html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {
    height: auto !important; overflow: visible !important; position: static !important; }
  [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0 !important; }
  [data-testid="stHorizontalBlock"] { flex-wrap: wrap !important; gap: 0.5rem !important; }
  [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] { min-width: 9rem !important; }
  [data-testid="stMetric"] *, [data-testid="stMetricLabel"] * {
    white-space: normal !important; word-break: normal !important; overflow-wrap: normal !important;
    text-overflow: clip !important; overflow: visible !important; }
  [data-testid="stMetric"], .stPlotlyChart, [data-testid="stDeckGlJsonChart"], [data-testid="stDataFrame"],
  [data-testid="stTable"] { break-inside: avoid; page-break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
}
"""


def page_style() -> None:
    """The pages' stylesheet, once per run: tiles' change descriptions whole (TILE_CSS) and the
    print rules (PRINT_CSS)."""
    st.html(f"<style>{TILE_CSS}{PRINT_CSS}</style>")


def figure(builder, *args, **kwargs):
    """`builder(*args, **kwargs)` (a chart builder of insight/charts: a plotly figure, or None when
    there is nothing to draw) with readable text, built once per builder and arguments and then kept
    for every rerun and every viewer (`figure.clear()` empties it). Building is most of a page's
    rerun where it draws charts (plotly's validation: a stacked bar of the rejects took 0.12 s, a
    heatmap 0.05 s, `readable` 0.02 s each), and the arguments are the frames `load` returned for
    the viewer, so a viewer whose figures differ (another period, another role's suppression) gets
    a figure of its own data: frames are told apart by a hash of every row (`_fingerprint`), not
    by Streamlit's hashing, which samples 10,000 rows of a frame of 50,000 or more. The figure is
    shared: draw it, never change it."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    items = tuple(sorted(kwargs.items()))
    key = (tuple(_fingerprint(a) for a in args), tuple((k, _fingerprint(v)) for k, v in items))
    return _figure(name, key, args, items, builder)


def _fingerprint(value):
    """`value` itself, or for a frame or series what tells it apart from any other: its columns,
    types and a SHA-256 of every row (pandas' row hashes; pickled where a cell cannot be hashed)."""
    if not isinstance(value, pd.DataFrame | pd.Series):
        return value
    try:
        rows = pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
    except TypeError:   # a list or dict in a cell
        rows = pickle.dumps(value, protocol=5)
    shape = tuple(map(str, value.columns)) if isinstance(value, pd.DataFrame) else (str(value.name),)
    types = tuple(map(str, value.dtypes)) if isinstance(value, pd.DataFrame) else (str(value.dtype),)
    return type(value).__name__, shape, types, hashlib.sha256(rows).hexdigest()


@st.cache_resource(ttl=QUERY_TTL_SECONDS, max_entries=100, show_spinner=False)
def _figure(builder_name: str, key: tuple, _args: tuple, _kwargs: tuple, _builder):
    # kept by the builder's name and `key` (figure): Streamlit hashes neither `_args` nor `_builder`
    built = _builder(*_args, **dict(_kwargs))
    if built is not None:
        charts_base.readable(built)
        built._asb_readable = True
    return built


figure.clear = _figure.clear


_TRACE_VALUES = ("values", "z", "y", "x", "lat", "lon")   # what a trace plots, the first it has of these


def _has_value(values) -> bool:
    """Whether an array of a trace (nested for a heatmap's z) holds one value that is not null."""
    if values is None:
        return False
    if isinstance(values, str):
        return True
    try:
        items = list(values)
    except TypeError:   # a scalar
        return values is not None
    return any(_has_value(v) if not isinstance(v, str | int | float) else v == v for v in items)


def nothing_to_draw(figure) -> bool:
    """Whether a plotly figure has no value to plot: no trace, or only traces whose values (the
    first of `_TRACE_VALUES` a trace has: a heatmap's z, a line's y, a histogram's x) are empty or
    all null (the months of a line before the data start). A bar of zeros is a figure of zeros."""
    for trace in figure.data:
        for name in _TRACE_VALUES:
            values = getattr(trace, name, None) if name in trace else None
            if values is not None:
                if _has_value(values):
                    return False
                break
    return True


NOTHING_TO_DRAW = "Nothing to chart for the period and authorities chosen."


def plotly_chart(figure, key: str, where=None, empty: str = NOTHING_TO_DRAW, **kwargs) -> None:
    """A plotly chart with readable text (charts.base.readable; a figure from `figure` has it), in
    `where` (a column) or the page; plotly's world map given inline and empty
    (charts.svg_map.CONFIG), so a map never waits for it from the internet. A figure with nothing
    to draw (`nothing_to_draw`) is the sentence `empty` instead: empty axes with a made-up scale
    said nothing (the UX audit of 7 December 2026)."""
    if nothing_to_draw(figure):
        (where or st).caption(empty)
        return
    kwargs["config"] = {**svg_map.CONFIG, **(kwargs.get("config") or {})}
    readable = figure if getattr(figure, "_asb_readable", False) else charts_base.readable(figure)
    (where or st).plotly_chart(readable, key=key, **kwargs)


def _disclosure_note() -> None:
    st.caption(f"Disclosure control: a figure that describes fewer than {disclosure.suppress_below()} "
               "people or incidents of an authority whose person-level rows you may not see is not "
               "shown (empty or –), nor one that would give such a figure away (a total over some of "
               "the authorities included, when another choice's total could be subtracted from it), nor a "
               "place's description without that many reporters.")


def footer() -> None:
    """The disclosure note when a figure was hidden on this run, and the data attribution line
    shown under every page; then, the page drawn, a council manager's own view warmed
    (`warm_own_view`, once per build and authority)."""
    suppressed = bool(st.session_state.get(_SUPPRESSED_KEY))
    if suppressed:
        _disclosure_note()
    st.session_state[_FOOTER_KEY] = (st.session_state.get(_RUN_KEY), suppressed)
    st.divider()
    st.caption(ATTRIBUTION)
    warm_own_view()


def fragment(func):
    """`st.fragment`, whose own reruns check the sign-in first (`ui_access.require_signed_in`): a
    fragment's rerun runs the fragment alone, not the dashboard's sign-in gate, so after a sign-out
    in another tab a click on the map still drew its panel. Every fragment of the pages is one."""
    @functools.wraps(func)
    def signed_in(*args, **kwargs):
        ui_access.require_signed_in()
        return func(*args, **kwargs)

    return st.fragment(signed_in)


def seed_from_address(key: str, options, parse=str) -> None:
    """Give a widget bound to the address (`bind="query-params"`) the address's value on its first
    draw in a session, when that is one of `options`. Streamlit seeds such a widget from the link
    itself, but not on a session's first run that a signed-in browser's cookie resumes (a link
    opened in a new tab): the map of a shared link came up at its defaults (size 9, hexagons),
    its parameters dropped from the address. A value not among `options` is left to the default."""
    if key in st.session_state:
        return
    raw = st.query_params.get(key)
    try:
        value = parse(raw) if raw is not None else None
    except (TypeError, ValueError):
        return
    if value is not None and value in list(options):
        st.session_state[key] = value


@fragment
def analysis_tabs(analyses: dict, key: str) -> None:
    """A page's sections in tabs: its analysis behind its lists (issue 16, item 3: the action
    first), or its lists (the Threshold page), one tab per entry of `analyses` (label -> function
    that draws it), of which only the open one runs and is sent (issue 16, item 8; issue 15: a
    first view evaluates one list, not every list); the tab open is in the URL (`?<key>=<label>`).
    A fragment, so opening a tab or selecting a row does not redraw the rest of the page."""
    seed_from_address(key, analyses)
    for tab, show in zip(st.tabs(list(analyses), key=key, bind="query-params"), analyses.values(), strict=True):
        with tab:
            if tab.open:
                show()
    fragment_footer()


def fragment_footer() -> None:
    """End of an st.fragment: when only the fragment reran (the page's footer stays as the last
    whole run drew it) and a figure in it was hidden without the footer saying so, say it here."""
    footer_run, noted = st.session_state.get(_FOOTER_KEY, (None, False))
    if footer_run == st.session_state.get(_RUN_KEY) and st.session_state.get(_SUPPRESSED_KEY) and not noted:
        _disclosure_note()


def tile_row():
    """Where a row of tiles goes: a horizontal container that wraps, so every tile keeps its whole
    label and value. In `st.columns` of five to seven tiles (three in the panel beside the map) a
    1400 px window cut the labels short ("Appeals …" four times over on the Appeals page) and the
    panel's values too ("12…"); here a tile that does not fit moves to the next line and the tiles
    of each line share its width."""
    return st.container(horizontal=True, wrap=True, gap="small")


def tile(where, key: str, value: str, change=None, previous=None, direction: int = 0, judged: bool = True) -> None:
    """A tile (st.metric) in `where` (a `tile_row`, or a column) for the glossary term `key`: its name as the label,
    its definition as the help (insight/glossary.py), bordered. With `change` and `previous` (a
    count and the previous period's), the change under it, coloured only when significant for a
    measure with a good `direction` (see change_colour); without `judged` (the previous period is
    partly before the data), grey and never called more than chance."""
    term = glossary.TERMS[key]
    delta = {}
    if previous is not None:
        delta = {"delta": fmt_change(change, previous), "delta_color": change_colour(direction, change, previous),
                 "delta_description": change_words(change, previous)}
        if not judged:
            delta.update(delta_color="off", delta_description="on the previous period, which the data start after")
        if delta["delta"] == "–":   # a hidden change has no direction to point
            delta["delta_arrow"] = "off"
    where.metric(term.name, value, help=term.definition, border=True, **delta)


def measure_column(key: str, **kwargs):
    """A table column of a glossary term: its name as the header, its definition as the help."""
    return st.column_config.NumberColumn(glossary.name(key), help=glossary.definition(key), **kwargs)


def measure_tiles(headline: pd.DataFrame, per_row: int = 3, judged: bool = True) -> None:
    """One tile per headline measure for the 'All selected' row of queries.headline, or, with one
    authority chosen, its own row: the same figures, but the rule hides a choice's distinct people
    and places (`distinct`) unless all nine are chosen, so the tiles read "–" beside a row that
    showed them (the downloads and totals audit of 6 December 2026). Without `judged` (the data
    start after the previous period begins: `span_notice`), no change is called more than chance."""
    rows = headline[headline["authority_code"].notna()]
    total = rows.iloc[0] if len(rows) == 1 else headline[headline["authority_code"].isna()].iloc[0]
    tiles = st.columns(per_row)
    for i, m in enumerate(overview.MEASURES):
        tile(tiles[i % per_row], m.key, fmt_int(total[m.column]), total[f"{m.column}_change"],
             total[f"{m.column}_previous"], m.direction, judged)


def short_feeds_notice(f: Filters) -> None:
    """A warning naming the incident feeds of the chosen authorities that have not reached the
    period's end (`quality.short_feeds`, the board pack's rule): the period's counts lack their
    incidents, so a fall may be the data's, not ASB's (the Overview, Hotspots)."""
    from insight.queries import quality

    short = load(quality.short_feeds, f.authority_codes, f.end_date)
    if short.empty:
        return
    feeds = sorted(short["source"].unique())
    one, most = len(feeds) == 1, 4
    names = ", ".join(labels.source_name(s) for s in feeds[:most]) + (
        f" and {len(feeds) - most} more" if len(feeds) > most else "")
    st.warning(f"Not complete: {'the incident feed' if one else f'{len(feeds)} incident feeds,'} "
               f"{names}{'' if one else ','} {'has' if one else 'have'} sent nothing for "
               f"{f.end_date:%B %Y} or {'stops' if one else 'stop'} more than {quality.LATE_DAYS} days before the "
               "period ends, so the period's counts lack their incidents and a fall may be the data's, not "
               "ASB's. Data quality shows when each feed's data end.", icon=":material/schedule:")


def _data_span(f: Filters):
    """The chosen authorities' first and last incident dates as this viewer may see them
    (`maps.data_span`: a restricted viewer's are their months' first days, or None where that
    month holds fewer than k incidents), and how to say one ("on 3 Nov 2023", "in November 2023")."""
    from insight.queries import maps

    span = load(maps.data_span, f.authority_codes).iloc[0]
    first, last = (pd.Timestamp(span[c]).date() if pd.notna(span[c]) else None for c in ("first_date", "last_date"))

    def when(day) -> str:
        return f"in {day:%B %Y}" if restricted(f) else f"on {fmt_date(day)}"

    return first, last, when


def span_notice(f: Filters, prev_start: date) -> str | None:
    """Where the chosen period lies against the data of the chosen authorities
    (`maps.period_against_span` on `_data_span`), said above a page's figures: "outside" (no
    incident in it: an info naming the data's span) or "starts_late" (the data start after the
    previous period begins: a change on it is against part of a period, a warning); returned."""
    from insight.queries import maps

    first, last, when = _data_span(f)
    where = maps.period_against_span(first, last, f.start_date, f.end_date, prev_start, restricted(f))
    # a period with no incident says so, not "read change with care" (the downloads audit of 6 December 2026)
    if where == "outside":
        st.info(f"No incidents in this period: the data start {when(first)}"
                + (f" and end {when(last)}" if last else "") + ". Choose a period inside them.",
                icon=":material/event_busy:")
    elif where == "starts_late":
        st.warning(f"The data starts {when(first)}, after the previous period begins: "
                   "read \"change\" with care, or choose a later period.", icon=":material/history:")
    return where


def as_of_notice(f: Filters) -> str | None:
    """Where the as-of date lies against the data of the chosen authorities
    (`maps.as_of_against_span` on `_data_span`), said above a page whose figures are as of it:
    "before" (no incident yet: every figure is 0) or "after" (nothing after the data's end is
    known, so the counts fall as complaints leave their windows); returned. Before, the Threshold
    page showed confident zeros as of 2030 (the pages audit of 6 December 2026)."""
    from insight.queries import maps

    first, last, when = _data_span(f)
    where = maps.as_of_against_span(first, last, f.as_of_date, restricted(f))
    if where == "before":
        st.info(f"The data start {when(first)}: as of {fmt_date(f.as_of_date)} no incident had been reported, "
                "so every figure here is 0. Choose a later as-of date.", icon=":material/event_busy:")
    elif where == "after":
        st.warning(f"The data end {when(last)}: as of {fmt_date(f.as_of_date)} nothing after that is known, "
                   "so complaints leave their windows and no new ones come in. Read these figures as the "
                   "data's, not that day's.", icon=":material/event_busy:")
    return where


TABLE_VIEWS = {"figures": "Figures", "changes": "Change on the previous period"}


def measure_table(headline: pd.DataFrame, show: str = "figures") -> None:
    """The per-authority rows of queries.headline: each measure (show="figures") or its change on
    the previous period (show="changes"), one column per measure. One table with both would be 13
    columns, and the last measures (appeals) would sit off-screen at 1366 px (issue 16, item 11);
    a switch above the table (TABLE_VIEWS) chooses."""
    config = {"authority_name": st.column_config.TextColumn("Authority")}
    columns = ["authority_name"]
    for m in overview.MEASURES:
        if show == "changes":
            config[f"{m.column}_change"] = st.column_config.NumberColumn(
                glossary.name(m.key), help=f"{glossary.name(m.key)}: change on the previous period", format="%+d")
            columns.append(f"{m.column}_change")
        else:
            config[m.column] = measure_column(m.key, format="localized")
            columns.append(m.column)
    st.dataframe(headline[headline["authority_code"].notna()], column_order=columns,
                 column_config=config, hide_index=True, placeholder="–")


def measure_export(headline: pd.DataFrame) -> pd.DataFrame:
    """The rows of queries.headline as the Overview's CSV gives them: the authority (or "All
    selected"), then each measure, its previous period and its change, as the viewer sees them (a
    figure the disclosure rule hid stays empty)."""
    columns = {"authority_name": "authority"}
    for m in overview.MEASURES:
        columns.update({m.column: m.column, f"{m.column}_previous": f"{m.column}_previous",
                        f"{m.column}_change": f"{m.column}_change"})
    rows = pd.concat([headline[headline["authority_code"].notna()], headline[headline["authority_code"].isna()]])
    return rows[list(columns)].rename(columns=columns).reset_index(drop=True)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$])")


def plain(text) -> str:
    """Text shown as it is inside Streamlit markdown: no emphasis, links, HTML or maths ($)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def fmt_int(value) -> str:
    """A whole number with thousands separators ('1,234'); an en dash when missing."""
    return "–" if pd.isna(value) else f"{int(value):,}"


def fmt_change(change, previous) -> str:
    """A change on the previous period as '+12 (+5%)' ('+112 (+0.4%)' under 1%, never '+0%');
    '+3 (new)' when the previous was zero."""
    if pd.isna(change) or pd.isna(previous):
        return "–"
    if previous == 0:
        return "0" if change == 0 else f"{int(change):+,} (new)"
    share = change / previous
    return f"{int(change):+,} ({share:+.1%})" if 0 < abs(share) < 0.01 else f"{int(change):+,} ({share:+.0%})"


CHANGE_Z = 2.0  # the repeat locations' rule too: a change of counts beyond ±2 Poisson Z is not chance


def is_significant(change, previous) -> bool:
    """Whether a count moving from `previous` to `previous + change` is more than chance: Poisson
    Z = 2(√now − √before) beyond ±CHANGE_Z (the variance-stabilised difference of two counts)."""
    if pd.isna(change) or pd.isna(previous) or previous + change < 0:
        return False
    return abs(2 * ((previous + change) ** 0.5 - previous ** 0.5)) > CHANGE_Z


def change_colour(direction: int, change, previous) -> str:
    """st.metric's delta_color: green or red only for a significant change of a measure that has a
    good direction (1 up, -1 down); grey otherwise, so noise never looks like an alarm."""
    if direction == 0 or not is_significant(change, previous):
        return "off"
    return "normal" if direction > 0 else "inverse"


def change_words(change, previous) -> str:
    """The tile's words under a change: whether it is more than chance."""
    if pd.isna(change) or pd.isna(previous) or change == 0:
        return "on the previous period"
    return ("on the previous period: more than chance" if is_significant(change, previous)
            else "on the previous period: within chance")


def fmt_date(value) -> str:
    """A date as '1 Jan 2025'."""
    return pd.Timestamp(value).strftime("%-d %b %Y")


def fmt_period(start: date, end: date) -> str:
    """A period as '1 Jan 2025 – 30 Jun 2025'."""
    return f"{fmt_date(start)} – {fmt_date(end)}"


HIGHLIGHT = "background-color: rgba(0, 90, 200, 0.14)"  # a row the page points at (the map's selection)


def dataframe(frame: pd.DataFrame, where=None, highlight: Iterable[int] = (), **kwargs):
    """st.dataframe of `frame` with its coded values in words (labels.readable), in `where` (a
    column) or the page, the rows at the positions `highlight` tinted; returns what st.dataframe
    returns (a selection, when asked for). Rows keep their order, so a selected row's position is
    its position in `frame`. An empty cell (a figure the disclosure rule hides, or none) reads "–",
    not "None", unless the call says otherwise (`placeholder`)."""
    kwargs.setdefault("placeholder", "–")
    kwargs["column_config"] = headed(frame, kwargs.get("column_config"))
    data = labels.readable(frame)
    marked = {data.index[i] for i in highlight if 0 <= i < len(data)}
    if marked:
        data = data.style.apply(lambda row: [HIGHLIGHT if row.name in marked else ""] * len(row), axis=1)
    return (where or st).dataframe(data, **kwargs)


def headed(frame: pd.DataFrame, config: dict | None) -> dict:
    """`config` (st.dataframe's column_config) with a header in words (`labels.header`) for each column
    of `frame` it does not configure and whose name is not one: no table shows `authority_name` or
    `source_row` (the laptop-screen audit of 7 December 2026 found them in four tables)."""
    config = dict(config or {})
    for column in frame.columns:
        if column not in config and labels.header(column) != column:
            config[column] = st.column_config.Column(labels.header(column))
    return config


LIST_PAGE = 200  # rows a long list sends the browser at first; "Show more" adds as many again


def list_page(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The first rows of a long list that its grid shows: LIST_PAGE at first, LIST_PAGE more each time
    its "Show more" button (`list_more`) is pressed, in this session. A list keeps its order, so these
    are its most urgent rows, and a selected row's position is its position in `frame`; the list's
    download keeps every row. The browser is sent a page, not thousands of rows it would lay out
    before the page answers (issue 16, item 8: the Threshold page's lists were 5.7 MB)."""
    return frame.head(st.session_state.get(f"{key}_shown", LIST_PAGE))


def list_more(frame: pd.DataFrame, shown: pd.DataFrame, key: str, note: str = "") -> None:
    """Under a list cut by `list_page`: how many rows of how many it shows (`note` added, e.g. that
    the query stopped at its limit) and a button that shows LIST_PAGE more."""
    if len(shown) >= len(frame):
        if note:
            st.caption(note)
        return
    more = min(LIST_PAGE, len(frame) - len(shown))

    def show_more() -> None:
        st.session_state[f"{key}_shown"] = len(shown) + LIST_PAGE

    left, right = st.columns([4, 1], vertical_alignment="center")
    # "all N", not "them all": a list the query cut at its limit (`note` says so) is not every row
    left.caption(f"Showing the first {len(shown):,} of {len(frame):,} rows, in the list's order; the download "
                 f"has all {len(frame):,}. {note}".strip())
    right.button(f"Show {more:,} more", key=f"{key}_more", on_click=show_more, icon=":material/expand_more:")


def download_label(count: int, one: str = "row", many: str | None = None) -> str:
    """A download button's label that counts in the right number: 'Download 1 row as CSV',
    'Download 1,234 rows as CSV' (`many` when the plural is not `one` + 's': 'entries')."""
    return f"Download {labels.counted(count, one, many)} as CSV"


def download_csv(frame: pd.DataFrame, file_name: str, key: str, one: str = "row", many: str | None = None,
                 label: str | None = None, **kwargs) -> None:
    """A CSV download button of `frame`, labelled with its row count (download_label; `label` when
    it is not a count of rows), coded values in words as the table shows them, formulas defused. The
    file is made when the button is clicked (ui_access.export_data), not on every run; an export of
    person-level rows from `load` is logged first."""
    st.download_button(label or download_label(len(frame), one, many),
                       ui_access.export_data(frame, file_name, safe_csv), file_name=file_name,
                       mime="text/csv", key=key, icon=":material/download:", on_click="ignore", **kwargs)


CSV_DECIMALS = 6  # a download's decimals: a Z or a rate to a millionth, a coordinate to about 0.1 m
_PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def safe_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes for download, with coded values in words (labels.readable), text cells that a
    spreadsheet would run as a formula defused, and values as a spreadsheet reads them: a count with
    a hidden (empty) cell as a whole number, not 88.0; other decimals to CSV_DECIMALS places, not 16;
    a time to the second, in UTC without an offset (2026-12-06 08:52:06: a spreadsheet keeps
    "...152163+00:00" as text); a text that is a plain number ("-1.283591" as a partner sent it) left
    a number, since it runs nothing (the downloads audit of 6 December 2026)."""
    out = labels.readable(frame).copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            if getattr(values.dt, "tz", None) is not None:
                values = values.dt.tz_convert("UTC").dt.tz_localize(None)
            if (values.dropna() != values.dropna().dt.normalize()).any():   # times, not days alone
                values = values.dt.strftime("%Y-%m-%d %H:%M:%S")
            out[column] = values
        elif pd.api.types.is_float_dtype(values):
            known = values.dropna()
            whole = known.size and (known == known.round()).all() and known.abs().max() < 2 ** 53
            out[column] = values.astype("Int64") if whole else values.round(CSV_DECIMALS)
        elif not pd.api.types.is_numeric_dtype(values):
            out[column] = values.map(lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_PREFIXES)
                                     and not _PLAIN_NUMBER.fullmatch(v) else v)
    return out.to_csv(index=False).encode("utf-8-sig")
