"""The board pack's slides about ASB itself: cover, headline figures, authorities, trend,
hotspot map, repeat locations and concentration.

Each `slide_*` function adds one slide (one idea, titled with its message) to the deck from a
`Context` (the gathered PackData and the disclosure limit k) and puts the definitions in the
speaker notes. Figures come from insight.board_pack.data; wording from insight.board_pack.words; layout
from etl.report_slides. Incidents and places are not people, so only the headline's people
measures pass through disclosure control here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from etl.rules.authorities import CODES
from insight.access import roles as access
from insight.access.disclosure import SECONDARY, Group, cover_known, hidden_cells, protect_one, small_as_blank
from insight.board_pack import map_slide as report_map
from insight.board_pack import slides as rs
from insight.board_pack import words as w
from insight.board_pack.data import HOTSPOT_RESOLUTION, PEOPLE, REGISTER_OF, PackData, page_hides
from insight.charts.base import AUTHORITY_NAME_COLOURS
from insight.labels import numbered
from insight.queries import maps as queries_maps


@dataclass(frozen=True)
class Context:
    data: PackData
    k: int
    # what the pack could not do this time, for whoever makes it (pack.Pack.problems)
    problems: list[str] = field(default_factory=list)

    @property
    def scope(self) -> str:
        return "all nine authorities" if set(self.data.codes) == set(CODES) else w.names(self.data.names, 4, 9)

    def slide(self, deck, title: str, subtitle: str | None = None, notes: str = ""):
        """A new titled slide with the pack's footer and `notes` as speaker notes."""
        footer = f"ASB board pack · {self.data.month.label} · {self.scope} · {len(deck.slides) + 1}"
        slide = rs.add_slide(deck, title, subtitle, footer)
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
        return slide

    def person_count(self, value, hidden: bool = False) -> str:
        """A count of people (or incidents) as printed: '<k' when it is 1 to k-1, else SECONDARY
        where it is `hidden` besides (a page hides it, or it would give another away), else the number."""
        return protect_one(value, self.k) or (SECONDARY if hidden else w.num(value))

    def hidden(self, *values) -> bool:
        """Whether any of these counts of people or incidents is hidden ('<k'). The one test every
        change, rise or fall, percentage and significance flag of the pack passes: none is computed
        from a hidden count, since it would give the count back ("rose 267%" beside 11 says 3)."""
        return any(protect_one(v, self.k) is not None for v in values)

    def change_phrase(self, subject: str, current, baseline, versus: str) -> str | None:
        """words.change_phrase, or None when either count is hidden."""
        return None if self.hidden(current, baseline) else w.change_phrase(subject, current, baseline, versus)

    def significance(self, current, baseline) -> int:
        """words.significance, or 0 (no flag) when either count is hidden."""
        return 0 if self.hidden(current, baseline) else w.significance(current, baseline)


def slide_cover(deck, ctx: Context, made: dt.date) -> None:
    d = ctx.data
    slide = ctx.slide(deck, f"ASB and ASB Case Review: {d.month.label}",
                      f"Monthly board pack for {ctx.scope}")
    rs.text(slide, rs.box(0.5, 2.2, 12.33, 3.5), [
        f"Figures for 1–{d.month.end.day} {d.month.label}, compared with the month before and the "
        "same month a year earlier. Threshold figures are taken on the month's last day.",
        f"Data: warehouse build {d.build['load_id']} (as of {d.build['as_of']:%-d %B %Y}); pack made "
        f"{made:%-d %B %Y}.",
        (f"Disclosure control: {w.limit_rule(ctx.k)}, and a "
         f"cell marked \"*\" is hidden so that a small count cannot be worked out from a total; "
         "\"[c]\" is a count not shown where those marks together would tell it." if ctx.k > 1 else
         "Disclosure control is off (the disclosure limit is 1): every count is shown.")
        + " The pack holds no row about any person.",
    ], rs.BODY_PT + 2)


NO_DATA = "no data"  # a month before the warehouse's first incident


