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

from etl.marts import hotspots
from insight.queries import knox


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
    gi = hotspots.gi_star(cells, counts, permutations=999, seed=7)
    idx = {c: i for i, c in enumerate(cells)}
    w = W({i: [idx[n] for n in h3.grid_disk(c, 1) if n != c and n in idx] for c, i in idx.items()})
    g = G_Local(counts, w, transform="B", star=True, permutations=999, seed=7)
    assert np.allclose(gi["gi_z"], g.Zs) and np.allclose(gi["gi_p"], g.p_sim)
    assert np.allclose(gi["gi_z_perm"], g.z_sim) and np.allclose(gi["gi_p_perm"], 2 * g.p_z_sim)
    assert np.array_equal(gi["gi_class"], hotspots.gi_classes(g.Zs, g.p_sim))


@pytest.mark.parametrize(("rings", "seed", "permutations", "islands"), [
    (3, 7, 999, 0), (6, 12345, 499, 3), (9, 1, 99, 5), (2, 42, 999, 1)])
def test__gi_star__vectorised_permutations_equal_esda_exactly(rings, seed, permutations, islands):
    """gi_star draws esda's conditional permutations itself, over all cells at once (issue 15): the
    same pseudo p-values bit for bit, z-scores within 1e-9, the same classes, islands included
    (a cell with no neighbour in the set), on sparse and dense counts."""
    from esda.getisord import G_Local
    from libpysal.weights import W

    centre = h3.latlng_to_cell(53.0, -1.5, 9)
    far = [h3.latlng_to_cell(53.0 + 0.05 * k, -1.9, 9) for k in range(1, islands + 1)]
    cells = sorted(set(h3.grid_disk(centre, rings)) | set(far))
    rng = np.random.default_rng(seed)
    counts = np.where(rng.random(len(cells)) < 0.3, rng.poisson(4, len(cells)), 0).astype(float)
    counts[cells.index(centre)] = 25
    gi = hotspots.gi_star(cells, counts, permutations=permutations, seed=seed)
    idx = {c: i for i, c in enumerate(cells)}
    w = W({i: [idx[n] for n in h3.grid_disk(c, 1) if n != c and n in idx] for c, i in idx.items()},
          silence_warnings=True)
    g = G_Local(counts, w, transform="B", star=True, permutations=permutations, seed=seed)
    assert np.array_equal(gi["gi_p"], g.p_sim)
    assert np.allclose(gi["gi_z"], g.Zs, rtol=0, atol=1e-9)
    finite = np.isfinite(g.z_sim)
    assert np.allclose(gi["gi_z_perm"][finite], g.z_sim[finite], rtol=0, atol=1e-9)
    assert np.array_equal(gi["gi_class"], hotspots.gi_classes(g.Zs, g.p_sim))


def _every_cell(y: np.ndarray, observed: np.ndarray, cardinality: np.ndarray, permutations: int, seed: int):
    """The conditional permutations cell by cell, one row of simulations per cell, reduced in
    esda's layout: what the build's shortcut over distinct rows must equal bit for bit."""
    ids = hotspots.vec_permutations(int(cardinality.max()), len(y), permutations, seed)
    sims = np.empty((len(y), permutations))
    for i, k in enumerate(cardinality):
        drawn = np.delete(y, i)[ids[:, :k]].sum(axis=1)
        sims[i] = (drawn + (y[i] if k else 0.0)) / y.sum()
    larger = (sims >= observed[:, None]).sum(axis=1)
    larger = np.minimum(larger, permutations - larger)
    p_sim = ((larger + 1.0) / (permutations + 1.0)).astype(np.float32).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return p_sim, (observed - sims.T.mean(axis=0)) / sims.T.std(axis=0)


