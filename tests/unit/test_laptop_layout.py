"""What the laptop-screen audit of 7 December 2026 found outside the lists' columns (those are
tests/browser/test_browser_laptop.py): headers that were the queries' names, a log axis whose
ticks all read "0.0%", and a legend that took most of a half-width chart."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from insight import labels, ui
from insight.charts import base
from insight.charts import maps as cm


def test__header__words_for_the_queries_names():
    assert labels.header("authority_name") == "authority"
    assert labels.header("source_row") == "row"
    assert labels.header("lsoa_code") == "LSOA"
    assert labels.header("rows_loaded") == "rows loaded"      # no entry: its underscores as spaces
    assert labels.header("Appeals received") == "Appeals received"   # already words: as it is
    assert labels.header(3) == 3


def test__headed__a_header_for_each_column_a_page_leaves_unnamed():
    frame = pd.DataFrame(columns=["authority_name", "asb_type", "reason", "reported_date", "hidden"])
    given = {"reported_date": st.column_config.DateColumn("reported"), "hidden": None}
    config = ui.headed(frame, given)
    assert config["reported_date"] == given["reported_date"]    # the page's own, kept
    assert config["hidden"] is None                              # a column the page hides stays hidden
    assert config["authority_name"]["label"] == "authority"
    assert config["asb_type"]["label"] == "type"
    assert "reason" not in config                                # a word already: nothing to add
    assert given == {"reported_date": given["reported_date"], "hidden": None}   # not changed in place
    assert ui.headed(pd.DataFrame(columns=["a_b"]), None) == {"a_b": st.column_config.Column("a b")}


def test__lorenz__log_axis_ticks_tell_apart_its_small_shares():
    conc = pd.DataFrame({"authority_name": ["Erewash"] * 3, "share_of_places": [0.0002, 0.01, 1.0],
                         "share_of_incidents": [0.1, 0.5, 1.0]})
    axis = cm.lorenz_chart(conc).layout.xaxis
    assert axis.type == "log"
    assert list(axis.ticktext) == ["0.01%", "0.1%", "1%", "10%", "100%"]
    assert [round(v, 6) for v in axis.tickvals] == [0.0001, 0.001, 0.01, 0.1, 1]


def test__rejects_chart__legend_above_the_bars_not_beside_them():
    by_reason = pd.DataFrame({"reason_code": ["bad_date", "missing_key"], "kind": ["incidents", "appeals"],
                              "source": ["erewash_council", "opcc_appeals"], "rows_rejected": [4, 2]})
    legend = base.rejects_chart(by_reason).layout.legend
    assert legend.orientation == "h" and legend.y > 1
