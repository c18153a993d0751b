"""Hotspots: Gi* against esda run directly, Knox against brute force, Lorenz and PAI by hand,
repeat locations against the raw police rows, and the marts in the demo build."""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections import Counter

import duckdb
import h3
import numpy as np
import pytest
from conftest import real_data, run_build, write_inputs

from etl import hotspots, knox


def _small_grid():
    centre = h3.latlng_to_cell(53.0, -1.5, 9)
    cells = sorted(h3.grid_disk(centre, 4))
    rng = np.random.default_rng(1)
    counts = rng.poisson(2, len(cells)).astype(float)
    counts[cells.index(centre)] = 30
    return cells, counts


def test__gi_star__matches_esda_run_directly():
    from esda.getisord import G_Local
    from libpysal.weights import W

    cells, counts = _small_grid()
    z, p, cls = hotspots.gi_star(cells, counts, permutations=999, seed=7)
    idx = {c: i for i, c in enumerate(cells)}
    w = W({i: [idx[n] for n in h3.grid_disk(c, 1) if n != c and n in idx] for c, i in idx.items()})
    g = G_Local(counts, w, transform="B", star=True, permutations=999, seed=7)
    assert np.allclose(z, g.Zs) and np.allclose(p, g.p_sim)
    assert cls[cells.index(cells[0])] in range(-3, 4)
    assert set(np.unique(cls)) <= set(range(-3, 4))


def test__gi_classes__fdr_thresholds_by_hand():
    from esda import fdr

    p = np.array([0.001, 0.001, 0.04, 0.5, 0.001])
    z = np.array([3.0, -3.0, 2.0, 0.1, 2.5])
    assert fdr(p, 0.01) >= 0.001
    assert list(hotspots.gi_classes(z, p)) == [3, -3, 2 if p[2] <= fdr(p, 0.05) else (1 if p[2] <= fdr(p, 0.1) else 0), 0, 3]


def test__knox__counts_match_brute_force():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 400, (40, 2))
    xy[5] = xy[6]
    days = np.datetime64("2024-01-03") + rng.integers(0, 30, 40).astype("timedelta64[D]")
    s, t = [0, 100, 200, 300], [0, 3, 7, 14]
    table = knox.knox(xy, days, s, t, permutations=19, seed=1)
    brute = Counter()
    for i in range(40):
        for j in range(i + 1, 40):
            d = float(np.hypot(*(xy[i] - xy[j])))
            dd = abs(int((days[i] - days[j]).astype(int)))
            sb = "same location (0 m)" if d == 0 else next((k for k in range(3) if s[k] <= d < s[k + 1]), None)
            tb = next((k for k in range(3) if t[k] <= dd < t[k + 1]), None)
            if sb is not None and tb is not None:
                brute[(sb, tb)] += 1
    labels = {0: "[0,100) m excl. 0 m", 1: "[100,200) m", 2: "[200,300) m"}
    for row in table.itertuples():
        sb = row.spatial_band if row.spatial_band.startswith("same") else \
            {v: k for k, v in labels.items()}[row.spatial_band]
        tb = ["[0,3) days", "[3,7) days", "[7,14) days"].index(row.temporal_band)
        assert row.observed == brute[(sb, tb)], row
        assert 0 < row.p_value <= 1


def test__knox__refuses_month_only_dates():
    days = np.array(["2024-01-01", "2024-02-01", "2024-03-01"], dtype="datetime64[D]")
    with pytest.raises(knox.NeedsDayLevelDates, match="day-level"):
        knox.knox(np.zeros((3, 2)), days, [0, 100], [0, 7])


def test__lorenz_and_concentration_by_hand():
    counts = [6, 0, 3, 1, 0]  # 10 incidents, 5 places (two with none)
    places, share = hotspots.lorenz(counts)
    assert list(places) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert np.allclose(share, [0, 0.6, 0.9, 1.0, 1.0, 1.0])
    assert hotspots.share_of_places_for(counts, 0.5) == 0.2
    assert hotspots.share_of_places_for(counts, 0.25) == 0.2
    assert hotspots.share_of_places_for([1, 1, 1, 1], 0.5) == 0.5


def test__pai_by_hand():
    cells = [f"c{i}" for i in range(10)]
    now = {"c0": 9, "c1": 5, "c2": 1}
    nxt = {"c0": 4, "c1": 2, "c5": 4}
    r = hotspots.pai(now, nxt, cells, 0.2)  # top 2 cells capture 6 of 10
    assert (r["cells"], r["captured"], r["incidents"]) == (2, 6, 10)
    assert r["hit_rate"] == pytest.approx(0.6) and r["pai"] == pytest.approx(0.6 / 0.2)


def test__demo_build__hotspot_marts(demo_warehouse):
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    cols = [r[0] for r in con.execute("describe mart_hotspot_cells").fetchall()]
    assert cols[:6] == ["h3_cell", "h3_resolution", "incidents", "gi_z", "gi_p", "gi_class"]
    res = dict(con.execute("select h3_resolution, count(*) from mart_hotspot_cells group by 1").fetchall())
    assert set(res) == {8, 9} and res[9] > res[8] > 1000
    assert con.execute("select count(*) from mart_hotspot_cells where incidents = 0").fetchone()[0] > 0
    lo, hi = con.execute("select min(gi_class), max(gi_class) from mart_hotspot_cells").fetchone()
    assert -3 <= lo < 0 < hi <= 3  # 99 permutations in tests: p >= 0.01, so 99% is out of reach
    assert con.execute("select count(*) from mart_repeat_locations").fetchone()[0] > 0
    assert con.execute("""select count(*) from mart_repeat_locations where not (incidents_30d <= incidents_90d
        and incidents_90d <= incidents_180d and incidents_180d <= incidents_365d)""").fetchone()[0] == 0
    a = con.execute("select count(distinct authority_code) from mart_concentration").fetchone()[0]
    assert a == 10


POLICE_TOML = """
[[source]]
slug = "police-uk"
kind = "police_uk"
path = "{path}"
"""


@pytest.mark.skipif(not os.path.isdir(os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "real")),
                    reason="real police data absent")
def test__repeat_locations__match_raw_police_rows(tmp_path):
    folder = real_data("police_uk", "derbyshire")
    inputs = write_inputs(tmp_path / "in", POLICE_TOML.format(path=f"{folder}/*.csv"), {})
    _, con = run_build(inputs, as_of=dt.date(2024, 11, 30))
    raw = Counter()
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):  # window (2023-12-01, 2024-11-30]: months 2024-01..2024-11
                if r["Crime type"] == "Anti-social behaviour" and r["Longitude"] and "2024-01" <= r["Month"] <= "2024-11":
                    raw[h3.latlng_to_cell(float(r["Latitude"]), float(r["Longitude"]), 10)] += 1
    mart = dict(con.execute("select h3_cell, sum(incidents_365d) from mart_repeat_locations group by 1").fetchall())
    top = [c for c, _ in raw.most_common(50)]
    assert [mart.get(c) for c in top] == [raw[c] for c in top]