@pytest.mark.parametrize(("incidents", "islands", "chunk", "permutations"), [
    (3, 0, 4096, 999),      # a quiet month: nearly every cell shares its row of simulations
    (40, 2, 5, 199),        # rows made in small chunks, islands
    (400, 1, 4096, 99),     # dense: most cells have a row of their own
    (1, 0, 1, 9),           # one incident, one row per chunk
])
def test__gi_star__distinct_rows_equal_every_cell_bit_for_bit(incidents, islands, chunk, permutations):
    """The permutations are simulated once per distinct (drawn sums, own count), not once per
    cell (issue 15): p_sim and z_sim equal the cell-by-cell computation bit for bit, so the
    mart is unchanged (gi_z_perm and gi_p_perm included)."""
    centre = h3.latlng_to_cell(53.0, -1.5, 9)
    far = [h3.latlng_to_cell(53.0 + 0.05 * k, -1.9, 9) for k in range(1, islands + 1)]
    cells = sorted(set(h3.grid_disk(centre, 7)) | set(far))
    rng = np.random.default_rng(incidents)
    y = np.bincount(rng.integers(0, len(cells), incidents), minlength=len(cells)).astype(float)
    table = hotspots._neighbour_table(tuple(cells))
    cardinality = (table >= 0).sum(axis=1)
    observed = (np.where(table >= 0, y[np.maximum(table, 0)], 0.0).sum(axis=1) + y) / y.sum()
    got = hotspots._conditional_permutations(y, observed, cardinality, permutations, 12345, chunk=chunk)
    want = _every_cell(y, observed, cardinality, permutations, 12345)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a.view(np.int64), b.view(np.int64))


@pytest.mark.parametrize(("max_card", "n", "permutations", "seed"), [(6, 28_000, 99, 12345), (3, 8, 50, 1), (1, 2, 9, 7)])
def test__gi_star__its_permutations_and_fdr_are_esdas(max_card, n, permutations, seed):
    """The build does not import esda (1.5 s): its copies of vec_permutations and fdr equal esda's."""
    import esda
    from esda.crand import vec_permutations

    assert np.array_equal(hotspots.vec_permutations(max_card, n, permutations, seed),
                          vec_permutations(max_card, n, permutations, seed))
    rng = np.random.default_rng(seed)
    for p in (rng.random(500) ** 3, np.full(40, 0.001), np.linspace(0.2, 1, 30)):
        for alpha in (0.01, 0.05, 0.1):
            assert hotspots.fdr(p, alpha) == esda.fdr(p, alpha)


def test__gi_star__quiet_cells_are_not_cold_spots():
    """esda's p_sim gives every all-zero neighbourhood p = 0.001 (ties fold to the low tail);
    the classes must not call them 99% cold spots."""
    from esda.getisord import G_Local
    from libpysal.weights import W

    centre = h3.latlng_to_cell(53.0, -1.5, 9)
    cells = sorted(h3.grid_disk(centre, 8))
    counts = np.zeros(len(cells))
    rng = np.random.default_rng(5)
    for c in h3.grid_disk(centre, 1):
        counts[cells.index(c)] = rng.poisson(20)
    counts[rng.choice(len(cells), 20, replace=False)] += rng.poisson(3, 20)
    gi = hotspots.gi_star(cells, counts, permutations=999, seed=3)
    idx = {c: i for i, c in enumerate(cells)}
    w = W({i: [idx[n] for n in h3.grid_disk(c, 1) if n != c and n in idx] for c, i in idx.items()})
    g = G_Local(counts, w, transform="B", star=True, permutations=999, seed=3)
    quiet = [k for k, c in enumerate(cells) if all(counts[idx[n]] == 0 for n in h3.grid_disk(c, 1) if n in idx)]
    assert len(quiet) > 50 and np.allclose(g.p_sim[quiet], 0.001)  # the artefact, in esda itself
    assert (gi["gi_class"][quiet] == 0).all()
    hot = np.flatnonzero(gi["gi_class"] > 0)
    assert gi["gi_class"][cells.index(centre)] == 3  # the planted cluster
    assert all(gi["gi_z"][k] > 0 and gi["gi_p"][k] <= 0.10 for k in hot)


def test__gi_classes__fdr_thresholds_by_hand():
    # the analytical z's two-sided normal p-values: z 3 -> 0.0027, 2.5 -> 0.0124, 2 -> 0.0455, 0.1 -> 0.92.
    # Benjamini-Hochberg over the 5 at alpha 0.01 (k * 0.002): 0.0027, 0.0027 pass (<= 0.004) -> 99%;
    # at 0.05 (k * 0.01) 0.0124 passes too (<= 0.03), but cell 4's p_sim 0.2 > 0.05; at 0.10 (k * 0.02)
    # 0.0455 passes (<= 0.08) with p_sim 0.02 -> cell 2 at 90%; cell 4's p_sim fails 0.10 too -> 0
    z = np.array([3.0, -3.0, 2.0, 0.1, 2.5])
    p_sim = np.array([0.001, 0.001, 0.02, 0.4, 0.2])
    assert list(hotspots.gi_classes(z, p_sim)) == [3, -3, 1, 0, 0]
    assert list(hotspots.gi_classes(z, np.full(5, 0.001))) == [3, -3, 1, 0, 2]