def slide_headline(deck, ctx: Context) -> None:
    d, h = ctx.data, ctx.data.headline
    month, prev, ly = d.month, d.month.shift(-1), d.month.shift(-12)
    inc = h.loc["incidents"]
    # a month before the warehouse's first incident holds no data, not no ASB: no change on it
    no_prev, no_year = d.before_data(prev), d.before_data(ly)
    incomplete = d.incomplete()
    if ctx.hidden(inc["current"], inc["previous"], inc["last_year"]) or any(page_hidden(inc)):
        # a percentage change between small counts would give them away
        title = f"ASB in {month.label}: counts under {ctx.k} are not shown"
        subtitle = f"{ctx.person_count(inc['current'], page_hidden(inc)[0])} incidents in {month.label}"
    elif no_prev:
        title = f"ASB in {month.label}: {w.num(inc['current'])} incidents; the data start this month"
        subtitle = "No earlier month holds data to compare with"
    elif incomplete:
        # a feed that sent nothing for the month is no fall in ASB (the caveats slide names it)
        title = f"ASB in {month.label}: {late_or_missing(len(incomplete))}, so the month's counts are not complete"
        subtitle = f"{w.num(inc['current'])} incidents received for {month.label}; the data caveats slide names the feeds"
    else:
        title = ctx.change_phrase("ASB", inc["current"], inc["previous"], "last month")
        year = (f"no data for {ly.start:%B %Y}" if no_year else
                ctx.change_phrase("it", inc["current"], inc["last_year"], f"{ly.start:%B %Y}"))
        subtitle = f"{w.num(inc['current'])} incidents in {month.label}; {year}"
    slide = ctx.slide(deck, title, subtitle, notes="\n".join(
        f"{row.label}: {row.definition}" for row in h.itertuples()) + "\n" + SIGNIFICANCE_NOTE)
    rows, emphasis, starred = [], {}, False
    for i, (measure, row) in enumerate(h.iterrows()):
        cells = [row["current"], row["previous"], row["last_year"]]
        on_page = page_hidden(row)
        # a register's measure from its own first record (no data before it, not none: REGISTER_OF)
        none_prev, none_year = d.before_data(prev, measure), d.before_data(ly, measure)
        if (measure in PEOPLE or measure == "incidents") and ctx.hidden(*cells) or any(on_page):
            shown = [NO_DATA if none else ctx.person_count(v, hide)
                     for v, none, hide in zip(cells, (False, none_prev, none_year), on_page, strict=True)]
            starred = starred or SECONDARY in shown
            rows.append([row["label"], shown[0], shown[1], "–", shown[2], "–"])
            continue
        # an incomplete month's change of the incident feeds' measures is printed, never flagged
        flag = not (incomplete and measure not in REGISTER_OF)
        on_month, dir_month = ("–", 0) if none_prev else w.change_cell(row["current"], row["previous"], flag)
        on_year, dir_year = ("–", 0) if none_year else w.change_cell(row["current"], row["last_year"], flag)
        # a month before the data holds no figure, not 0 (the red-team audit of 6 December 2026)
        rows.append([row["label"], w.num(row["current"]), NO_DATA if none_prev else w.num(row["previous"]),
                     on_month, NO_DATA if none_year else w.num(row["last_year"]), on_year])
        for column, direction in ((3, dir_month), (5, dir_year)):
            if direction:
                emphasis[(i, column)] = rs.RISE if direction > 0 else rs.FALL
    header = ["", month.start.strftime("%b %Y"), prev.start.strftime("%b %Y"), "change",
              ly.start.strftime("%b %Y"), "change"]
    rs.table(slide, rs.box(0.5, 1.9, 12.33, 3.5), header, rows, [3.25, 1.45, 1.45, 2.4, 1.45, 2.33],
             font_pt=17, emphasis=emphasis)
    rs.text(slide, rs.box(0.5, 5.6, 12.33, 1.2), [
        f"{w.UP} {w.DOWN} and colour: a change beyond normal variation (Poisson change Z = "
        "2(√this − √that), |Z| > 2). Other changes are within the month-to-month noise."
        + (f" None is flagged this month: {late_or_missing(len(incomplete))}." if incomplete else ""),
        *([f"{w.limit_rule(ctx.k, 'people or incidents', quoted=False).capitalize()}, with no change beside it, and is left "
           "out of the charts."] if ctx.k > 1 else []),
        *([f"{SECONDARY}: not shown, as the Overview page does not show it: read with the authorities' figures, it "
           f"would tell a count under {ctx.k}."] if starred else [])],
        rs.SMALL_PT + 2, rs.MUTED)


