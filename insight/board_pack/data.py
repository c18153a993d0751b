"""The figures of the monthly board pack, gathered from the warehouse by the named queries.

`gather(con, month, codes)` asks the existing query functions (insight.queries.overview, insight.queries.maps,
insight.queries.threshold, the hotspot computations of etl.marts.hotspots and the case review queries)
for one whole month (one that ended by the build's as-of date) and the selected authorities, and returns a `PackData` of small aggregate
frames: no frame here holds a row per person. Comparisons are with the previous month and the
same month a year earlier; threshold figures are taken at the month's last day (the engine runs
live when that is not the build's as-of date). Which figures count people, and so are
suppressed by insight.access.disclosure, is `PEOPLE`.
"""

from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from etl.marts import hotspots
from etl.rules import authorities
from etl.sources.readers import quote_ident
from insight.access import roles as access
from insight.charts.base import _geometry
from insight.queries import maps as queries_maps
from insight.queries import overview, quality
from insight.queries import threshold as qt

# Figures that count people (or cases each brought by one person): disclosure control applies.
PEOPLE = frozenset({
    "reporting_persons", "applications", "threshold_met", "appeals",
    "near_miss_people", "met_people", "met_without_application_people", "newly_met_people",
    "second_report_events",
})
# The headline measures counted from a register rather than the incident feeds: the register
# (kind) whose first record starts their data (`PackData.before_data`).
REGISTER_OF = {"applications": "applications", "threshold_met": "applications", "appeals": "appeals"}
HOTSPOT_RESOLUTION = 8  # about 0.7 km² a cell: readable on a slide of the whole county
REPEAT_TOP = 10
REPEAT_COUNTS = ("incidents_90d", "incidents_prev_90d")   # the busiest places slide's counts
THRESHOLD_COUNTS = ("near_miss_people", "met_people", "met_without_application_people", "newly_met_people")


class PackDataError(ValueError):
    """The pack cannot be made from this warehouse for this month."""


@dataclass(frozen=True)
class Month:
    start: dt.date

    @classmethod
    def parse(cls, text: str) -> Month:
        """'2026-10' -> October 2026."""
        if not re.fullmatch(r"\d{4}-\d{2}", text or ""):
            raise ValueError(f"{text!r} is not a month (YYYY-MM)")
        year, month = (int(p) for p in text.split("-"))
        if not 1 <= month <= 12:
            raise ValueError(f"{text!r} is not a month (YYYY-MM)")
        return cls(dt.date(year, month, 1))

    def shift(self, months: int) -> Month:
        year, month = divmod(self.start.year * 12 + self.start.month - 1 + months, 12)
        return Month(dt.date(year, month + 1, 1))

    @property
    def end(self) -> dt.date:
        return self.shift(1).start - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.start:%B %Y}"

    @property
    def name(self) -> str:
        """'October' (titles: the footer gives the year)."""
        return f"{self.start:%B}"

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def financial_year_start(self) -> dt.date:
        """1 April of the financial year (April-March) the month belongs to."""
        return dt.date(self.start.year if self.start.month >= 4 else self.start.year - 1, 4, 1)


def default_month(as_of: dt.date) -> Month:
    """The latest whole month on the as-of date: its own month when it is the month's last day."""
    this = Month(as_of.replace(day=1))
    return this if this.end == as_of else this.shift(-1)


def month_options(first: dt.date | None, as_of: dt.date) -> list[Month]:
    """Every whole month from the first data's to the last one ended by the as-of date
    (default_month), newest first; empty when none has ended yet. A month still running on the
    as-of date is not offered: its figures would stop part-way through it (see gather)."""
    last = default_month(as_of)
    month = Month((first or last.start).replace(day=1))
    out = []
    while month.start <= last.start:
        out.append(month)
        month = month.shift(1)
    return out[::-1]


