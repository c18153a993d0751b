"""The board pack's slides about people and about the data: people and places near or at the
Community Trigger threshold, people newly eligible, data caveats and the presenter's commentary.

Threshold figures are counts only (never a row per person) and pass through disclosure control:
a per-authority table of people with its total row is protected with secondary suppression
(insight.access.disclosure.protect), a lone total with primary suppression. Community-route
clusters are places, not people, and are shown as they are. The threshold slide also gives the
month's second reports (each one person's) as a lone count, and the share of them explained in
time only when it rests on k or more and its number of second reports is not printed
(disclosure.share_or_none).
"""

from __future__ import annotations

import re

import pandas as pd

from insight import glossary, labels
from insight.access.disclosure import Protected, protect, protect_one, share_or_none
from insight.board_pack import slides as rs
from insight.board_pack import words as w
from insight.board_pack.content import Context
from insight.board_pack.data import page_hides
from insight.charts.base import OKABE_ITO
from insight.charts.threshold import MET_COLOUR, NEAR_MISS_COLOUR, NEWLY_MET_COLOUR
from insight.queries.quality import LATE_DAYS

# the threshold slide's people, named as on the threshold page (insight/glossary.py)
THRESHOLD_COLUMNS = {c: glossary.name(c) for c in ("near_miss_people", "met_people", "met_without_application_people")}
THRESHOLD_COLOURS = [NEAR_MISS_COLOUR, MET_COLOUR, NEWLY_MET_COLOUR]
TOTAL = "All selected"
CAVEAT_ROWS = 8  # incident feeds listed on the caveats slide
MET_WITH_APPLICATION = "met_with_application_people"  # met less met without one: never printed
COMMENTARY_NAME = "Commentary"
COMMENTARY_PROMPT = "Presenter: type the month's commentary here."


def threshold_table(ctx: Context) -> Protected:
    """The per-authority people counts at the month end with the total row, protected. Met people
    are those without an application and those with one: the latter, never printed, is a count a
    reader subtracts (72 - 71 = 1 in Derbyshire Dales: the red-team audit of 6 December 2026)."""
    threshold = ctx.data.threshold
    frame = threshold[list(THRESHOLD_COLUMNS)].astype(float)
    frame[MET_WITH_APPLICATION] = frame["met_people"] - frame["met_without_application_people"]
    # and every count the Threshold page hides for the same date, from a board viewer or a manager
    on_page = [(row, c) for c in THRESHOLD_COLUMNS for row, hides in page_hides(threshold, c).items() if hides]
    return protect(frame, [*THRESHOLD_COLUMNS, MET_WITH_APPLICATION], ctx.k, total_row=TOTAL,
                   column_totals={"met_people": ("met_without_application_people", MET_WITH_APPLICATION)},
                   known_rows=[r for r in frame.index if r != TOTAL],   # each authority's manager knows its row
                   hide=on_page)


def hidden_note(table: Protected, rows: list[str]) -> str:
    """The hidden cells in words: a blank bar says nothing, so the slide says what is there."""
    cells = [f"{row}, {label.lower()} {table.text(row, column)}" for row in rows
             for column, label in THRESHOLD_COLUMNS.items() if table.is_hidden(row, column)]
    return ("Not drawn (hidden counts): " + "; ".join(cells) + ".") if cells else ""