def page_hidden(row) -> list[bool]:
    """Whether the Overview hides each of a headline row's current, previous and last-year figures
    (data._page_hidden; a headline made without it hides none)."""
    return [bool(row.get(f"{when}_hidden", False)) for when in ("current", "previous", "last_year")]


def late_or_missing(n: int) -> str:
    """'1 incident feed is late or missing' / '3 incident feeds are late or missing'."""
    return f"{w.plural(n, 'incident feed')} {'is' if n == 1 else 'are'} late or missing"


SIGNIFICANCE_NOTE = ("A change is flagged only when the Poisson change Z = 2(sqrt(this) - sqrt(that)) is "
                     "beyond ±2, the rule the repeat-location flags use (etl.marts.hotspots.change_z).")


BAR_MONTHS = ("current", "previous", "last_year")


def authority_bars(frame: pd.DataFrame, k: int) -> tuple[dict[str, list], set[tuple[str, str]]]:
    """Slide 3's bars: each month's counts per authority with 1..k-1 blanked, and, since they add
    up to the selection's count that slides 2 and 4 print, one more (the smallest) where a hidden
    bar would be that count less the others (`disclosure.hidden_cells`). Returns the bars per month
    (None where hidden) and the hidden (authority, month) cells."""
    cells = {(n, m): frame.at[n, m] for n in frame.index for m in BAR_MONTHS}
    totals = {("total", m): frame[m].sum() for m in BAR_MONTHS}
    groups = [Group(("total", m), tuple((n, m) for n in frame.index)) for m in BAR_MONTHS]
    primary, secondary = hidden_cells({**cells, **totals}, groups, k, exempt=set(totals))
    # an authority's manager knows its own bars: knowing them must pin no other hidden one
    secondary = cover_known({**cells, **totals}, groups, primary, secondary, k,
                            [{(n, m) for m in BAR_MONTHS} for n in frame.index])
    hidden = (primary | secondary) - set(totals)
    return {m: [None if (n, m) in hidden else frame.at[n, m] for n in frame.index] for m in BAR_MONTHS}, hidden


def slide_authorities(deck, ctx: Context) -> None:
    d, frame = ctx.data, ctx.data.by_authority
    bars, hidden = authority_bars(frame, ctx.k)
    # no arrow, and no name in the title, for an authority whose count (this month or last) is hidden
    no_prev = d.before_data(d.month.shift(-1))   # no data then, not no ASB: no arrow
    # an authority whose feeds are late or missing for the month: its count is not complete, no arrow
    short = [n for n, r in frame.iterrows() if r.get("authority_code") and d.incomplete(r["authority_code"])]
    directions = {n: 0 if no_prev or n in short or {(n, "current"), (n, "previous")} & hidden
                  else ctx.significance(r.current, r.previous) for n, r in frame.iterrows()}
    rises = [n for n, v in directions.items() if v > 0]
    falls = [n for n, v in directions.items() if v < 0]
    of = len(frame)
    if rises and falls:
        title = f"ASB rose in {w.names(rises, 2, of)} and fell in {w.names(falls, 2, of)} on last month"
    elif rises or falls:
        title = f"ASB {'rose' if rises else 'fell'} on last month in {w.names(rises or falls, 3, of)}"
    elif no_prev:
        title = f"Incidents per authority in {d.month.label}: the data start this month"
    elif short:
        title = f"Incidents per authority in {d.month.label}: not complete for {w.names(short, 3, of)}"
    elif {m for _, m in hidden} & {"current", "previous"}:   # a hidden count may hide a change
        title = f"ASB per authority on last month: counts under {ctx.k} are not shown"
    else:
        title = "No authority's ASB changed beyond normal variation on last month"
    slide = ctx.slide(deck, title, f"Incidents per authority; {w.UP}{w.DOWN} marks a change on last "
                      "month beyond normal variation" + (f"; none for {w.names(short, 3, of)}, whose incident "
                                                          "feeds are late or missing" if short else ""),
                      notes=SIGNIFICANCE_NOTE)
    labels = [f"{n} {w.arrow(directions[n])}".strip() for n in frame.index]
    for key, shift in (("previous", -1), ("last_year", -12)):   # a month before the data: no bar, not 0
        if d.before_data(d.month.shift(shift)):
            bars[key] = [None] * len(frame.index)
    rs.bar_chart(slide, rs.BODY, labels, {
        d.month.label: bars["current"], d.month.shift(-1).label: bars["previous"],
        d.month.shift(-12).label: bars["last_year"]},
        [rs.SERIES["current"], rs.SERIES["previous"], rs.SERIES["last_year"]], font_pt=14)