@dataclass
class PackData:
    month: Month
    codes: tuple[str, ...]
    build: dict
    headline: pd.DataFrame  # index measure column; current, previous, last_year (all selected)
    by_authority: pd.DataFrame  # index authority_name; incidents current, previous, last_year
    trend: pd.DataFrame  # month, incidents (13 months to the month, all selected)
    hot_cells: pd.DataFrame  # h3_cell, incidents, gi_class, authority_code, window_least_incidents (selected, class <> 0)
    outlines: pd.DataFrame
    repeats: pd.DataFrame
    concentration: pd.DataFrame  # one row per authority (and 'all'): places, places_for_50pct
    threshold: pd.DataFrame  # qt.summary at the month end, index authority_name ('All selected')
    threshold_history: pd.DataFrame
    sources: pd.DataFrame  # incident feeds with a problem in the month
    rejects: pd.DataFrame
    cases: dict = field(default_factory=dict)  # turnaround, appeals, statutory frames
    # qt.second_report_share for the month's second reports at its end, index authority_name
    second_reports: pd.DataFrame = field(default_factory=pd.DataFrame)
    # the warehouse's first incident: a month before it holds no data, not no ASB (never printed)
    first_date: dt.date | None = None
    # each register's first record (kind -> date): its measures' data start there (REGISTER_OF)
    register_first: dict = field(default_factory=dict)

    def incomplete(self, code: str | None = None) -> list[str]:
        """The incident feeds late or missing for the month that sent incidents of the selected
        authorities (of authority `code` alone, when given) in the year before: their counts for
        the month are not complete, so no change on it is called a rise or a fall."""
        if self.sources.empty or "incomplete_for" not in self.sources:
            return []
        return [r.source for r in self.sources.itertuples()
                if r.incomplete_for and (code is None or code in r.incomplete_for)]

    def before_data(self, month: Month, measure: str | None = None) -> bool:
        """Whether `month` ended before the warehouse's first incident (nothing to compare with);
        for a headline `measure` of a register (REGISTER_OF), before that register's first record
        (an applications register that starts a month after the incidents holds no data for that
        month, not no applications: never "8 against 0, new")."""
        first = self.register_first.get(REGISTER_OF.get(measure)) or self.first_date
        return first is not None and month.end < first

    @property
    def names(self) -> list[str]:
        return [authorities.NAME_BY_CODE[c] for c in self.codes]


TOTAL_KEY = "\0total"   # a total row's key (NaN) while `hidden_on_pages` matches rows
PAGE_HIDDEN = "_page_hidden"   # a frame's `<count>_page_hidden` column: a page hides that count (`mark_page_hidden`)