def test__gi_star__a_cell_holding_a_cluster_is_hot_not_only_its_empty_neighbours():
    """Isolated busy cells among empty ones (a shop front, a park): the conditional permutations keep
    the cell's own count and shuffle its ring, so its permutation z is about 0 and its empty
    neighbours' is high. Classed on the analytical z (with the FDR over its p-values), the busy cells
    are hot spots, and every hot cell has incidents in it or beside it."""
    centre = h3.latlng_to_cell(53.0, -1.5, 9)
    cells = sorted(h3.grid_disk(centre, 10))
    counts = np.zeros(len(cells))
    rng = np.random.default_rng(11)
    busy = [cells.index(c) for c in (centre, *rng.choice([c for c in cells if h3.grid_distance(c, centre) >= 4],
                                                          3, replace=False))]
    for k, n in zip(busy, (11, 8, 6, 4), strict=True):
        counts[k] = n
    gi = hotspots.gi_star(cells, counts, permutations=999, seed=5)
    shown = [(counts[k], gi["gi_class"][k], gi["gi_z"][k]) for k in busy]
    assert all(gi["gi_class"][k] > 0 for k in busy[:3]), shown   # 11, 8 and 6 incidents (z 4.7, 4.0, 3.0)
    for k in busy[:3]:   # and at least as hot as any empty cell beside it
        ring = [cells.index(n) for n in h3.grid_disk(cells[k], 1) if n in cells and counts[cells.index(n)] == 0]
        assert gi["gi_class"][k] >= gi["gi_class"][ring].max(initial=0), shown
    near = {cells.index(n) for k in busy for n in h3.grid_disk(cells[k], 1) if n in cells}
    assert set(np.flatnonzero(gi["gi_class"] > 0)) <= near
    assert not (gi["gi_class"] < 0).any()   # an empty map is never a cold spot


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