def slide_trend(deck, ctx: Context) -> None:
    d, trend = ctx.data, ctx.data.trend
    current, year_before = trend["incidents"].iloc[-1], trend["incidents"].iloc[0]
    incomplete = d.incomplete()
    if incomplete:   # a feed that sent nothing for the month is no fall in ASB
        title = f"ASB per month: {d.month.label} is not complete ({late_or_missing(len(incomplete))})"
    elif d.before_data(d.month.shift(-12)):   # no data then, not no ASB
        title = f"ASB per month since the data start (none for {d.month.shift(-12).label})"
    else:
        title = (ctx.change_phrase(f"ASB in {d.month.label}", current, year_before, d.month.shift(-12).label)
                 or f"ASB in {d.month.label} and {d.month.shift(-12).label}: counts under {ctx.k} are not shown")
    slide = ctx.slide(deck, title, "Incidents per month over the last 13 months", notes=SIGNIFICANCE_NOTE + " ASB is seasonal: compare a month "
                      "with the same month a year earlier before reading a trend into it.")
    months = [pd.Timestamp(m).strftime("%b %y") for m in trend["month"]]
    values = small_as_blank(trend["incidents"], ctx.k)
    # a month that ended before the data start holds no point, not 0 (a flat line then a jump)
    values = [None if d.first_date and (pd.Timestamp(m) + pd.offsets.MonthEnd(0)).date() < d.first_date else v
              for m, v in zip(trend["month"], values, strict=True)]
    rs.line_chart(slide, rs.BODY, months, {"Incidents": values},
                  [rs.SERIES["current"]], label_points=(0, len(months) - 1))


def hot_cells_shown(cells: pd.DataFrame, codes: tuple[str, ...], k: int) -> tuple[pd.DataFrame, int]:
    """The significant cells as the Hotspots page shows them to a board viewer (the rule of
    insight.queries.maps.hotspot_cells: no cell of 1..k-1 incidents, no class computed from one),
    and how many hot cells that leaves out or shows without their class."""
    shown = access.shown_as(access.BOARD_VIEWER, (), queries_maps.hotspot_cells, (codes, HOTSPOT_RESOLUTION), {},
                            cells, k)
    return shown, int((cells["gi_class"] > 0).sum() - (shown["gi_class"] > 0).sum())


def hotspot_title(cells: pd.Series, month: str) -> str:
    """The map slide's title from the hot cells per authority (most first): '12 hot-spot cells in
    October, 7 of them in Derby', '... all of them in Derby', '1 hot-spot cell in October, in Derby'."""
    if cells.empty:
        return f"No significant ASB hot spots in {month}"
    total, most = int(cells.sum()), int(cells.iloc[0])
    where = (f"in {cells.index[0]}" if total == 1 else f"all of them in {cells.index[0]}" if most == total
             else f"{most:,} of them in {cells.index[0]}")
    return f"{w.plural(total, 'hot-spot cell')} in {month}, {where}"


