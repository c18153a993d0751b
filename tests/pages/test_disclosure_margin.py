"""The Review turnaround page's "Stages at risk" tile and its warning margin (the disclosure audit of
8 December 2026): a council manager who asked for every authority could move the slider and read
the tile at two margins, 5 and 6 at 5 and 8 working days, while their own authority's tile read 0
at both: the other eight authorities had one stage with 6 to 8 working days left. The margin is a
free choice, so for a selection holding authorities whose cases the viewer cannot see the tile
counts at the standard margin (etl/marts/reviews.py AT_RISK_WORKING_DAYS), whatever the slider
says; over the viewer's own authorities alone the slider moves it, as before.
"""

from __future__ import annotations

import pytest
from support import open_app

from etl.marts import reviews

TURNAROUND = "app_pages/turnaround.py"
EREWASH = "E07000036"


def _at_risk(at) -> str:
    return next(m.value for m in at.metric if m.label == "Stages at risk")


@pytest.mark.parametrize("margin", [0, 8, 10])
def test__the_tile_over_others_stays_at_the_standard_margin(demo_warehouse, monkeypatch, margin):
    at = open_app(monkeypatch, demo_warehouse, TURNAROUND, user="erewash", authority="all")
    standard = _at_risk(at)
    at.slider(key="rt_margin").set_value(margin).run()
    assert not at.exception
    assert _at_risk(at) == standard, (margin, standard, _at_risk(at))


def test__the_tile_over_the_viewer_s_own_authority_follows_the_slider(demo_warehouse, monkeypatch, con):
    at = open_app(monkeypatch, demo_warehouse, TURNAROUND, user="erewash", authority=EREWASH)
    as_of = con.execute("select as_of_date from etl_builds").fetchall()[0][0]
    for margin in (reviews.AT_RISK_WORKING_DAYS, 10):
        at.slider(key="rt_margin").set_value(margin).run()
        expected = con.execute("select count(*) from mart_review_open_stages where authority_code = ? "
                               "and not is_overdue and working_days_left <= ?", [EREWASH, margin]).fetchall()[0][0]
        assert _at_risk(at).replace(",", "") == str(expected), (margin, as_of, _at_risk(at), expected)


# --- the rule itself: one margin and one set of bands for a viewer under it (Aggregate.fixed) -----
def test__check_request__another_margin_or_other_bands_are_refused_under_the_rule(con):
    import datetime as dt

    from etl.rules import authorities
    from insight.access import disclosure
    from insight.access import roles as access
    from insight.queries import maps as qm
    from insight.queries import turnaround as qt

    manager = access.Viewer("erewash.manager", access.COUNCIL_MANAGER, EREWASH)
    board = access.Viewer("board.viewer", access.BOARD_VIEWER)
    as_of = con.execute("select as_of_date from etl_builds").fetchall()[0][0]
    everyone, own = tuple(authorities.CODES), (EREWASH,)
    end = as_of.replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    standard = (disclosure.STANDARD_SPATIAL_BANDS_M, disclosure.STANDARD_TEMPORAL_BANDS_DAYS)
    for viewer in (manager, board):
        access.check_request(viewer, qt.open_summary, (as_of, everyone, reviews.AT_RISK_WORKING_DAYS), {}, as_of)
        access.check_request(viewer, qm.near_repeats, (everyone, start, end, *standard, 99), {}, as_of)
        with pytest.raises(disclosure.TooDetailed, match="at risk days"):
            access.check_request(viewer, qt.open_summary, (as_of, everyone, 8), {}, as_of)
        for bands in (((0.0, 25.0), standard[1]), (standard[0], (0, 2))):
            with pytest.raises(disclosure.TooDetailed, match="bands"):
                access.check_request(viewer, qm.near_repeats, (everyone, start, end, *bands, 99), {}, as_of)
    # over the manager's own authority alone, any margin and any bands
    access.check_request(manager, qt.open_summary, (as_of, own, 8), {}, as_of)
    access.check_request(manager, qm.near_repeats, (own, start, end, (0.0, 25.0), (0, 2), 99), {}, as_of)


def test__maps_page__a_board_viewer_runs_the_near_repeat_test_at_the_standard_bands(demo_warehouse, monkeypatch):
    at = open_app(monkeypatch, demo_warehouse, "app_pages/maps.py", user="board", authority="all")
    at.session_state["analysis"] = "Near repeats"  # its tab
    at.run()
    inputs = [n for n in at.number_input if "band" in str(n.label).lower()]
    assert len(inputs) == 4 and all(n.disabled for n in inputs), [(n.label, n.disabled) for n in inputs]
    assert any("standard ones" in c.value for c in at.caption)
    next(b for b in at.button if "near-repeat" in str(b.label)).click().run()
    assert not at.exception and not at.info, [i.value for i in at.info]
    from insight.access import disclosure
    assert at.session_state["mp_knox_args"][3:5] == (disclosure.STANDARD_SPATIAL_BANDS_M,
                                                     disclosure.STANDARD_TEMPORAL_BANDS_DAYS)
