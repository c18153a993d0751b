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