def slide_map(deck, ctx: Context) -> None:
    d = ctx.data
    cells, withheld = hot_cells_shown(d.hot_cells, d.codes, ctx.k)
    hot = cells[cells["gi_class"] > 0]
    per = hot.groupby("authority_code").agg(cells=("h3_cell", "size"), incidents=("incidents", "sum"))
    per.index = per.index.map(dict(zip(d.outlines["authority_code"], d.outlines["authority_name"], strict=True)))
    per = per.sort_values(["cells", "incidents"], ascending=False)
    title = hotspot_title(per["cells"], d.month.name)
    subtitle = "Getis-Ord Gi* of the month's incidents per H3 cell (about 0.7 km²), false-discovery corrected"
    slide = ctx.slide(deck, title, subtitle, notes=MAP_NOTE)
    try:
        png = report_map.to_png(report_map.hotspot_figure(cells, d.outlines, d.codes))
        shape = rs.picture(slide, png, rs.box(0.3, 1.75, 7.0, 5.15),
                           alt="Map of the authorities' outlines with the month's significant ASB hot and cold "
                               "spots as hexagons; the table beside it gives the figures")
        left = (shape.left + shape.width) / 914400 + 0.3
    except report_map.MapPictureError as exc:   # the figures beside it stand; the pack says what is missing
        ctx.problems.append(f"the hot-spot map was not drawn ({exc}): make the pack again for the map")
        rs.text(slide, rs.box(0.3, 1.9, 6.6, 4.5), ["The map could not be drawn when this pack was made.",
                                                    "The table gives the month's hot spots."], rs.BODY_PT, rs.MUTED)
        left = 7.3
    rows = [[name, w.num(r.cells), protect_one(r.incidents, ctx.k) or w.num(r.incidents)]
            for name, r in per.head(9).iterrows()]
    rs.table(slide, rs.box(left, 1.9, 12.83 - left, 4.5), ["Authority", "hot cells", "incidents in them"],
             rows or [["none", "0", "0"]], [(12.83 - left) * f for f in (0.48, 0.22, 0.30)], font_pt=16,
             row_height=MAP_ROW)
    # under the table (the subtitle's one line cannot hold them): what the map leaves out, and why a
    # hot cell can hold no incident of its own
    notes = [f"{withheld:,} more hot {'cell is' if withheld == 1 else 'cells are'} not drawn: next to a cell of "
             f"under {ctx.k} incidents, {'its' if withheld == 1 else 'their'} class would mark it."] if withheld else []
    if (per["incidents"] < per["cells"]).any():
        notes.append("A hot cell may hold few or no incidents itself: it is hot for its neighbours.")
    if notes:
        top = 1.9 + MAP_ROW * (len(rows or [1]) + 1) + 0.15
        rs.text(slide, rs.box(left, top, 12.83 - left, 6.9 - top), notes, rs.SMALL_PT, rs.MUTED)


MAP_ROW = 0.4   # the hot-spot table's row height (in): ten rows leave room for its notes above the footer
MAP_NOTE = ("Hot spots: Getis-Ord Gi* over every H3 resolution-8 cell of the nine districts (zero "
            "counts included), the cell and its ring of neighbours, 999 permutations, classes at "
            "90/95/99% after the false-discovery-rate correction (the method of mart_hotspot_cells, "
            "here on the month's incidents). A hot cell may hold few incidents itself when its "
            "neighbours hold many. As on the Hotspots page for a viewer without person-level rights, a "
            "cell of 1 to k-1 incidents is not drawn, nor is any class computed from one (a cell next to "
            "it): a ring of hot cells would mark the place. The base map is the authorities' outlines: "
            "no online map is used.")


def _place(row, k: int) -> str:
    # A location description is printed only where at least k different people reported: a place
    # with fewer reporters may be a victim's home.
    where = row.main_location if row.distinct_reporters >= k and row.main_location else "a street-level cell"
    return f"{where}, {row.authority_name}"


def repeat_counts(top: pd.DataFrame, k: int) -> tuple[list, list]:
    """The busiest places' last 90 days and the 90 days before as the slide charts them: None for
    a count of 1 to k-1, or one Hotspots hides for the same date (beside its 180 days, the other
    would tell it: `data.mark_page_hidden`)."""
    return tuple([None if hide else v for v, hide in zip(small_as_blank(top[c], k), page_hides(top, c), strict=True)]
                 for c in ("incidents_90d", "incidents_prev_90d"))