def hidden_on_pages(con, query, args: tuple, frame: pd.DataFrame, codes, key: str | tuple[str, ...],
                    columns=None, kwargs: dict | None = None) -> set[tuple]:
    """(row, column): the counts of `frame` (query(con, *args, **kwargs), the query a page shows
    for the same choice) that the page hides from a board viewer, or from the manager of any
    authority of `codes` (their own authority's rows known to them), at the site's disclosure limit.
    A row is named by its `key` value (None for a total row), or the tuple of its values when `key`
    names several columns; the key names one row. A row the page leaves out has every count hidden,
    and (row, None) besides.

    The pack prints none of them, so that a slide read with the page tells no more than the page
    (the roles audit of 7 December 2026: the pack printed all nine's threshold met decisions, 5,
    where the Overview hid five authorities' counts and the others were 0; a place's last 90 days,
    25, beside the 180 days, 29, that Hotspots shows; a council's "met, no application" that the
    Threshold page hides; all nine's threshold history, which less the manager's own authority told
    the other eight's)."""
    kwargs = kwargs or {}
    database = con.execute("select current_database()").fetchall()[0][0]

    def seen_by(viewer: tuple) -> pd.DataFrame:
        """The page's frame as `viewer` (role, allowed) sees it; the queries it runs again (for the
        others' and the own part of a choice) on a cursor of its own: the viewers are judged on two
        threads, as DuckDB runs a query without Python's lock."""
        cursor = con.cursor()
        try:
            cursor.execute(f"use {quote_ident(database)}")
            return indexed(access.shown_as(*viewer, query, args, kwargs, frame,
                                           rerun=lambda a, kw: query(cursor, *a, **kw)))
        finally:
            cursor.close()

    def indexed(f: pd.DataFrame) -> pd.DataFrame:   # rows by their key, a total row's (NaN) as TOTAL_KEY
        return f.set_index(_row_names(f, key, TOTAL_KEY))

    keys = {key} if isinstance(key, str) else set(key)
    columns = [c for c in (frame.columns if columns is None else columns) if c in frame.columns and c not in keys]
    truth = indexed(frame)[columns]
    hidden: set[tuple] = set()
    viewers = [(access.BOARD_VIEWER, ()), *((access.COUNCIL_MANAGER, (c,)) for c in codes)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        views = list(pool.map(seen_by, viewers))
    for shown in views:
        left_out = ~truth.index.isin(shown.index)
        seen = shown[~shown.index.duplicated()].reindex(index=truth.index, columns=columns)
        blank = truth.notna().to_numpy() & (seen.isna().to_numpy() | left_out[:, None])
        hidden |= {(truth.index[r], columns[c]) for r, c in zip(*np.nonzero(blank), strict=True)}
        hidden |= {(name, None) for name in truth.index[left_out]}
    return {(_untotalled(name), c) for name, c in hidden}


def _row_names(frame: pd.DataFrame, key, blank=None) -> pd.Index:
    """Each row's name: its `key` column's value, or the tuple of its `key` columns' (NaN as `blank`)."""
    parts = [frame[c].astype(object).where(frame[c].notna(), blank) for c in ([key] if isinstance(key, str) else key)]
    return pd.Index(parts[0]) if len(parts) == 1 else pd.MultiIndex.from_arrays(parts)


def _untotalled(name):
    if isinstance(name, tuple):
        return tuple(_untotalled(part) for part in name)
    return None if name == TOTAL_KEY else name


def mark_page_hidden(con, query, args: tuple, frame: pd.DataFrame, codes, key: str | tuple[str, ...], columns,
                     kwargs: dict | None = None) -> pd.DataFrame:
    """`frame` with a boolean `<column>_page_hidden` for each of `columns`: the page showing the same
    query hides that count from some viewer (`hidden_on_pages`), so the pack prints it not; and
    `page_leaves_out`: the page lists not the row at all."""
    columns = [c for c in columns if c in frame.columns]
    hidden = hidden_on_pages(con, query, args, frame, codes, key, columns, kwargs)
    names = list(_row_names(frame, key))
    def marks(column) -> pd.Series:   # boolean even for no row (an empty list would be object)
        return pd.Series([(n, column) in hidden for n in names], index=frame.index, dtype=bool)

    return frame.assign(**{f"{c}{PAGE_HIDDEN}": marks(c) for c in columns}, page_leaves_out=marks(None))


def page_hides(frame: pd.DataFrame, column: str) -> pd.Series:
    """Whether a page hides each row's `column` (`mark_page_hidden`; a frame made without the
    marks, by hand in a test, hides none)."""
    marks = f"{column}{PAGE_HIDDEN}"
    return frame[marks].eq(True) if marks in frame else pd.Series(False, index=frame.index)


def _page_hidden(con, codes, month: Month, frame: pd.DataFrame) -> set[str]:
    """The columns of `frame`'s all-selected row (overview.headline for `codes` and `month`) that the
    Overview hides for that choice (`hidden_on_pages`)."""
    return {c for name, c in hidden_on_pages(con, overview.headline, (tuple(codes), month.start, month.end),
                                             frame, codes, "authority_code") if name is None and c is not None}


def _comparisons(con, codes, month: Month) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(headline, by_authority): overview.headline for the month (which brings the previous month)
    and for the same month a year earlier; `<month>_hidden` (current, previous, last_year): the
    Overview hides that figure (`_page_hidden`, for the month, the month before as a period of its
    own or as this one's previous, and the month a year before), so the pack prints it not."""
    current = overview.headline(con, codes, month.start, month.end)
    last_month, year_ago = month.shift(-1), month.shift(-12)
    previous = overview.headline(con, codes, last_month.start, last_month.end)
    year_before = overview.headline(con, codes, year_ago.start, year_ago.end)
    total = current[current["authority_code"].isna()].iloc[0]
    total_ly = year_before[year_before["authority_code"].isna()].iloc[0]
    hidden_now, hidden_before = _page_hidden(con, codes, month, current), _page_hidden(con, codes, last_month, previous)
    hidden_ly = _page_hidden(con, codes, year_ago, year_before)
    headline = pd.DataFrame([
        {"measure": m.column, "label": m.label, "definition": m.definition,
         "direction": m.direction, "current": int(total[m.column]),
         "previous": int(total[f"{m.column}_previous"]), "last_year": int(total_ly[m.column]),
         "current_hidden": m.column in hidden_now,
         "previous_hidden": f"{m.column}_previous" in hidden_now or m.column in hidden_before,
         "last_year_hidden": m.column in hidden_ly}
        for m in overview.MEASURES]).set_index("measure")
    rows = current[current["authority_code"].notna()].set_index("authority_name")
    before = year_before[year_before["authority_code"].notna()].set_index("authority_name")
    by_authority = pd.DataFrame({"authority_code": rows["authority_code"], "current": rows["incidents"],
                                 "previous": rows["incidents_previous"], "last_year": before["incidents"]})
    return headline, by_authority.astype({"current": int, "previous": int, "last_year": int})


def _trend(con, codes, month: Month) -> pd.DataFrame:
    monthly = overview.monthly_incidents(con, codes, month.shift(-12).start, month.end)
    return monthly.groupby("month", as_index=False)["incidents"].sum()


def districts(outlines: pd.DataFrame) -> gpd.GeoDataFrame:
    """The authorities' outlines from the warehouse as a GeoDataFrame (WGS84)."""
    return gpd.GeoDataFrame({"authority_code": outlines["authority_code"]},
                            geometry=[_geometry(t) for t in outlines["boundary_geojson"]], crs=4326)


def _hot_cells(con, codes, month: Month, outlines: pd.DataFrame) -> pd.DataFrame:
    """Gi* (etl.marts.hotspots, the mart's method) on the month's counts over every cell of the nine
    districts; the significant cells of the selected authorities."""
    if outlines.empty:
        return pd.DataFrame(columns=["h3_cell", "incidents", "gi_class", "authority_code", "window_least_incidents"])
    cells = hotspots.hotspot_cells(con, districts(outlines), month.end, (HOTSPOT_RESOLUTION,), month.start)
    keep = cells["authority_code"].isin(codes) & (cells["gi_class"] != 0)
    return cells.loc[keep, ["h3_cell", "incidents", "gi_class", "authority_code",
                            "window_least_incidents"]].reset_index(drop=True)


def _repeats(con, codes, month: Month, build_as_of: dt.date) -> pd.DataFrame:
    """The busiest places in the 12 months to the month end, in the order of the mart's rank
    (12 months, then 90 days, then cell), so each authority's top REPEAT_TOP hold them all; a place
    Hotspots lists not (fewer than k incidents in the year) is not listed either."""
    args, kwargs = (tuple(codes), month.end, build_as_of), {"per_authority": REPEAT_TOP}
    frame = queries_maps.repeat_locations(con, *args, **kwargs)
    frame = mark_page_hidden(con, queries_maps.repeat_locations, args, frame, codes, "h3_cell",
                             REPEAT_COUNTS, kwargs)   # as Hotspots hides them for the same date
    frame = frame.loc[~frame["page_leaves_out"]]
    frame = frame.sort_values(["incidents_365d", "incidents_90d", "h3_cell"], ascending=[False, False, True])
    return frame.head(REPEAT_TOP).reset_index(drop=True)


def _concentration(con, codes, month: Month, outlines: pd.DataFrame) -> pd.DataFrame:
    if outlines.empty:
        return pd.DataFrame(columns=["authority_code", "authority_name", "places", "incidents",
                                     "places_for_50pct", "places_for_25pct"])
    chosen = outlines[outlines["authority_code"].isin(codes)]
    conc = hotspots.concentration(con, districts(chosen), month.start, month.end)
    per = conc.drop_duplicates("authority_code")[["authority_code", "places", "incidents",
                                                   "places_for_50pct", "places_for_25pct"]]
    per = per.assign(authority_name=per["authority_code"].map(authorities.NAME_BY_CODE).fillna("All selected"))
    return per.reset_index(drop=True)


def _threshold(con, codes, month: Month) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(summary, history, second reports) at the month's end; second reports made in the month."""
    args = (month.end, tuple(codes))
    summary = qt.summary(con, *args)   # each count marked where the Threshold page hides it
    summary = mark_page_hidden(con, qt.summary, args, summary, codes, "authority_name", THRESHOLD_COUNTS)
    history = qt.history(con, *args)
    history = mark_page_hidden(con, qt.history, args, history, codes, "month_end", THRESHOLD_COUNTS)
    summary, history = summary.set_index("authority_name"), history[pd.to_datetime(history["month_end"]).dt.date >= month.shift(-12).end]
    second = qt.second_report_share(con, month.end, codes, month.start, month.end).set_index("authority_name")
    return summary, history.reset_index(drop=True), second


def _sources(con, month: Month, codes: tuple[str, ...], fresh: pd.DataFrame) -> pd.DataFrame:
    """Incident feeds that sent nothing for the month, stop before its end or have empty months
    in the year to it (mart_source_months gaps), with the reason in words. `last_date` is a feed's
    last record's day; the slide shows its month, and only when the feed sent k rows or more that
    month (`last_month_rows`): the day is one incident's, as the Data quality page shows a board
    viewer (insight/access/roles.py QUERIES). Late or missing is `quality.short_feeds`' rule (the
    Overview's too); `incomplete_for`: the authorities of `codes` whose counts for the month lack
    the feed's incidents (it sent theirs in the year before), so no change of theirs on the month
    is called a rise or a fall. `fresh`: `quality.source_freshness` at the month's end."""
    short = quality.short_feeds(con, authorities.CODES, month.end)
    months = quality.source_months(con)
    months = months[months["kind"] == "incidents"]
    month_ts = pd.Timestamp(month.start)
    rows = []
    for source, kind, last, last_month_rows in fresh[["source", "kind", "last_date", "last_month_rows"]].itertuples(
            index=False):
        if kind not in ("incidents", "police_uk"):
            continue
        own = months[months["source"] == source]
        in_month = int(own.loc[pd.to_datetime(own["month"]) == month_ts, "rows_loaded"].sum())
        window = pd.to_datetime(own["month"]).between(pd.Timestamp(month.shift(-11).start), month_ts,
                                                      inclusive="left")
        gaps = int(own.loc[window, "is_gap"].sum())
        last = pd.Timestamp(last).date() if pd.notna(last) else None
        short_for = set(short.loc[short["source"] == source, "authority_code"])
        problems = []
        if short_for:
            problems.append(f"no rows for {month.label}" if in_month == 0 else
                            f"stops more than {quality.LATE_DAYS} days before the month ends")
        if gaps:
            problems.append(f"{gaps} empty month{'s' if gaps > 1 else ''} in the year before")
        if problems:
            rows.append({"source": source, "rows_in_month": in_month, "last_date": last,
                         "last_month_rows": int(last_month_rows), "problem": "; ".join(problems),
                         "incomplete_for": tuple(sorted(short_for & set(codes)))})
    return pd.DataFrame(rows, columns=["source", "rows_in_month", "last_date", "last_month_rows", "problem",
                                       "incomplete_for"])


def gather(con, month: Month, codes: tuple[str, ...], case_data=None) -> PackData:
    """Every figure of the pack for `month` and the authorities `codes`. `case_data`, when
    given, is called as case_data(con, month, codes) and returns the case review frames."""
    build = quality.latest_build(con)
    if build.empty:
        raise PackDataError("the warehouse records no build")
    build_row = build.iloc[0]
    as_of = pd.Timestamp(build_row["as_of_date"]).date()
    if month.start > as_of:
        raise PackDataError(f"{month.label} starts after the warehouse's as-of date ({as_of:%-d %b %Y})")
    if month.end > as_of:
        # the data stops part-way through the month: its counts, its comparisons with whole months
        # and its month-end threshold figures would all be wrong, so the pack is for whole months only
        raise PackDataError(f"{month.label} has not ended on the warehouse's as-of date ({as_of:%-d %b %Y}): "
                            f"the pack is monthly, so choose {default_month(as_of).label} or an earlier month")
    span = queries_maps.data_span(con, authorities.CODES)
    first = span["first_date"].iloc[0]
    if pd.notna(first) and month.end < pd.Timestamp(first).date():
        # its day is one incident's, and a board viewer may read this: the month, as the maps page
        # shows the board viewer the data span (only a month of k incidents), else no date
        shown = access.shown_as(access.BOARD_VIEWER, (), queries_maps.data_span, (authorities.CODES,), {},
                                span)["first_date"].iloc[0]
        raise PackDataError(f"{month.label} ends before the warehouse's first incident"
                            + (f" ({pd.Timestamp(shown):%B %Y}): choose a month from then on" if pd.notna(shown)
                               else ": choose a later month"))
    outlines = queries_maps.outlines(con)
    fresh = quality.source_freshness(con, month.end)   # the feeds' caveats and the registers' first records
    threshold, history, second_reports = _threshold(con, codes, month)
    headline, by_authority = _comparisons(con, codes, month)
    return PackData(
        month=month, codes=tuple(codes),
        build={"as_of": as_of, "load_id": build_row["load_id"], "built_at": build_row["built_at"]},
        headline=headline, by_authority=by_authority,
        trend=_trend(con, codes, month), hot_cells=_hot_cells(con, codes, month, outlines),
        outlines=outlines, repeats=_repeats(con, codes, month, as_of),
        concentration=_concentration(con, codes, month, outlines), threshold=threshold,
        threshold_history=history, sources=_sources(con, month, tuple(codes), fresh), rejects=quality.rejects_by_reason(con),
        cases=case_data(con, month, codes) if case_data else {}, second_reports=second_reports,
        first_date=pd.Timestamp(first).date() if pd.notna(first) else None,
        register_first=_register_first(fresh))


def _register_first(fresh: pd.DataFrame) -> dict:
    """Each case register's (kind's) first record's date, from the files loaded (`source_freshness`)."""
    firsts = fresh[fresh["kind"].isin(set(REGISTER_OF.values()))].groupby("kind")["first_date"].min().dropna()
    return {kind: pd.Timestamp(day).date() for kind, day in firsts.items()}
