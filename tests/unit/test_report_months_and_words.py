"""The board pack's months, dates and figures in words, on hand-made frames (no warehouse):

- only whole months are offered (a month not ended on the as-of date is no monthly figure);
- "today" is the date in England, whatever the server's own time zone;
- medians are printed as the pages print them (0.5 stays 0.5, not 0 by half-to-even rounding);
- no change, rise, fall or significance flag is computed from a count the pack hides;
- the threshold page's "Over time" chart labels each month with its own name;
- the Parquet export's README says which date the data is as of, not that it was built then.
"""

from __future__ import annotations

import datetime as dt
import types
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from insight.board_pack import cases as report_cases
from insight.board_pack import content as report_content
from insight.board_pack import slides as rs
from insight.board_pack import words as w
from insight.board_pack.data import Month, PackData, default_month, month_options
from insight.charts import threshold as charts_threshold

D = dt.date
UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")


# --- whole months only -----------------------------------------------------------------------------

@pytest.mark.parametrize("as_of, newest", [
    (D(2026, 7, 20), "2026-06"),   # July has not ended: June is the latest whole month
    (D(2026, 7, 31), "2026-07"),   # the month's last day: the month is whole
    (D(2026, 7, 1), "2026-06"),
    (D(2024, 2, 29), "2024-02"),   # leap day
    (D(2025, 2, 28), "2025-02"),
])
def test__month_options__only_months_ended_by_the_as_of_date(as_of, newest):
    options = month_options(D(2023, 5, 14), as_of)
    assert options[0].key == newest == default_month(as_of).key
    assert all(m.end <= as_of for m in options)
    assert options[-1].key == "2023-05" and len(options) == len({m.key for m in options})


def test__month_options__no_whole_month_yet_is_an_empty_list():
    assert month_options(D(2026, 7, 3), D(2026, 7, 20)) == []
    assert [m.key for m in month_options(None, D(2026, 7, 31))] == ["2026-07"]


# --- today in England --------------------------------------------------------------------------------

class _Frozen(dt.datetime):
    """A clock stopped at 23:30 UTC on 31 July 2026: 00:30 BST on 1 August in England."""

    @classmethod
    def now(cls, tz=None):
        instant = dt.datetime(2026, 7, 31, 23, 30, tzinfo=UTC)
        return instant.astimezone(tz) if tz else instant.replace(tzinfo=None)  # a UTC server's clock


def test__london_today__is_the_date_in_england_not_the_server_s(monkeypatch):
    from etl.rules import periods

    monkeypatch.setattr(periods, "dt", types.SimpleNamespace(datetime=_Frozen, date=dt.date))
    assert periods.london_today() == D(2026, 8, 1)


def test__returns_freeze__published_date_defaults_when_the_command_runs():
    """The default is worked out by cmd_freeze (London's date), not once when the parser is built."""
    import argparse

    from insight import returns_cli

    parser = argparse.ArgumentParser()
    returns_cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(["returns", "freeze", "--year", "2024/25", "--out", "x.csv"])
    assert args.published_date is None


# --- hand-made pack data -----------------------------------------------------------------------------

def _context(k: int, **data) -> report_content.Context:
    fields = {"month": Month.parse("2024-05"), "codes": ("E07000036", "E06000015"), "names": ["Erewash", "Derby"],
              "cases": {}, "first_date": None, "before_data": lambda month, measure=None: False,
              "incomplete": lambda code=None: []}
    frame = types.SimpleNamespace(**{**fields, **data})
    return report_content.Context(frame, k)


def _texts(slide) -> list[str]:
    return [s.text_frame.text for s in slide.shapes if s.has_text_frame]


def _table(slide) -> list[list[str]]:
    table = next(s.table for s in slide.shapes if s.has_table)
    return [[c.text for c in row.cells] for row in table.rows]


def _title(deck) -> str:
    return deck.slides[-1].shapes.title.text_frame.text


def _turnaround(median_ack: float, median_decision: float) -> pd.DataFrame:
    rows = []
    for name in ("Erewash", "All selected"):
        for stage, median in (("acknowledge", median_ack), ("decision", median_decision), ("total", 12.0)):
            rows.append({"authority_name": name, "stage": stage, "finished": 4, "within_sla": 4,
                         "limits_in_force": "5", "median_working_days": median})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("median, shown", [(0.5, "0.5"), (2.5, "2.5"), (12.5, "12.5"), (3.0, "3")])
def test__turnaround__medians_as_the_page_prints_them(median, shown):
    ctx = _context(1)
    ctx.data.cases["turnaround"] = _turnaround(median, 1.0)
    deck = rs.new_deck()
    report_cases.slide_turnaround(deck, ctx)
    lines = {row[0]: row for row in _table(deck.slides[0])}
    assert lines["Acknowledgement"][3] == shown, lines


