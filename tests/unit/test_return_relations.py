"""The data return's disclosure (insight/export/data_return.py `protect`) against a reader who
subtracts, on small inline cells: the second reports' events less those whose limit passed (the
events still in time), and an authority's monthly incidents against the county's monthly count
that the board pack prints. Both were found by a black-box audit of the exports."""

from __future__ import annotations

import pandas as pd

from etl.rules import authorities
from insight.export import data_return as dr

K = 5


def _cells(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for d in dr.DIMENSIONS:
        frame[d] = frame.get(d, "")
        frame[d] = frame[d].fillna("")
    return frame[["authority_code", "measure", *dr.DIMENSIONS, "value"]].astype({"value": "float64"})


def _written(cells: pd.DataFrame) -> pd.DataFrame:
    return cells.assign(written=dr.protect(cells, dr.load_fields(), K))


def test__second_reports__events_less_limit_passed_is_never_1_to_4():
    code = authorities.CODES[0]
    second = {"events": 7, "limit_passed": 6, "explained_in_time": 0, "explained_late": 0, "not_explained": 6}
    rows = [{"authority_code": code, "measure": f"second_reports.{m}", "value": v} for m, v in second.items()]
    out = _written(_cells(rows)).set_index("measure")["written"]
    events, passed = out["second_reports.events"], out["second_reports.limit_passed"]
    assert not (events.isdigit() and passed.isdigit() and 0 < int(events) - int(passed) < K), (events, passed)


def test__incidents__one_authority_s_month_is_not_the_county_s_less_the_others():
    """The pack prints the nine authorities' count of each month (slides 2 and 4): a month of one
    authority hidden beside the eight others shown is that count less theirs."""
    rows = []
    for n, code in enumerate(authorities.CODES):
        march = 3 if n == 1 else 20 + n
        for month, value in (("2026-03", march), (dr.ALL, march + 100)):
            rows.append({"authority_code": code, "measure": "incidents.by_month_and_type", "month": month,
                         "asb_type": dr.ALL, "value": value})
            rows.append({"authority_code": code, "measure": "incidents.by_month_and_type", "month": month,
                         "asb_type": "noise", "value": value})
    out = _written(_cells(rows))
    march = out[(out["month"] == "2026-03") & (out["asb_type"] == dr.ALL)]
    hidden = (~march["written"].str.isdigit()).sum()
    assert hidden == 0 or hidden >= 2, march[["authority_code", "written"]]
    assert march.iloc[1]["written"] != "3"


def test__field_list__only_an_s104_figure_may_be_written_unsuppressed(tmp_path):
    """`suppress = false` publishes counts of 1 to k-1 as they are: only for the four s.104 figures,
    which the law requires published. A field list that sets it on another measure is refused
    (before, it was accepted and the return printed appeal counts of 1 to 3)."""
    import pytest

    text = dr.FIELDS_PATH.read_text(encoding="utf-8")
    field = 'measure = "second_reports.events"'
    start = text.index(field)
    end = text.index("suppress = true", start) + len("suppress = true")
    changed = text[:end - len("true")] + "false" + text[end:]
    path = tmp_path / "fields.toml"
    path.write_text(changed, encoding="utf-8")
    with pytest.raises(dr.ReturnError, match="only the four s.104 figures"):
        dr.load_fields(path)
