"""The board pack against the red-team audit of 6 December 2026 (every month's pack of the demo).

1. The statutory slide: four authorities' "not met" each "<5" and their total "<5": four counts of
   at least 1 adding up to at most 4 are 1 each. Nothing shown is left to hide, so the cells the
   marks would give away are printed "[c]" (not shown, no range told) instead.
2. The statutory slide: reviews with recommendations are some of the reviews held, so reviews held
   less recommendations is a count too, under the rule.
3. The threshold slide: "at or over the threshold" less "met, no application" is the people who met
   it and applied (Derbyshire Dales 72 - 71 = 1).
4. The turnaround slide: an authority's share of a stage in time beside a small total (80% of at
   most 6 is 4 of 5: 1 late) is shown only with 0 or k or more on each side, and every authority
   of the pack is listed, so no bar's absence says "1 to k-1 cases".
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from insight.access import disclosure
from insight.board_pack import cases, people

K = 5
NAMES = ["Amber Valley", "Bolsover", "Chesterfield", "Derby", "Erewash"]


def _ctx(**data):
    return SimpleNamespace(k=K, data=SimpleNamespace(**data))


def _readable(table: disclosure.Protected, column: str) -> dict:
    return {row: table.text(row, column) for row in table.values.index}


def _pinned(cells: dict, k: int = K) -> list:
    """What a reader who knows the marks pins down: for a column of parts and its total, each part's
    bounds ('<k' 1..k-1, '*' k or more, '[c]' 0 or more), narrowed by the total's."""
    bound = {"[c]": (0, 10**9), "*": (k, 10**9)}
    lo_hi = {r: bound.get(t) or ((1, k - 1) if t.startswith("<") else (int(t.replace(",", "")),) * 2)
             for r, t in cells.items()}
    total = lo_hi.pop(people.TOTAL)
    pinned = []
    for r, (lo, hi) in lo_hi.items():
        if lo == hi:
            continue
        others_lo = sum(v[0] for o, v in lo_hi.items() if o != r)
        others_hi = sum(v[1] for o, v in lo_hi.items() if o != r)
        new_lo, new_hi = max(lo, total[0] - others_hi), min(hi, total[1] - others_lo)
        if new_lo == new_hi:
            pinned.append((r, new_lo))
    return pinned


def _statutory(**columns) -> SimpleNamespace:
    base = {"applications_received": [20, 9, 8, 30, 12], "threshold_not_met": [0, 1, 1, 1, 1],
            "reviews_carried_out": [10, 6, 6, 12, 7], "reviews_with_recommendations": [9, 6, 6, 12, 7],
            "is_consistent": [True] * 5}
    base.update(columns)
    frame = pd.DataFrame({"authority_name": NAMES, **base})
    return _ctx(cases={"statutory": frame})


def test__statutory__four_small_parts_under_a_small_total_are_not_all_marked_small():
    table = cases.statutory_table(_statutory())
    shown = _readable(table, "threshold_not_met")
    assert _pinned(shown) == [], shown
    assert "[c]" in shown.values()
    assert shown["Amber Valley"] == "0"                      # a zero stays a zero


def test__statutory__reviews_held_less_recommendations_is_a_count_too():
    # Erewash: 7 held, 5 with recommendations: 2 without (shown both, 7 - 5 told 2)
    table = cases.statutory_table(_statutory(reviews_with_recommendations=[9, 6, 6, 12, 5]))
    held, recs = table.text("Erewash", "reviews_carried_out"), table.text("Erewash", "reviews_with_recommendations")
    assert not (held.isdigit() and recs.isdigit() and 0 < int(held) - int(recs) < K), (held, recs)


def test__threshold__met_less_met_without_application_is_a_count_too():
    frame = pd.DataFrame({"near_miss_people": [30, 40, 70], "met_people": [72, 20, 92],
                          "met_without_application_people": [71, 10, 81]},
                         index=["Derbyshire Dales", "Derby", people.TOTAL])
    table = people.threshold_table(_ctx(threshold=frame))
    for row in frame.index:
        met, without = table.text(row, "met_people"), table.text(row, "met_without_application_people")
        if met.replace(",", "").isdigit() and without.replace(",", "").isdigit():
            assert not 0 < int(met.replace(",", "")) - int(without.replace(",", "")) < K, (row, met, without)