def test__concentration__counts_places_with_incidents_so_empty_fields_change_nothing():
    """Issue 16, item 11: two districts with the same streets, one with many more empty (rural)
    cells, have the same concentration; places are the cells with at least one incident."""
    con = duckdb.connect()
    con.execute("create table incidents (authority_code varchar, h3_r10 varchar, reported_date date)")
    rows = [("T", "a", "2026-05-01")] * 6 + [("T", "b", "2026-05-02")] * 3 + [("T", "c", "2026-05-03")]
    rows += [("R", "d", "2026-05-01")] * 6 + [("R", "e", "2026-05-02")] * 3 + [("R", "f", "2026-05-03")]
    con.executemany("insert into incidents values (?, ?, ?)", rows)
    town = ["a", "b", "c", "t1"]
    rural = ["d", "e", "f"] + [f"field{i}" for i in range(500)]
    out = hotspots._concentration(con, hotspots._with_all({"T": town, "R": rural}), dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    first = out.groupby("authority_code").first()
    assert first.loc["T", "places"] == first.loc["R", "places"] == 3
    assert first.loc["T", "places_for_50pct"] == first.loc["R", "places_for_50pct"] == pytest.approx(1 / 3)
    assert first.loc["all", "places"] == 6


def test__concentration__a_place_s_incidents_count_whichever_authority_sent_them():
    """A place (a resolution-10 cell) belongs to the authority its centre lies in, and its ASB is
    every incident in it: an incident an authority sent from just over its border counts in the
    place's authority, as in the accuracy mart, so the authorities' rows add up to all nine's.
    Before, such an incident counted in no authority's row (found by a black-box audit)."""
    con = duckdb.connect()
    con.execute("create table incidents (authority_code varchar, h3_r10 varchar, reported_date date)")
    rows = [("D", "border", "2026-05-01")] * 3 + [("E", "border", "2026-05-02")] * 3 + [("E", "e1", "2026-05-03")] * 2
    con.executemany("insert into incidents values (?, ?, ?)", rows)
    out = hotspots._concentration(con, hotspots._with_all({"D": ["border", "d1"], "E": ["e1", "e2"]}),
                                  dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    first = out.groupby("authority_code").first()
    assert (first.loc["D", "incidents"], first.loc["D", "places"]) == (6, 1)
    assert (first.loc["E", "incidents"], first.loc["E", "places"]) == (2, 1)
    assert first.loc["all", "incidents"] == first.loc["D", "incidents"] + first.loc["E", "incidents"] == 8


def test__hotspot_cells__each_cell_knows_the_fewest_incidents_of_a_busy_cell_in_its_window():
    """`window_least_incidents`: the fewest incidents of a cell with any among the cell and its six
    neighbours (the cells its Gi* is computed from), 0 when none has any. The disclosure rule
    shows a Z only where that is 0 or at least k (insight/access/roles.py)."""
    centre = h3.latlng_to_cell(53.0, -1.5, 9)
    cells = sorted(h3.grid_disk(centre, 3))
    counts = np.zeros(len(cells))
    ring = sorted(h3.grid_ring(centre, 1))
    counts[cells.index(centre)], counts[cells.index(ring[0])] = 12, 2
    least = hotspots.window_least(cells, counts)
    assert least[cells.index(centre)] == 2 and least[cells.index(ring[0])] == 2
    far = next(c for c in cells if h3.grid_distance(c, centre) == 3 and h3.grid_distance(c, ring[0]) > 1)
    assert least[cells.index(far)] == 0
    # a cell next to the centre alone (not to the 2) sees 12
    alone = next(c for c in ring[1:] if h3.grid_distance(c, ring[0]) > 1)
    assert least[cells.index(alone)] == 12


def test__accuracy_mart_by_hand(tmp_path):
    """The mart's hit rate and PAI for one authority, recomputed from the incident rows."""
    con = duckdb.connect()
    near, far = h3.latlng_to_cell(53.0, -1.5, 9), h3.latlng_to_cell(53.2, -1.6, 9)
    con.execute("create table incidents (h3_r9 varchar, h3_r10 varchar, reported_date date)")
    rows = [(near, "2026-01-10")] * 6 + [(far, "2026-02-01")] * 2 + [(near, "2026-07-01")] * 3 \
        + [(far, "2026-08-01")] * 1 + [("other", "2026-09-01")] * 4
    con.executemany("insert into incidents values (?, null, ?)", rows)
    cells = [near, far] + [f"z{i}" for i in range(98)]
    out = hotspots._accuracy(con, {9: hotspots._with_all({"X": cells})}, dt.date(2026, 10, 31))
    row = out[(out.authority_code == "X") & (out.top_share == 0.01)].iloc[0]
    # top 1% of 100 cells = the busiest cell of Nov 2025 - Apr 2026 (near: 6) captures 3 of the
    # 4 later incidents inside X's cells ("other" lies outside)
    assert (row.cells, row.captured, row.incidents) == (1, 3, 4)
    assert row.hit_rate == pytest.approx(0.75) and row.pai == pytest.approx(75.0)
    assert str(row.period_start) == "2025-11-01" and str(row.period_mid) == "2026-04-30"


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
    assert -3 <= lo and 0 < hi <= 3
    assert con.execute("select count(*) from mart_repeat_locations").fetchone()[0] > 0
    assert con.execute("""select count(*) from mart_repeat_locations where not (incidents_30d <= incidents_90d
        and incidents_90d <= incidents_180d and incidents_180d <= incidents_365d)""").fetchone()[0] == 0
    a = con.execute("select count(distinct authority_code) from mart_concentration").fetchone()[0]
    assert a == 10
    classes = dict(con.execute("select gi_class, count(*) from mart_hotspot_cells where h3_resolution = 9 "
                               "group by 1").fetchall())
    assert classes.get(-3, 0) + classes.get(-2, 0) + classes.get(-1, 0) < 0.01 * res[9]  # no quiet-area artefact
    acc = con.execute("select * from mart_hotspot_accuracy where authority_code = 'all' and top_share = 0.05 "
                      "and h3_resolution = 9").df().iloc[0]
    assert 0 < acc.hit_rate <= 1 and acc.pai > 1  # demo ASB is concentrated: top cells beat chance


POLICE_TOML = """
[[source]]
slug = "police-uk"
kind = "police_uk"
path = "{path}"
"""


@pytest.mark.skipif(not os.path.isdir(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "real")),
                    reason="real police data absent")
def test__repeat_locations__match_raw_police_rows(tmp_path):
    folder = real_data("police_uk", "derbyshire")
    inputs = write_inputs(tmp_path / "in", POLICE_TOML.format(path=f"{folder}/*.csv"), {})
    _, con = run_build(inputs, as_of=dt.date(2024, 11, 30))
    raw = Counter()
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):  # the 12 months to November 2024: 2023-12..2024-11
                if r["Crime type"] == "Anti-social behaviour" and r["Longitude"] and "2023-12" <= r["Month"] <= "2024-11":
                    raw[h3.latlng_to_cell(float(r["Latitude"]), float(r["Longitude"]), 10)] += 1
    mart = dict(con.execute("select h3_cell, sum(incidents_365d) from mart_repeat_locations group by 1").fetchall())
    top = [c for c, _ in raw.most_common(50)]
    assert [mart.get(c) for c in top] == [raw[c] for c in top]


POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                 "Crime type,Last outcome category,Context")


def _police_months(counts: dict[str, int]) -> str:
    """A police.uk street file: counts[month] ASB rows at one point in Ilkeston (Erewash), month by month."""
    rows = [POLICE_HEADER]
    for month, n in counts.items():
        rows += [f",{month},Derbyshire Constabulary,Derbyshire Constabulary,-1.309900,52.970000,"
                 f"On or near Market Place,,,Anti-social behaviour,," for _ in range(n)]
    return "\n".join(rows) + "\n"


def _months_back(day: dt.date, n: int) -> list[str]:
    """'YYYY-MM' of the month of `day` and the n - 1 months before it, latest first."""
    out, y, m = [], day.year, day.month
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out


def _whole_month_windows(counts: dict[str, int], as_of: dt.date) -> tuple[int, ...]:
    """(30d, 90d, 180d, 365d, previous 90d) of month-only rows: the 1, 3, 6 and 12 months to the
    as-of date's month, and the 3 months before the last 3."""
    months = _months_back(as_of, 12)

    def back(first: int, last: int) -> int:
        return sum(counts.get(months[b], 0) for b in range(first, last + 1))

    return back(0, 0), back(0, 2), back(0, 5), back(0, 11), back(3, 5)


@pytest.mark.parametrize("as_of", [dt.date(2024, 10, 31), dt.date(2024, 10, 1), dt.date(2024, 10, 15),
                                   dt.date(2024, 2, 29), dt.date(2024, 9, 30), dt.date(2025, 2, 28)])
def test__repeat_locations__count_month_only_police_rows_by_whole_months(tmp_path, as_of):
    """police.uk dates every incident to the 1st of its month: the 30/90/180/365-day windows read
    it as the 1/3/6/12 months to the as-of date's month, at any day of that month (as of 31 October
    the 30 days held none of October's rows, the 90 days two months against three before, the 365
    days eleven months). The same at another as-of date on the page (the kept top 50 and a longer
    list, evaluated live: the police sources then come from etl_loads)."""
    from insight import db
    from insight.queries import maps

    counts = {month: back + 1 for back, month in enumerate(_months_back(as_of, 15))}  # m months back: m + 1 rows
    inputs = write_inputs(tmp_path / "in", POLICE_TOML.format(path="police/*.csv"),
                          {"police/street.csv": _police_months(counts)})
    _, con = run_build(inputs, as_of=as_of)
    row = con.execute("select incidents_30d, incidents_90d, incidents_180d, incidents_365d, incidents_prev_90d "
                      "from mart_repeat_locations").fetchall()
    con.close()
    assert row == [_whole_month_windows(counts, as_of)]
    earlier = as_of.replace(day=1) - dt.timedelta(days=1)   # the end of the month before
    con = db.connect(tmp_path / "in" / ".." / "warehouse.duckdb")
    windows = ["incidents_30d", "incidents_90d", "incidents_180d", "incidents_365d", "incidents_prev_90d"]
    for per_authority in (hotspots.REPEAT_LIST, hotspots.REPEAT_LIST + 10):
        live = maps.repeat_locations(con, ("E07000036",), earlier, as_of, per_authority=per_authority)
        assert [tuple(r) for r in live[windows].itertuples(index=False)] == [_whole_month_windows(counts, earlier)]
    con.close()