def _appeals(median: float) -> pd.DataFrame:
    row = {"authority_name": "All selected", "upheld": 2, "partially_upheld": 1, "not_upheld": 3,
           "withdrawn": 0, "pending": 0, "decided": 6, "appeals": 6, "overdue": 0,
           "median_decision_working_days": median}
    return pd.DataFrame([row])


@pytest.mark.parametrize("median, shown", [(0.5, "0.5"), (2.5, "2.5"), (14.0, "14")])
def test__appeals__median_as_the_page_prints_it(median, shown):
    ctx = _context(1)
    ctx.data.cases.update(appeals=_appeals(median), appeal_types=pd.DataFrame(
        {"review_type": ["appeal"], "cases": [6]}))
    deck = rs.new_deck()
    report_cases.slide_appeals(deck, ctx)
    lines = dict(_table(deck.slides[0]))
    assert lines["Median days per appeal"] == shown, lines


# --- no change from a hidden count ---------------------------------------------------------------------

def _trend(first: int, last: int) -> pd.DataFrame:
    months = pd.date_range("2023-05-01", periods=13, freq="MS")
    return pd.DataFrame({"month": months, "incidents": [first, *[8] * 11, last]})


@pytest.mark.parametrize("first, last", [(3, 11), (11, 3), (0, 4)])
def test__trend__no_change_from_a_hidden_count(first, last):
    """May 2023's 3 incidents are printed '<5' and left off the chart; "rose 267%" would give them
    back (11 / 3.67 = 3)."""
    deck = rs.new_deck()
    report_content.slide_trend(deck, _context(5, trend=_trend(first, last)))
    title = _title(deck)
    assert "%" not in title and not any(v in title for v in ("rose", "fell", "about the same")), title
    assert "not shown" in title


def test__trend__a_change_between_shown_counts_is_still_said():
    deck = rs.new_deck()
    report_content.slide_trend(deck, _context(5, trend=_trend(30, 110)))
    assert _title(deck) == "ASB in May 2024 rose 267% compared with May 2023"


def test__authorities__no_flag_and_no_name_from_a_hidden_count():
    """Derby 0 -> 4 is Z = 4, a significant rise, but 4 is printed '<5': an arrow or "ASB rose in
    Derby" would say it is 2 to 4."""
    frame = pd.DataFrame({"current": [4.0, 40.0], "previous": [0.0, 38.0], "last_year": [6.0, 41.0]},
                         index=pd.Index(["Derby", "Erewash"], name="authority_name"))
    deck = rs.new_deck()
    report_content.slide_authorities(deck, _context(5, by_authority=frame))
    title = _title(deck)
    assert "Derby" not in title and "rose" not in title, title
    chart = next(s.chart for s in deck.slides[0].shapes if s.has_chart)
    assert list(chart.plots[0].categories) == ["Derby", "Erewash"]


def test__authorities__a_significant_change_between_shown_counts_is_still_flagged():
    frame = pd.DataFrame({"current": [60.0, 40.0], "previous": [20.0, 38.0], "last_year": [6.0, 41.0]},
                         index=pd.Index(["Derby", "Erewash"], name="authority_name"))
    deck = rs.new_deck()
    report_content.slide_authorities(deck, _context(5, by_authority=frame))
    assert _title(deck) == "ASB rose on last month in Derby"


def test__turnaround__title_rate_not_from_a_hidden_side():
    """6 decisions shown beside the rate, 5 in time: "83%" would give the 1 late decision back (the
    table leaves that rate out; the title must too)."""
    summary = _turnaround(1.0, 3.0).assign(finished=6, within_sla=5)
    ctx = _context(5)
    ctx.data.cases["turnaround"] = summary
    deck = rs.new_deck()
    report_cases.slide_turnaround(deck, ctx)
    assert "%" not in _title(deck), _title(deck)
    lines = {row[0]: row for row in _table(deck.slides[0])}
    assert lines["Threshold decision"][1:3] == ["6", "–"]


def _late(*codes: str):
    """PackData.incomplete of a pack whose one feed (Derby's council) sent nothing for the month."""
    return lambda code=None: ["derby_council"] if code is None or code in codes else []


def _headline(current: float, previous: float, last_year: float) -> pd.DataFrame:
    return pd.DataFrame({"label": ["Incidents"], "definition": ["x"], "current": [current],
                         "previous": [previous], "last_year": [last_year]},
                        index=pd.Index(["incidents"], name="measure"))