def slide_threshold(deck, ctx: Context) -> None:
    d, table = ctx.data, threshold_table(ctx)
    near = table.text(TOTAL, "near_miss_people")
    # a title never opens on a mark: "*" or "[c]" (a cover) says the count is not shown
    title = (f"Fewer than {ctx.k} people were" if near.startswith("<") else "1 person was" if near == "1"
             else f"{near} people were" if table.is_shown(TOTAL, "near_miss_people") else None)
    title = (f"{title} one complaint short of a case review on {d.month.end:%-d %B}" if title else
             f"People one complaint short of a case review on {d.month.end:%-d %B}: their number is not shown")
    slide = ctx.slide(deck, title,
                      f"People near and at the victim threshold on {d.month.end:%-d %b %Y}, per authority "
                      "(counts only)", notes=THRESHOLD_NOTE)
    rows = [r for r in table.values.index if r != TOTAL]
    shown = table.shown()
    note = hidden_note(table, rows)
    where = rs.box(0.5, 1.75, 7.6, 4.45 if note else 5.1)
    rs.bar_chart(slide, where, rows, {label: shown.loc[rows, column].tolist()
                                      for column, label in THRESHOLD_COLUMNS.items()},
                 THRESHOLD_COLOURS, font_pt=13)
    if note:
        rs.text(slide, rs.box(0.5, 6.25, 7.6, 0.6), [note], rs.SMALL_PT + 1, rs.INK, name="Hidden counts")
    clusters = d.threshold.loc[TOTAL, ["near_miss_clusters", "met_clusters"]]
    lines = [[label, table.text(TOTAL, column)] for column, label in THRESHOLD_COLUMNS.items()]
    if d.threshold["community_route"].any():
        lines += [[glossary.name(c), w.num(clusters[c])] for c in ("near_miss_clusters", "met_clusters")]
    lines += second_report_lines(ctx)
    rs.table(slide, rs.box(8.4, 1.75, 4.43, 0.4 * (len(lines) + 1)), ["All selected", "count"], lines,
             [3.13, 1.3], font_pt=14, row_height=0.4)
    rs.text(slide, rs.box(8.4, 2.0 + 0.4 * (len(lines) + 1), 4.43, 1.5), [
        "Met, no application: candidates for an automatic case review. Second reports: the case review "
        "must be explained to the victim; in time = within the rule's working days, of those whose limit "
        "had passed by the month's end.",
        w.marks_key(ctx.k, "people", table.withheld_note())],
        rs.SMALL_PT, rs.MUTED)


def second_report_lines(ctx: Context) -> list[list[str]]:
    """[label, value] rows for the threshold slide: second reports made in the month (a count of
    people) and the share explained in time (explained in time / limit passed by the month end);
    '–' where the share would rest on fewer than k second reports."""
    total = ctx.data.second_reports.loc[TOTAL]
    # the slide prints the number of second reports: when every one's limit has passed, that number is
    # the share's whole, and the share must then keep each side (in time, not) at 0 or k or more
    share = share_or_none(total["explained_in_time"], total["limit_passed"], ctx.k,
                          whole_is_shown=bool(total["limit_passed"] == total["events"]))
    return [[f"Second reports in {ctx.data.month.name}", ctx.person_count(total["events"])],
            ["Explained in time", "–" if share is None else f"{share:.0%}"]]


THRESHOLD_NOTE = ("Counts from the threshold engine (mart_threshold_status, mart_community_status) on the "
                  "month's last day, with the rule in force for each authority. Community clusters are "
                  "places (same H3 cell and ASB category) one or two reporters short of, or at, the "
                  "community threshold, where the authority uses that route. Second reports "
                  "(mart_second_reports, statutory guidance July 2025): a qualifying complaint with exactly "
                  "one earlier one in the window; explained in time = explained within the rule's "
                  "sla_explain_days working days, as a share of the month's second reports whose limit had "
                  "passed by its last day. Only partners that send review_explained_date can show "
                  "explanations.")


def slide_newly_eligible(deck, ctx: Context) -> None:
    d, history = ctx.data, ctx.data.threshold_history
    if history.empty:
        ctx.slide(deck, "No threshold history up to this month")
        return
    series = {f"{glossary.name('near_miss_people')} (month end)": "near_miss_people",
              f"{glossary.name('met_people')} (month end)": "met_people",
              f"{glossary.name('newly_met_people')} in the month": "newly_met_people"}
    # a month's figure of 1 to k-1, or one the Threshold page hides (all nine less a manager's own
    # authority would tell the other eight's: the roles audit of 7 December 2026), is not drawn
    values = {label: [None if protect_one(v, ctx.k) or hides else v
                      for v, hides in zip(history[column], page_hides(history, column), strict=True)]
              for label, column in series.items()}
    newly, drawn = history["newly_met_people"].iloc[-1], values[next(reversed(series))]
    if drawn[-1] is None and not ctx.hidden(newly):
        title = f"People who became eligible for a case review in {d.month.name}: their number is not shown"
    elif ctx.person_count(newly).startswith("<"):
        title = f"Fewer than {ctx.k} people became eligible for a case review in {d.month.name}"
    else:
        title = f"{w.plural(int(newly), 'person', 'people')} became eligible for a case review in {d.month.name}"
        if len(history) > 1 and drawn[-2] is not None:
            title = (f"{w.plural(int(newly), 'person', 'people')} became eligible in {d.month.name}, "
                     f"against {w.num(history['newly_met_people'].iloc[-2])} in {d.month.shift(-1).name}")
    slide = ctx.slide(deck, title, "People near and at the threshold at each month end, and people who "
                      "crossed it in the month", notes=THRESHOLD_NOTE)
    months = [pd.Timestamp(m).strftime("%b %y") for m in history["month_end"]]
    rs.line_chart(slide, rs.BODY, months, values, THRESHOLD_COLOURS, label_points=(len(months) - 1,))