def _turnaround(finished: dict, within: dict) -> pd.DataFrame:
    rows = []
    for stage in cases.STAGES:
        for name, n in finished.items():
            rows.append({"authority_name": name, "stage": stage, "finished": n, "within_sla": within[name],
                         "median_working_days": 10.0, "limits_in_force": "28"})
    return pd.DataFrame(rows)


def test__turnaround__an_authority_s_share_needs_0_or_k_on_each_side():
    summary = _turnaround({"Derby": 5, "Erewash": 1, cases.TOTAL: 6}, {"Derby": 4, "Erewash": 1, cases.TOTAL: 5})
    rows, shares = cases.turnaround_shares(_ctx(codes=("E06000015", "E07000036")), summary, K)
    assert shares["decision"][rows.index("Derby")] is None               # 4 of 5: 1 late
    summary = _turnaround({"Derby": 10, cases.TOTAL: 10}, {"Derby": 5, cases.TOTAL: 5})
    rows, shares = cases.turnaround_shares(_ctx(codes=("E06000015",)), summary, K)
    assert shares["decision"][rows.index("Derby")] == 0.5


def test__turnaround__every_authority_of_the_pack_is_a_row():
    summary = _turnaround({"Derby": 5, cases.TOTAL: 5}, {"Derby": 5, cases.TOTAL: 5})
    rows, _ = cases.turnaround_shares(_ctx(codes=("E06000015", "E07000036", "E07000033")), summary, K)
    assert rows == ["Bolsover", "Derby", "Erewash", cases.TOTAL]


def _repeats_title(first_date, z: float) -> str:
    import datetime as dt

    from etl.rules.authorities import CODES
    from insight.board_pack import content
    from insight.board_pack import slides as rs
    from insight.board_pack.data import Month

    top = pd.DataFrame({"incidents_90d": [254, 120], "incidents_prev_90d": [9, 300], "changed": [True, True],
                        "change_z": [z, z if z < 0 else -z], "main_location": ["High St", "Market Pl"],
                        "distinct_reporters": [40, 40], "authority_name": ["Derby", "Erewash"]})
    data = SimpleNamespace(repeats=top, first_date=first_date, month=Month(dt.date(2024, 1, 1)), codes=CODES,
                           names=["x"] * 9)
    deck = rs.new_deck()
    content.slide_repeats(deck, content.Context(data, K))
    return deck.slides[-1].shapes.title.text_frame.text


def test__repeats__no_rise_flagged_when_the_90_days_before_are_partly_before_the_data():
    """January 2024, data from 1 November 2023: the 90 days before the last 90 start in August, so
    "254 against 9" compares with two days of data, not a rise."""
    import datetime as dt
    assert "rising" not in _repeats_title(dt.date(2023, 11, 1), 8.0)
    assert "1 of the 2 busiest places is rising significantly" == _repeats_title(dt.date(2023, 1, 1), 8.0)


def test__repeats__a_falling_place_is_said_to_fall_not_only_not_to_rise():
    import datetime as dt
    title = _repeats_title(dt.date(2023, 1, 1), -8.0)
    assert title == "None of the 2 busiest places is rising significantly; 2 are falling", title


def test__statutory__a_council_manager_who_knows_their_own_figures_pins_no_other():
    """October 2026: applications 58 in all, the shown cells 54, Bolsover, Derbyshire Dales and High
    Peak '<5'. High Peak's manager knows High Peak had 2, so the other two are 1 and 1. Every
    authority's row may be known to a reader of the all-nine pack (its own manager), so the pack
    hides one more where knowing one row would pin another."""
    names = ["Amber Valley", "Bolsover", "Derbyshire Dales", "High Peak", "Derby"]
    frame = pd.DataFrame({"authority_name": names, "applications_received": [20, 1, 1, 2, 34],
                          "threshold_not_met": [5, 0, 0, 0, 9], "reviews_carried_out": [10, 0, 0, 0, 12],
                          "reviews_with_recommendations": [10, 0, 0, 0, 12], "is_consistent": [True] * 5})
    table = cases.statutory_table(_ctx(cases={"statutory": frame}))
    shown = _readable(table, "applications_received")
    for known in names:   # the reader knows one row exactly
        cells = {r: (str(int(table.values.at[r, "applications_received"])) if r == known else t)
                 for r, t in shown.items()}
        assert [p for p in _pinned(cells) if p[0] != known] == [], (known, shown)