def test__headline__a_month_whose_feed_is_missing_is_no_fall():
    """A pack for a month one feed sent nothing for: 0 against 5,859 is no "fell 100%" (the build
    has not got the month's data), the title says the counts are not complete, no arrow or colour."""
    deck = rs.new_deck()
    report_content.slide_headline(deck, _context(5, headline=_headline(0, 5859, 5600), incomplete=_late("E06000015")))
    title = _title(deck)
    assert title == ("ASB in May 2024: 1 incident feed is late or missing, so the month's counts are not "
                     "complete"), title
    row = _table(deck.slides[0])[1]
    assert row[3] == "−5,859 (−100%)" and row[5] == "−5,600 (−100%)", row   # printed, never flagged ▼
    assert any("None is flagged this month: 1 incident feed is late or missing" in t for t in _texts(deck.slides[0]))
    # the same figures with every feed complete: a fall, flagged
    deck = rs.new_deck()
    report_content.slide_headline(deck, _context(5, headline=_headline(0, 5859, 5600)))
    assert _title(deck) == "ASB fell 100% on last month" and _table(deck.slides[0])[1][3].endswith("▼")


def test__authorities__no_arrow_for_an_authority_whose_feed_is_missing():
    frame = pd.DataFrame({"authority_code": ["E06000015", "E07000036"], "current": [0.0, 90.0],
                          "previous": [60.0, 40.0], "last_year": [61.0, 41.0]},
                         index=pd.Index(["Derby", "Erewash"], name="authority_name"))
    deck = rs.new_deck()
    report_content.slide_authorities(deck, _context(5, by_authority=frame, incomplete=_late("E06000015")))
    assert _title(deck) == "ASB rose on last month in Erewash", _title(deck)
    chart = next(s.chart for s in deck.slides[0].shapes if s.has_chart)
    assert list(chart.plots[0].categories) == ["Derby", f"Erewash {w.UP}"]
    assert any("none for Derby, whose incident feeds are late or missing" in t for t in _texts(deck.slides[0]))
    frame.loc["Erewash", "current"] = 41.0   # no other change: the title says why Derby has no arrow
    deck = rs.new_deck()
    report_content.slide_authorities(deck, _context(5, by_authority=frame, incomplete=_late("E06000015")))
    assert _title(deck) == "Incidents per authority in May 2024: not complete for Derby"


def test__trend__a_month_whose_feed_is_missing_is_no_fall():
    deck = rs.new_deck()
    report_content.slide_trend(deck, _context(5, trend=_trend(110, 0), incomplete=_late("E06000015")))
    assert _title(deck) == "ASB per month: May 2024 is not complete (1 incident feed is late or missing)"


def test__before_data__a_register_s_measures_start_with_its_first_record():
    """The applications register starts a month after the incidents: April 2024 holds incidents but
    no register yet, so its applications are no data, not 0 (never "8 against 0, new")."""
    data = types.SimpleNamespace(first_date=D(2024, 3, 5), register_first={"applications": D(2024, 4, 2)})
    april, march = Month.parse("2024-04"), Month.parse("2024-03")
    assert not PackData.before_data(data, march) and not PackData.before_data(data, march, "incidents")
    assert PackData.before_data(data, march, "applications") and PackData.before_data(data, march, "threshold_met")
    assert not PackData.before_data(data, april, "applications")
    assert not PackData.before_data(data, march, "appeals")     # no appeals register: the incidents' start
    assert PackData.before_data(data, Month.parse("2024-02"), "appeals")


def test__headline__a_register_month_before_its_data_is_no_data():
    headline = pd.DataFrame({"label": ["ASB incidents", "Applications received"], "definition": ["x", "y"],
                             "current": [900.0, 8.0], "previous": [850.0, 0.0], "last_year": [0.0, 0.0]},
                            index=pd.Index(["incidents", "applications"], name="measure"))
    before = lambda month, measure=None: month.key == "2023-05" or (measure == "applications" and month.key <= "2024-04")  # noqa: E731
    deck = rs.new_deck()
    report_content.slide_headline(deck, _context(5, headline=headline, before_data=before))
    rows = {r[0]: r for r in _table(deck.slides[0])}
    assert rows["ASB incidents"][2:4] == ["850", "+50 (+6%)"], rows
    assert rows["Applications received"][2:] == ["no data", "–", "no data", "–"], rows


def test__headline__protected_change_is_unchanged():
    """The headline already refused a change from a hidden count: it still does."""
    headline = pd.DataFrame({"label": ["Incidents"], "definition": ["x"], "current": [11.0], "previous": [9.0],
                             "last_year": [3.0]}, index=pd.Index(["incidents"], name="measure"))
    deck = rs.new_deck()
    report_content.slide_headline(deck, _context(5, headline=headline))
    assert _title(deck) == "ASB in May 2024: counts under 5 are not shown"
    assert _table(deck.slides[0])[1] == ["Incidents", "11", "9", "–", "<5", "–"]