def slide_repeats(deck, ctx: Context) -> None:
    d, top = ctx.data, ctx.data.repeats
    # a flag (or a place counted as rising) beside a hidden count would say what it is: Z > 2 over
    # 0 before says 2 to 4 now; so no flag when either 90-day count is hidden
    now, before = repeat_counts(top, ctx.k)
    hidden = [v is None or b is None for v, b in zip(now, before, strict=True)]
    top = top.assign(changed=top["changed"].fillna(False).astype(bool) & ~pd.Series(hidden, index=top.index,
                                                                                      dtype=bool))
    # the 90 days before the last 90 (from 179 days before the month's end) not all after the
    # warehouse's first incident: what is missing there says the data start, not that ASB rose, so
    # no place is flagged (254 against 9 from two days of data: the red-team audit of 6 December 2026)
    unknown_before = d.first_date is not None and d.first_date > d.month.end - dt.timedelta(days=179)
    if unknown_before:
        top = top.assign(changed=False)
    rising = top[top["changed"] & (top["change_z"] > 0)]
    if top.empty:
        title = f"No place had ASB in the year to {d.month.end:%-d %b %Y}"
    elif unknown_before:
        title = f"The {len(top)} busiest places in the year to {d.month.end:%-d %b %Y}"
    elif len(rising):
        title = f"{len(rising)} of the {len(top)} busiest places {'is' if len(rising) == 1 else 'are'} rising significantly"
    else:
        falling = int((top["changed"] & (top["change_z"] < 0)).sum())
        title = f"None of the {len(top)} busiest places is rising significantly" + (
            f"; {falling} {'is' if falling == 1 else 'are'} falling" if falling else "")
    slide = ctx.slide(deck, title, f"Places (about 0.015 km²) with most ASB, year to {d.month.end:%-d %b %Y}: "
                      "last 90 days against the 90 before; "
                      + ("data start too late to flag a change" if unknown_before else f"{w.UP}{w.DOWN}: significant"),
                      notes=SIGNIFICANCE_NOTE + " A place is named only when at least "
                      f"{ctx.k} different people reported there.")
    # two places of one name are told apart (the UX audit: "Alleyway behind Sherwood Street" twice)
    names = numbered(pd.Series([_place(r, ctx.k) for r in top.itertuples()], dtype=object))
    labels = [f"{name} {w.arrow(int(r.changed) * (1 if r.change_z > 0 else -1))}".strip()
              for name, r in zip(names, top.itertuples(), strict=True)]
    rs.bar_chart(slide, rs.BODY, labels, {"last 90 days": now, "the 90 days before": before},
                 [rs.SERIES["current"], rs.SERIES["previous"]], font_pt=14)


def slide_concentration(deck, ctx: Context) -> None:
    d, conc = ctx.data, ctx.data.concentration
    total = conc[conc["authority_code"] == "all"]
    share = total["places_for_50pct"].iloc[0] if not total.empty else float("nan")
    located = int(total["incidents"].iloc[0]) if not total.empty else 0
    everything = d.headline.loc["incidents", "current"] if "incidents" in d.headline.index else located
    # the located incidents alone have a place: said when they are not all of the month's
    what = f"{d.month.name}'s ASB" if located >= everything else f"{d.month.name}'s located ASB"
    # both counts printed tell the incidents with no place: not when those are 1 to k-1 (the roles
    # audit's S3), nor beside a month's count the Overview hides (the headline's `current_hidden`)
    hidden_total = "incidents" in d.headline.index and page_hidden(d.headline.loc["incidents"])[0]
    told = ("" if located >= everything
            else f"; all but fewer than {ctx.k} had a place" if everything - located < ctx.k
            else "; not every incident had a place" if hidden_total
            else f"; {ctx.person_count(located)} of {ctx.person_count(everything)} had a place")
    subtitle = ("Share of places (cells of about 0.015 km² with an incident in the month) holding half its incidents"
                + told)
    if pd.notna(share) and ctx.hidden(located):   # a spread of fewer than k incidents says what they are
        title = f"Fewer than {ctx.k} located incidents in {d.month.name}: how they spread is not shown"
    elif pd.notna(share):
        places = round(share * total["places"].iloc[0])
        title = f"Half of {what} happened in {w.plural(places, 'place')} ({w.share(share)} of them)"
    else:
        title = f"No located incidents in {d.month.name}"
    slide = ctx.slide(deck, title, subtitle, notes="Concentration: cells sorted busiest "
                      "first; the smallest share of them holding 50% of the located incidents.")
    rows = conc.sort_values("authority_code", key=lambda s: s == "all")
    names = rows["authority_name"].tolist()
    colours = [AUTHORITY_NAME_COLOURS.get(n, rs.INK) for n in names]
    shares = [None if ctx.hidden(n) else v for n, v in zip(rows["incidents"], rows["places_for_50pct"], strict=True)]
    rs.bar_chart(slide, rs.BODY, names, {"Share of places": shares},
                 [rs.SERIES["current"]], number_format="0.00%", point_colours=colours, font_pt=14)
