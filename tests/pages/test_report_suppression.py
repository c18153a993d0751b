"""Disclosure control in a real pack: a small hand-made warehouse where some counts of people are
under 5, built with the real ETL, then made into a pack and opened with python-pptx.

    June 2025, complaints per person       people near (2 complaints) / met (3 complaints)
    Erewash  E1..E3: 2 each                 near 3  -> "<5"
    Derby    D1..D7: 2 each, D8..D13: 3     near 7  -> "*" (else 10 - 7 would give Erewash's 3)
                                            met 6   -> shown
No count from 1 to 4 of people may be visible anywhere (tables, chart values, chart workbooks),
and no hidden cell may be the only hidden one of a group whose total is shown.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest
from conftest import made_pack
from pptx import Presentation

from insight.board_pack import pack as report

HEADER = ("incident_ref,agency,authority,reported_date,occurred_date,asb_category,asb_type,"
          "latitude,longitude,easting,northing,postcode,location_desc,person_ref,victim_type,is_hate")
TOML = '[[source]]\nslug = "partners"\nkind = "incidents"\npath = "p/*.csv"\n'
EREWASH_POSTCODE = "NG10 1AA"  # Long Eaton
DERBY_POINT = ("52.9225", "-1.4746")  # Derby city centre
AS_OF = dt.date(2025, 6, 30)


def _rows() -> list[str]:
    rows, n = [], 0
    people = [(f"E{i}", 2, "erewash") for i in range(1, 4)] + [(f"D{i}", 2, "derby") for i in range(1, 8)] + [
        (f"D{i}", 3, "derby") for i in range(8, 14)]
    for person, complaints, where in people:
        for day in range(complaints):
            n += 1
            date = dt.date(2025, 6, 2 + 7 * day + n % 5).isoformat()
            place = f",,,,{EREWASH_POSTCODE}" if where == "erewash" else f"{DERBY_POINT[0]},{DERBY_POINT[1]},,,"
            rows.append(f"R{n},council,,{date},{date},personal,noise,{place},Market Place,ECN-{person},individual,N")
    # two anonymous reports at one place in Ilkeston: a place of 2 incidents, never a figure on its own
    rows += [f"A{d},council,,2025-06-{d:02d},2025-06-{d:02d},personal,noise,52.9706,-1.3095,,,,Bath Street,,,N"
             for d in (10, 17)]
    return rows


@pytest.fixture(scope="module")
def small_pack(tmp_path_factory) -> tuple[report.Pack, object, object]:
    """(pack, its python-pptx deck, the warehouse path)."""
    pack, warehouse = made_pack(tmp_path_factory.mktemp("small"), TOML,
                                {"p/june.csv": "\n".join([HEADER, *_rows()]) + "\n"}, AS_OF, "2025-06")
    return pack, Presentation(io.BytesIO(pack.pptx)), warehouse


def _threshold_slide(deck):
    return next(s for s in deck.slides if "one complaint short of a case review" in s.shapes.title.text_frame.text)


def test__threshold__small_counts_hidden_with_one_more_per_total(small_pack):
    deck = small_pack[1]
    slide = _threshold_slide(deck)
    chart = next(s.chart for s in slide.shapes if s.has_chart)
    categories = list(chart.plots[0].categories)
    near = dict(zip(categories, chart.plots[0].series[0].values, strict=True))
    met = dict(zip(categories, chart.plots[0].series[1].values, strict=True))
    assert near["Erewash"] is None and near["Derby"] is None  # 3 (primary) and 7 (secondary)
    assert met["Derby"] == 6.0 and met["Erewash"] == 0.0
    assert all(v == 0.0 for name, v in near.items() if name not in ("Erewash", "Derby"))
    note = next(s.text_frame.text for s in slide.shapes if s.name == "Hidden counts")
    assert note == "Not drawn (hidden counts): Derby, one complaint short *; Erewash, one complaint short <5."
    table = next(s.table for s in slide.shapes if s.has_table)
    cells = {r.cells[0].text: r.cells[1].text for r in table.rows}
    # the total 10 is a cover too: Derby's manager knows Derby's 7, and 10 - 7 is Erewash's 3 (the
    # red-team audit of 6 December 2026: each authority's row may be known to its own manager)
    assert cells["One complaint short"] == "*" and cells["At or over the threshold"] == "6"
    assert slide.shapes.title.text_frame.text.startswith("People one complaint short of a case review on 30 June: "
                                                         "their number is not shown")


def _numbers(deck) -> list[tuple[str, float]]:
    """(where, value) of every number on the slides about people: table cells and chart values."""
    out = []
    for slide in deck.slides:
        title = slide.shapes.title.text_frame.text
        for shape in slide.shapes:
            if shape.has_chart:
                out += [(f"{title} / {s.name}", v) for s in shape.chart.plots[0].series for v in s.values]
            if shape.has_table:
                # a change is the difference of two shown counts: it tells nothing they do not
                heads = [c.text for c in shape.table.rows[0].cells]
                for row in shape.table.rows:
                    for head, cell in list(zip(heads, row.cells, strict=True))[1:]:
                        if head == "change":
                            continue
                        text = cell.text.replace(",", "").split(" ")[0]
                        if text.lstrip("+−-").isdigit():
                            out.append((f"{title} / {row.cells[0].text}", float(text.lstrip("+−-"))))
    return out


PEOPLE_PLACES = ("One complaint short", "one complaint short", "Became eligible", "became eligible",
                 "Reporting persons", "Threshold met", "Applications received", "case review applications so far",
                 "appeals to the OPCC", "Appeals received", "At or over", "Met, no application")


def small_people_counts(deck) -> list[tuple[str, float]]:
    """Numbers from 1 to 4 on the slides and rows that count people (must be none)."""
    people = [(where, v) for where, v in _numbers(deck) if any(p in where for p in PEOPLE_PLACES)]
    assert people, "the people slides hold no numbers at all"
    return [(where, v) for where, v in people if v is not None and 0 < v < 5]


def test__pack__no_count_of_people_from_1_to_4_anywhere(small_pack):
    assert small_people_counts(small_pack[1]) == []


def test__pack__chart_workbooks_hold_no_hidden_value(small_pack):
    pack = small_pack[0]
    with zipfile.ZipFile(io.BytesIO(pack.pptx)) as archive:
        books = [openpyxl.load_workbook(io.BytesIO(archive.read(n))) for n in archive.namelist()
                 if n.endswith(".xlsx")]
    threshold = [b for b in books if any(c.value == "One complaint short" for row in b.active.iter_rows()
                                          for c in row)]
    assert len(threshold) == 1
    values = [c.value for row in threshold[0].active.iter_rows(min_row=2) for c in row[1:]]
    assert 3 not in values and 7 not in values
    assert all(v is None or v == 0 or v >= 5 for v in values)


def _headline_rows(deck) -> dict[str, list[str]]:
    table = next(s.table for s in deck.slides[1].shapes if s.has_table)
    return {r.cells[0].text: [c.text for c in list(r.cells)[1:]] for r in table.rows}


def test__pack__no_count_of_incidents_from_1_to_4_in_any_chart_or_table(small_pack):
    """Issue 14: one rule for people and incidents. Bath Street, Ilkeston holds 2 incidents: no
    chart workbook holds a count from 1 to 4, and the busiest-places chart lists it not (nor does
    Hotspots: fewer than k incidents in the year)."""
    pack, deck = small_pack[0], small_pack[1]
    with zipfile.ZipFile(io.BytesIO(pack.pptx)) as archive:
        books = [openpyxl.load_workbook(io.BytesIO(archive.read(n))) for n in archive.namelist()
                 if n.endswith(".xlsx")]
    small = []
    for book in books:
        header = [str(c.value or "") for c in next(book.active.iter_rows(max_row=1))]
        if any("share" in h.lower() for h in header):
            continue   # shares of places, not counts
        small += [(header, c.value) for row in book.active.iter_rows(min_row=2) for c in row[1:]
                  if isinstance(c.value, (int, float)) and 0 < c.value < 5]
    assert small == []
    repeats = next(s for s in deck.slides if "busiest places" in s.shapes.title.text_frame.text)
    chart = next(sh.chart for sh in repeats.shapes if sh.has_chart)
    values = [v for series in chart.plots[0].series for v in series.values]
    assert all(v is None or v == 0 or v >= 5 for v in values), values
    places = list(chart.plots[0].categories)
    assert len(places) == 2, places   # Derby's 32 and Long Eaton's 6, not Bath Street's 2


def test__headline__people_shown_incidents_never_hidden(small_pack):
    rows = _headline_rows(small_pack[1])
    assert rows["ASB incidents"][0] == "40"  # 40 incidents: at least k, shown
    assert rows["Reporting persons"][0] == "16"
    assert rows["Applications received"][:2] == ["0", "no data"]   # May 2025 is before the data


def test__headline__the_limit_is_a_setting(small_pack, tmp_path, monkeypatch):
    """With suppress_below = 20 in the settings file, 16 reporting persons become "<20"."""
    settings = tmp_path / "report.toml"
    settings.write_text("[report]\nsuppress_below = 20\n")
    monkeypatch.setenv("ASB_REPORT_SETTINGS", str(settings))
    deck = Presentation(io.BytesIO(report.make_pack(small_pack[2], "2025-06").pptx))
    rows = _headline_rows(deck)
    assert rows["Reporting persons"][:4] == ["<20", "no data", "–", "no data"]
    # 40 less Derby's 32, which its manager knows, is Erewash's 8, under 20: the Overview hides the 40
    # from Derby's manager, so the pack does not print it (the roles audit of 7 December 2026)
    assert rows["ASB incidents"][0] == "*"
    assert _threshold_slide(deck).shapes.title.text_frame.text.startswith("Fewer than 20 people were")


def _slide_text(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if getattr(shape, "has_table", False) and shape.has_table:
            parts += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(parts)


def test__caveats__a_late_feed_names_the_month_of_its_last_record_not_its_day(small_pack):
    """The feed stops on 20 June, its last record's day (one incident's): the board reads that it
    is late and the month it stops in, never the day (the disclosure rule, as the Data quality page
    shows a restricted viewer a feed's last month)."""
    _, deck, _ = small_pack
    slide = next(s for s in deck.slides if "late or missing for" in s.shapes.title.text_frame.text)   # the caveats
    text = _slide_text(slide)
    assert "Jun 2025" in text or "June 2025" in text
    assert not re.search(r"\b\d{1,2} (Jun|June) 2025\b", text), text


def test__caveats__the_last_record_s_month_only_among_the_pack_s_k_rows(small_pack):
    """The feed sent 40 rows in June: with the disclosure limit at 50 its last month is not shown
    either (a dash), and the slide still says the feed is late."""
    deck = Presentation(io.BytesIO(report.make_pack(small_pack[2], "2025-06", suppress_below=50).pptx))
    slide = next(s for s in deck.slides if "late or missing for" in s.shapes.title.text_frame.text)   # the caveats
    table = next(s.table for s in slide.shapes if getattr(s, "has_table", False) and s.has_table)
    row = [cell.text for cell in table.rows[1].cells]
    assert row[2] == "–" and "stops more than 7 days" in row[3], row
    cells = [cell.text for r in table.rows for cell in r.cells]
    assert not [c for c in cells if re.search(r"\b(Jun|June)\b", c)], cells


def test__map__no_hot_cell_whose_class_rests_on_1_to_4_incidents():
    """The map slide draws a hot cell only where the page would show its class to a board viewer
    (insight/access/roles.py, hotspot_cells): a cell of 1..k-1 incidents is left out, and so is the
    class of every cell whose window (itself and its six neighbours) holds one, so no ring of hot
    empty cells marks a hidden place (found by a black-box audit). The slide says how many it leaves."""
    import pandas as pd

    from insight.board_pack import content

    cells = pd.DataFrame({"h3_cell": ["hidden", "ring", "busy_near", "busy_far", "quiet_hot"],
                          "authority_code": ["E07000033"] * 5, "incidents": [3, 0, 9, 20, 0],
                          "window_least_incidents": [1, 1, 3, 20, 20], "gi_class": [3, 3, 3, 3, 2]})
    shown, withheld = content.hot_cells_shown(cells, ("E07000033",), 5)
    assert sorted(shown.loc[shown["gi_class"] > 0, "h3_cell"]) == ["busy_far", "quiet_hot"]
    assert withheld == 3


def test__authorities__no_bar_is_the_total_less_the_others():
    """Slide 3's bars of the authorities add up to the county's count, which slides 2 and 4 print:
    one hidden bar beside eight shown ones was the total less the others (198 - 195 = Bolsover's 3,
    found by a black-box audit). One more bar is hidden in each such month, the smallest; and no
    title says that no authority changed while a change is hidden."""
    import pandas as pd

    from insight.board_pack import content

    frame = pd.DataFrame({"current": [3, 120, 75], "previous": [0, 118, 60], "last_year": [8, 100, 80]},
                         index=["Bolsover", "Derby", "Erewash"])
    bars, hidden = content.authority_bars(frame, 5)
    # Erewash hidden beside Bolsover's 3; and, since Erewash's own manager knows its 75 (the
    # red-team audit of 6 December 2026), Derby's too: else 198 - 120 - 75 = 3 again
    assert bars["current"] == [None, None, None] and bars["previous"] == [0, 118, 60]
    assert bars["last_year"] == [8, 100, 80]
    assert hidden == {("Bolsover", "current"), ("Erewash", "current"), ("Derby", "current")}


def test__headline__the_first_month_of_data_is_compared_with_nothing(small_pack):
    """The warehouse's data start in the pack's month (June 2025): the month before and the same
    month a year earlier hold no data, not no ASB, so no title says ASB "rose ... from none" and no
    authority gets a rise arrow (found by a black-box audit)."""
    _, deck, _ = small_pack
    titles = [s.shapes.title.text_frame.text for s in deck.slides]
    assert not any("from none" in t or "rising" in t for t in titles), titles
    assert "the data start this month" in titles[1], titles[1]
    bars = next(s.chart for s in deck.slides[2].shapes if s.has_chart)
    assert not any("▲" in c for c in bars.plots[0].categories), list(bars.plots[0].categories)
    headline = next(s for s in deck.slides[1].shapes if s.has_table).table
    changes = [headline.cell(r, c).text for r in range(1, len(headline.rows)) for c in (3, 5)]
    assert set(changes) <= {"–"}, changes
    # the months before hold no figure, not 0 (the red-team audit of 6 December 2026): the
    # headline's earlier columns say so, and the bars and the trend draw nothing for them
    earlier = [headline.cell(r, c).text for r in range(1, len(headline.rows)) for c in (2, 4)]
    assert set(earlier) == {"no data"}, earlier
    for series in list(bars.plots[0].series)[1:]:
        assert all(v is None for v in series.values), (series.name, list(series.values))
    trend = next(s.chart for s in deck.slides[3].shapes if s.has_chart)
    points = list(trend.plots[0].series[0].values)
    assert all(v is None for v in points[:-1]) and points[-1] is not None, points


def test__pack__its_file_names_the_pack_not_the_library_s_template(small_pack):
    """The file's properties said "Steve Canny", 2013 (python-pptx's template), and the map's alt
    text "image.png" (the audit of 6 December 2026)."""
    _, deck, _ = small_pack
    props = deck.core_properties
    assert props.author != "Steve Canny" and "board pack" in props.title and props.created.year >= 2025
    pictures = [sh for s in deck.slides for sh in s.shapes if sh.shape_type == 13]
    assert pictures and all(sh._element.nvPicPr.cNvPr.get("descr", "") not in ("", "image.png") for sh in pictures)
