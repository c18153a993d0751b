"""The Overview's incidents per month (charts.base.trend_chart): a month before an authority's data
start (or after its end) was drawn as 0, and a month the period cuts (its first or last) as a full
month, so a line fell to its lows at both ends of most periods (the UX audit of 7 December 2026).
A month without data is now a gap, and a cut month an open marker whose hover names its days."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from insight.charts import base as charts


def _frame() -> pd.DataFrame:
    months = [dt.date(2025, m, 1) for m in range(1, 7)]
    rows = []
    for name, code, data in (("Erewash", "E07000036", [False, True, True, True, True, True]),
                             ("Bolsover", "E07000033", [False, False, True, True, True, False])):
        for n, (month, has) in enumerate(zip(months, data, strict=True)):
            first = dt.date(2025, 1, 20) if n == 0 else month
            last = dt.date(2025, 6, 12) if n == 5 else (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
            rows.append({"month": pd.Timestamp(month), "authority_code": code, "authority_name": name,
                         "incidents": 40 + n if has else 0, "first_day": pd.Timestamp(first),
                         "last_day": pd.Timestamp(last), "has_data": has})
    return pd.DataFrame(rows)


def _trace(figure, name):
    return next(t for t in figure.data if t.name == name)


def test__trend_chart__a_month_without_data_is_a_gap_not_a_zero():
    figure = charts.trend_chart(_frame())
    assert list(_trace(figure, "Erewash").y) == [None, 41, 42, 43, 44, 45]
    assert list(_trace(figure, "Bolsover").y) == [None, None, 42, 43, 44, None]


def test__trend_chart__a_cut_month_is_an_open_marker_naming_its_days():
    erewash = _trace(charts.trend_chart(_frame()), "Erewash")
    symbols = list(erewash.marker.symbol)
    assert symbols == ["circle-open", "circle", "circle", "circle", "circle", "circle-open"]
    days = list(erewash.customdata)
    assert "1–12 Jun only" in str(days[5]) and "20–31 Jan only" in str(days[0])
    assert all(not str(d).strip() for d in days[1:5])
    assert "%{customdata}" in erewash.hovertemplate


def test__trend_chart__a_frame_without_the_new_columns_draws_as_before():
    frame = _frame().drop(columns=["has_data", "first_day", "last_day"])
    erewash = _trace(charts.trend_chart(frame), "Erewash")
    assert list(erewash.y) == [0, 41, 42, 43, 44, 45]
