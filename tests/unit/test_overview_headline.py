"""The Overview's headline measures on a hand-made warehouse: the two periods' boundary days, a
person who reported in two authorities (one person of the whole selection), anonymous reports
(incidents, never people) and a repeat location (3 incidents in one street-level cell)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from etl import sqlfile
from insight.queries import overview

D = dt.date
EREWASH, DERBY = "E07000036", "E06000015"
A, B, C = "8a195da49b77fff", "8a195da49b67fff", "8a195da49b57fff"


def _warehouse(tmp_path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(sqlfile.read("warehouse"))
    con.execute("insert into authorities (authority_code, authority_name, authority_kind) values "
                f"('{EREWASH}', 'Erewash', 'district'), ('{DERBY}', 'Derby', 'unitary')")
    rows = [("p1", EREWASH, D(2025, 3, 1), A), ("p1", EREWASH, D(2025, 3, 31), A), ("p1", DERBY, D(2025, 3, 10), B),
            (None, EREWASH, D(2025, 3, 15), A), ("p2", EREWASH, D(2025, 2, 28), C), ("p2", EREWASH, D(2025, 2, 1), C),
            ("p3", DERBY, D(2025, 1, 31), B), ("p3", DERBY, D(2025, 4, 1), B)]
    frame = pd.DataFrame([{"incident_id": f"t:{n}", "person_key": p, "authority_code": a, "reported_date": d,
                           "occurred_date": d, "h3_r10": cell, "source": "t", "agency": "council", "agencies": "council",
                           "report_count": 1, "source_file": "f.csv", "source_row": n}
                          for n, (p, a, d, cell) in enumerate(rows, 1)])
    con.register("_inc", frame)
    con.execute("insert into incidents by name select * from _inc")
    return con


def test__headline__periods_people_and_repeat_locations(tmp_path):
    got = overview.headline(_warehouse(tmp_path), (EREWASH, DERBY), D(2025, 3, 1), D(2025, 3, 31))
    got = got.set_index("authority_name")
    columns = ["incidents", "reporting_persons", "repeat_locations",
               "incidents_previous", "reporting_persons_previous", "repeat_locations_previous"]
    assert got.loc["Erewash", columns].tolist() == [3, 1, 1, 2, 1, 0]
    assert got.loc["Derby", columns].tolist() == [1, 1, 0, 0, 0, 0]
    assert got.loc["All selected", columns].tolist() == [4, 1, 1, 2, 1, 0]   # p1 is one person
    assert got.loc["All selected", "incidents_change"] == 2


def test__headline__a_place_is_one_repeat_location_of_the_selection(tmp_path):
    """A place (one street-level cell) with incidents of two authorities is one repeat location of
    "All selected" when its incidents together are 3 or more: 3 + 4 on a border counted 2 before,
    and 2 + 1 counted none (found by a black-box audit). Each authority's row counts its own."""
    con = _warehouse(tmp_path)
    border, split = "8a195da49b47fff", "8a195da49b37fff"

    def add(places: list[tuple[str, str]], name: str) -> pd.DataFrame:
        frame = pd.DataFrame([{"incident_id": f"{name}:{n}", "person_key": None, "authority_code": a,
                               "reported_date": D(2025, 3, 20), "occurred_date": D(2025, 3, 20), "h3_r10": cell,
                               "source": "t", "agency": "council", "agencies": "council", "report_count": 1,
                               "source_file": f"{name}.csv", "source_row": n} for n, (a, cell) in enumerate(places, 1)])
        con.register("_more", frame)
        con.execute("insert into incidents by name select * from _more")
        con.unregister("_more")
        return overview.headline(con, (EREWASH, DERBY), D(2025, 3, 1), D(2025, 3, 31)).set_index("authority_name")

    got = add([(EREWASH, border)] * 3 + [(DERBY, border)] * 4, "border")
    assert got.loc["Erewash", "repeat_locations"] == 2 and got.loc["Derby", "repeat_locations"] == 1
    assert got.loc["All selected", "repeat_locations"] == 2   # A and the border place
    got = add([(EREWASH, split)] * 2 + [(DERBY, split)], "split")
    assert got.loc["Erewash", "repeat_locations"] == 2 and got.loc["Derby", "repeat_locations"] == 1
    assert got.loc["All selected", "repeat_locations"] == 3   # and the split one