# --- the threshold page's "Over time" ------------------------------------------------------------------

def _history() -> pd.DataFrame:
    ends = [D(2026, 8, 31), D(2026, 9, 30), D(2026, 10, 31)]
    return pd.DataFrame({"month_end": pd.to_datetime(ends), "near_miss_people": [10, 12, 9],
                         "met_people": [5, 6, 7], "newly_met_people": [1, 2, 3]})


def test__history_chart__each_month_drawn_over_its_own_label():
    """Plotly labels a %b %Y tick at the 1st of the month: a point at 31 Oct sat on "Nov 2026"."""
    fig = charts_threshold.history_chart(_history())
    for trace in fig.data:
        xs = [pd.Timestamp(x) for x in trace.x]
        assert [x.day for x in xs] == [1, 1, 1], trace.name
        assert [f"{x:%b %Y}" for x in xs] == ["Aug 2026", "Sep 2026", "Oct 2026"]
        assert trace.xperiod == "M1" and trace.xperiodalignment == "middle"
        # the hover still says the month's last day
        assert [str(c[0] if isinstance(c, (list, tuple)) else c) for c in trace.customdata] == [
            "31 Aug 2026", "30 Sep 2026", "31 Oct 2026"]
        assert "%{customdata" in trace.hovertemplate
    assert fig.layout.xaxis.ticklabelmode == "period"  # each tick's label centred under its month


def test__history_chart__empty_history_still_draws():
    fig = charts_threshold.history_chart(_history().iloc[0:0])
    assert all(len(t.x) == 0 for t in fig.data)


# --- the Parquet export's README -------------------------------------------------------------------------

def test__parquet_readme__says_data_as_of_not_built():
    from insight.export import parquet

    manifest = {"as_of_date": "2026-10-31", "build_load_id": "13f432cbb40aab4b",
                "exported_at_utc": "2026-12-04T10:00:02+00:00", "with_person_keys": False}
    text = parquet.readme([], {}, manifest)
    assert "Data as of 2026-10-31" in text and "Built 2026-10-31" not in text
    assert "exported 2026-12-04T10:00:02+00:00 (UTC)" in text
    built = parquet.readme([], {}, {**manifest, "built_at_utc": "2026-12-04T09:58:00+00:00"})
    assert "built 2026-12-04T09:58:00+00:00 (UTC)" in built


# --- second reports: a share beside its own whole --------------------------------------------------------

def test__second_reports__share_not_beside_a_whole_that_gives_a_hidden_side():
    """6 second reports printed, all 6 past their limit, 5 explained in time: "83%" says 1 was not."""
    from insight.board_pack import people as report_people

    frame = pd.DataFrame({"events": [6], "limit_passed": [6], "explained_in_time": [5]}, index=["All selected"])
    lines = report_people.second_report_lines(_context(5, second_reports=frame))
    assert lines == [["Second reports in May", "6"], ["Explained in time", "–"]]
    frame = pd.DataFrame({"events": [12], "limit_passed": [6], "explained_in_time": [5]}, index=["All selected"])
    assert report_people.second_report_lines(_context(5, second_reports=frame))[1] == ["Explained in time", "83%"]


def _concentration_deck(located: int, month_total: int, k: int = 5):
    conc = pd.DataFrame({"authority_code": ["E07000036", "all"], "authority_name": ["Erewash", "All selected"],
                         "places": [1, 1], "incidents": [located, located],
                         "places_for_50pct": [1.0, 1.0], "places_for_25pct": [1.0, 1.0]})
    headline = pd.DataFrame({"current": [month_total]}, index=["incidents"])
    deck = rs.new_deck()
    report_content.slide_concentration(deck, _context(k, concentration=conc, headline=headline))
    return deck


def test__concentration__says_when_not_every_incident_had_a_place_and_nothing_of_fewer_than_k():
    """Half of 6 located incidents "in 1 place" beside a month of 198 read as half of the month's ASB
    (found by a black-box audit): the title says located ASB and the subtitle how many had a place;
    under k located incidents, no spread is shown at all."""
    deck = _concentration_deck(60, 198)
    slide = deck.slides[0]
    assert "located ASB" in _title(deck) and "60 of 198 had a place" in " ".join(_texts(slide))
    assert "located" not in _title(_concentration_deck(198, 198))
    small = _concentration_deck(3, 198)
    assert _title(small).startswith("Fewer than 5 located incidents")
    chart = next(s.chart for s in small.slides[0].shapes if s.has_chart)
    assert all(v is None for v in chart.plots[0].series[0].values)
