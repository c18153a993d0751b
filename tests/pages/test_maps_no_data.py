"""The Hotspots page for a period with no incident says so (the downloads and totals audit of 6
December 2026: for 2010 it said "The data starts on 1 Nov 2023, after the previous period begins:
read 'change' with care", as if the period held some)."""

from __future__ import annotations

import pytest
from support import open_app

MAPS = "app_pages/maps.py"


@pytest.mark.parametrize(("user", "start", "end"), [
    ("opcc", "2010-01-01", "2010-12-31"), ("board", "2010-01-01", "2010-12-31"),
    ("opcc", "2090-01-01", "2090-12-31"),
])
def test__maps__a_period_without_data_says_so(demo_warehouse, monkeypatch, user, start, end):
    at = open_app(monkeypatch, demo_warehouse, MAPS, user=user, start=start, end=end, as_of=end)
    infos = [i.value for i in at.info]
    assert any(i.startswith("No incidents in this period: the data start") for i in infos), infos
    assert not any("after the previous period begins" in w.value for w in at.warning)


def test__maps__the_default_period_has_data_and_no_such_note(demo_warehouse, monkeypatch):
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="opcc")
    assert not [i.value for i in at.info if i.value.startswith("No incidents in this period")]


def test__period_against_span__outside_starts_late_or_inside():
    import datetime as dt

    from insight.queries import maps as qm

    D = dt.date
    first, last = D(2023, 11, 1), D(2026, 10, 20)
    assert qm.period_against_span(first, last, D(2010, 1, 1), D(2010, 12, 31), D(2009, 1, 1), False) == "outside"
    assert qm.period_against_span(first, last, D(2026, 10, 25), D(2026, 11, 30), D(2026, 9, 19), False) == "outside"
    # a restricted viewer's last date is its month's first day: October is still inside
    assert qm.period_against_span(first, D(2026, 10, 1), D(2026, 10, 1), D(2026, 10, 31), D(2026, 9, 1),
                                  True) is None
    assert qm.period_against_span(first, last, D(2024, 1, 1), D(2024, 6, 30), D(2023, 7, 1), False) == "starts_late"
    assert qm.period_against_span(None, None, D(2024, 1, 1), D(2024, 6, 30), D(2023, 7, 1), False) is None


def test__as_of_against_span__before_after_or_inside():
    import datetime as dt

    from insight.queries import maps as qm

    D = dt.date
    first, last = D(2023, 11, 1), D(2026, 10, 20)
    assert qm.as_of_against_span(first, last, D(2019, 1, 31), False) == "before"
    assert qm.as_of_against_span(first, last, D(2026, 10, 27), False) is None   # within a week of the end
    assert qm.as_of_against_span(first, last, D(2026, 10, 28), False) == "after"
    # a restricted viewer's last date is its month's first day: its month end is the bound
    assert qm.as_of_against_span(first, D(2026, 10, 1), D(2026, 10, 31), True) is None
    assert qm.as_of_against_span(None, None, D(2030, 1, 31), True) is None   # hidden dates: no bound