def slide_caveats(deck, ctx: Context) -> None:
    d = ctx.data
    rejected = int(d.rejects["rows_rejected"].sum()) if not d.rejects.empty else 0
    problems = d.sources
    feeds = (f"{w.plural(len(problems), 'incident feed')} late or missing for {d.month.name}"
             if len(problems) else f"Every incident feed is complete for {d.month.name}")
    slide = ctx.slide(deck, f"{feeds}; {w.plural(rejected, 'row')} rejected",
                      "Data caveats: sources late, missing or with empty months; rows the build refused "
                      "(all months)", notes=CAVEATS_NOTE)
    if len(problems):
        rows = [[labels.source_name(r.source), w.num(r.rows_in_month),
                 # the month of the last record (its day is one incident's), among k rows or none
                 f"{r.last_date:%b %Y}" if r.last_date is not None and r.last_month_rows >= ctx.k else "–",
                 r.problem] for r in problems.head(CAVEAT_ROWS).itertuples()]
        if len(problems) > CAVEAT_ROWS:   # the title counts them all: the table says where the rest are
            rows.append([f"and {len(problems) - CAVEAT_ROWS} more: the Data quality page lists them", "", "", ""])
        rs.table(slide, rs.box(0.5, 1.9, 7.6, 4.5), ["Source", "rows", "last record (month)", "problem"], rows,
                 [2.6, 0.9, 1.6, 2.5], font_pt=13, align_right_from=1)
    else:
        rs.text(slide, rs.box(0.5, 1.9, 7.4, 2.0), [
            f"Every incident feed has rows in {d.month.label}, runs to within {LATE_DAYS} days of its end and has "
            "no empty month in the year before.",
            "Case review registers and the appeals register are small, so an empty month there is not "
            "a gap."], rs.BODY_PT + 2)
    if rejected:
        reasons = d.rejects.groupby("reason_code")["rows_rejected"].sum().sort_values(ascending=False)
        rs.bar_chart(slide, rs.RIGHT, [labels.word("reason_code", r) for r in reasons.index],
                     {"rows rejected": reasons.tolist()},
                     [OKABE_ITO[5]], font_pt=12)


CAVEATS_NOTE = ("Late: an incident feed whose last record is more than 7 days before the month's end; the "
                "last record is given by its month, and only when its source sent at least the "
                "disclosure limit of rows that month (its day is one incident's). "
                "Missing: no rows for the month. Empty months: months inside the source's span with no "
                "rows (mart_source_months). Rejected rows are rows the build refused, with a reason; "
                "the Data quality page lists them.")


# What pasted text may carry and a slide must not: ANSI colour codes, control characters (python-pptx
# writes them as `_x0000_`) and the bidirectional embeddings, overrides and isolates that make text
# read in another order than it is stored (tabs and line breaks are kept; splitlines takes the latter).
_UNPRINTABLE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_commentary(text: str) -> list[str]:
    """The presenter's commentary as the slide's paragraphs, without what a slide must not carry."""
    return [_UNPRINTABLE.sub("", line) for line in (text or "").splitlines()]


def slide_commentary(deck, ctx: Context, commentary: str = "") -> None:
    slide = ctx.slide(deck, f"Commentary on {ctx.data.month.label}",
                      notes="The text box is editable: the presenter's commentary for the board.")
    paragraphs = clean_commentary(commentary) or [COMMENTARY_PROMPT]
    rs.text(slide, rs.box(0.5, 1.75, 12.33, 5.0), paragraphs, rs.BODY_PT + 4, name=COMMENTARY_NAME)
