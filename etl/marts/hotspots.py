"""Hotspots, repeat locations, concentration, hotspot accuracy and near repeats on H3 cells.

The registry (etl/marts/registry.py) materialises, as of the build's as-of date D, with the
frame functions at the end of this module and the SQL of mart_repeat_locations: `mart_hotspot_cells` (Getis-Ord
Gi* per DESIGN.md on every H3 cell of resolutions 8 and 9 whose centre lies in the nine
districts, zero counts included, over the 12 months (D - 12 months, D]; weights are the cell and
its k=1 ring, binary, self included; 999 conditional permutations with seed 12345, which the
test suite lowers with ASB_GI_PERMUTATIONS to save time; `gi_class` is explained in `gi_star`
and `gi_classes`), `mart_repeat_locations` (a location is an H3
resolution-10 cell, about 15,000 m²: police points are snapped, so a cell aggregates them) and
`mart_concentration` (Lorenz curves over every resolution-10 cell whose centre lies in the
authority, including cells with none) and `mart_hotspot_accuracy` (hit rate and PAI of the top
1/5/10% of cells, see `_accuracy`). Emerging hotspots (a trend test across months) are not
built: the installed esda (2.9) has no space-time trend test. Resolution 10 is left out of Gi* at build time: about
196,000 cells make 999 permutations too slow. `knox` is a function for the pages;
`knox` refuses month-only dates (police files), which would give nonsense.
"""

from __future__ import annotations

import datetime as dt
import functools
import os

import duckdb
import h3
import numpy as np
import pandas as pd

from etl import cache
from etl.rules.periods import months_before

GI_RESOLUTIONS = (8, 9)
# A repeat location is a street-level place: an H3 resolution-10 cell (about 15,000 m²; police
# points are snapped, so a cell aggregates them). mart_repeat_locations ranks these cells (its SQL
# names h3_r10), the Overview counts those with REPEAT_LOCATION_MIN_INCIDENTS or more.
REPEAT_LOCATION_RESOLUTION = 10
REPEAT_LOCATION_MIN_INCIDENTS = 3
# The busiest repeat locations of each authority a page lists; at another as-of date a page keeps
# these alone (mart_repeat_locations `$top`), their reporters, location and types gathered for them
# alone (0.62 s against 0.45 s at ten million incidents, issue 15).
REPEAT_LIST = 50
PERMUTATIONS = 999
SEED = 12345
LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))


def district_cells(districts, resolution: int) -> dict[str, list[str]]:
    """H3 cells whose centre lies in each district (`districts`: authority_code, EPSG:27700)."""
    cells = district_cell_arrays(districts, resolution)
    return {code: cells[code].tolist() for code in districts["authority_code"]}


def district_cell_arrays(districts, resolution: int) -> dict[str, np.ndarray]:
    """`district_cells` as sorted, read-only arrays, and "all": their union, each cell once. Kept
    for the process per outline and resolution (every build over the same districts asks again)
    and between processes (etl/cache.py): the 196,000 resolution-10 cells as Python strings, and
    their union, took 0.4 s of every build (issue 15)."""
    key = tuple(zip(districts["authority_code"], districts.geometry.to_wkb(), strict=True))
    return _district_cells(key, districts.crs.to_string(), resolution)


@functools.lru_cache(maxsize=8)
def _district_cells(key: tuple[tuple[str, bytes], ...], crs: str, resolution: int) -> dict[str, np.ndarray]:
    def compute() -> dict[str, np.ndarray]:
        import geopandas as gpd
        import shapely

        wgs = gpd.GeoSeries([shapely.from_wkb(wkb) for _, wkb in key], crs=crs).to_crs(4326)
        return {code: np.array(sorted(h3.geo_to_cells(geom.__geo_interface__, resolution)), dtype=str)
                for (code, _), geom in zip(key, wgs, strict=True)}

    parts = (crs, resolution, *(p for pair in key for p in pair))
    found = cache.arrays(f"h3-cells-r{resolution}", parts, compute)
    per = {code: found[code] for code, _ in key}
    per["all"] = cache.arrays(f"h3-cells-all-r{resolution}", parts, lambda: {"all": _with_all(per)["all"]})["all"]
    for cells in per.values():
        cells.flags.writeable = False  # shared by every caller in the process
    return per


def gi_star(cells: list[str], counts: np.ndarray, permutations: int = PERMUTATIONS,
            seed: int = SEED) -> dict[str, np.ndarray]:
    """Gi* (esda G_Local, star, binary k=1 H3 weights, conditional permutations, fixed seed),
    computed here on arrays over all cells at once: esda's own per-cell loop and its weights
    objects took 9 s of every build over the nine districts (issue 15). tests/unit/test_hotspots.py
    holds it to esda run directly: the same p-values, z-scores within 1e-9, the same classes.

    Returns the columns of `mart_hotspot_cells`: `gi_z` (esda's analytical `Zs`) and `gi_p`
    (esda's pseudo p-value `p_sim`) as the DESIGN.md contract says; `gi_z_perm` (esda's `z_sim`:
    G standardised by the mean and spread of its permutations) with `gi_p_perm`, its two-sided
    normal p-value (2 x esda's `p_z_sim`), for reference; and `gi_class` from `gi_classes` (the
    analytical z's p-values after the false-discovery-rate correction, `p_sim` too).

    Why the class does not come from `p_sim` alone: its floor of 1/(permutations + 1) = 0.001
    cannot pass a false-discovery-rate threshold over ~28,000 cells unless thousands of cells
    sit at the floor, and esda counts ties as "larger" before folding, so every cell with no
    incidents nearby (G = 0, as are many simulated values) gets p_sim = 0.001. On the demo
    that made 18,000 of 28,000 cells "99% cold spots". Nor from the permutation z (`gi_classes`)."""
    y = np.asarray(counts, dtype=float)
    others = _neighbour_table(tuple(cells))            # (n, 6): the k=1 ring's indices, -1 padded
    present = others >= 0
    ring_sum = np.where(present, y[np.where(present, others, 0)], 0.0).sum(axis=1)
    cardinality = present.sum(axis=1)
    gs, zs = _analytical_star(y, ring_sum, cardinality)
    if permutations and y.sum() > 0:
        p_sim, z_perm = _conditional_permutations(y, gs, cardinality, permutations, seed)
    else:
        p_sim, z_perm = np.ones(len(cells)), np.full(len(cells), np.nan)
    # scipy.stats.norm.sf(x) is ndtr(-x); scipy.stats costs 0.8 s to import, scipy.special 0.2-0.4 s,
    # so only here (`asb build` imports it in the background while it loads the files, etl/cli.py)
    from scipy.special import ndtr

    finite = np.isfinite(z_perm)  # a cell whose permutations never vary gives no evidence
    p_perm = np.where(finite, 2 * ndtr(-np.abs(np.where(finite, z_perm, 0.0))), 1.0)
    z_perm = np.where(finite, z_perm, 0.0)
    return {"gi_z": zs, "gi_p": p_sim, "gi_class": gi_classes(zs, p_sim),
            "gi_z_perm": z_perm, "gi_p_perm": p_perm}


def window_least(cells: list[str], counts: np.ndarray) -> np.ndarray:
    """Per cell, the fewest incidents of a cell with any in its Gi* window (the cell and its k=1
    ring among `cells`), 0 when none has any: a Z, p-value or class is computed from every count of
    its window, so the disclosure rule shows them only where this is 0 or at least k."""
    y = np.asarray(counts, dtype=float)
    others = _neighbour_table(tuple(cells))
    window = np.column_stack([y, np.where(others >= 0, y[np.where(others >= 0, others, 0)], 0.0)])
    least = np.where(window > 0, window, np.inf).min(axis=1)
    return np.where(np.isfinite(least), least, 0.0)


@functools.lru_cache(maxsize=4)
def _neighbour_table(cells: tuple[str, ...]) -> np.ndarray:
    """For each cell, the indices of its k=1 ring that are in `cells` (-1 padded to 6). Kept for
    the process: every build over the real districts asks for the same cells."""
    def compute() -> dict[str, np.ndarray]:
        index = {c: i for i, c in enumerate(cells)}
        table = np.full((len(cells), 6), -1, dtype=np.int64)
        for i, cell in enumerate(cells):
            ring = [index[n] for n in h3.grid_ring(cell, 1) if n in index]
            table[i, :len(ring)] = sorted(ring)
        return {"table": table}

    return cache.arrays("h3-rings", ("\n".join(cells),), compute)["table"]


def _analytical_star(y: np.ndarray, ring_sum: np.ndarray, ring_size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gi* and its analytical z-score (esda's G_Local.calc, star, binary weights with a self-weight
    of 1, written out on the ring sums, in esda's order of operations): (Gs, Zs)."""
    n = len(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = (ring_sum + y) / y.sum()
        empirical_mean = y.sum() / n
        empirical_variance = (y ** 2).sum() / n - empirical_mean ** 2
        cardinality = (ring_size + 1).astype(float)
        expected_value = cardinality / n
        expected_variance = cardinality * (n - cardinality)
        expected_variance /= n - 1
        expected_variance *= 1 / n ** 2
        expected_variance *= empirical_variance / (empirical_mean ** 2)
        return statistic, (statistic - expected_value) / np.sqrt(expected_variance)


def _conditional_permutations(y: np.ndarray, observed: np.ndarray, cardinality: np.ndarray,
                              permutations: int, seed: int, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """esda's conditional randomisation of Gi* (crand with `_g_local_star_crand`, binary weights,
    alternative 'directed'), for all cells at once instead of one at a time. The same permuted ids
    (esda's `vec_permutations`: per permutation, max-cardinality ids drawn from the n - 1 other
    cells, shared by every cell; id j of "the others of cell i" is cell j below i, j + 1 from i
    on); the same statistic (the first k_i drawn values plus the cell's own, over the total; an
    island, k_i = 0, gets 0 as in esda); the same folded pseudo p-value stored as float32; the
    mean and spread of the simulations reduced in esda's layout. Returns (p_sim, z_sim).

    Cells that draw the same sums and have the same count simulate the same values, so each such
    row of simulations is made once (`_drawn_sums`): over sparse counts (a month of police rows,
    1,000 incidents in 28,000 cells) a few thousand rows instead of one per cell, which took 2 s
    of a small build (issue 15). Each row is reduced as esda reduces it (a (permutations, cells)
    view, mean and spread over axis 0, pairwise per row), so the figures are bit for bit those of
    computing every cell; tests/unit/test_hotspots.py holds both."""
    n = len(y)
    ids = vec_permutations(int(cardinality.max()) if n else 0, n, permutations, seed)   # (P, K)
    sums, row = _drawn_sums(y, ids, cardinality)
    own = np.where(cardinality > 0, y, 0.0)
    total = y.sum()
    # one row of simulations per distinct (drawn sums, own count); one count of "larger" per
    # distinct (row of simulations, observed statistic)
    (sim_row, sim_own), sim_of_cell = _distinct(row, own)
    (test_sim, test_observed), test_of_cell = _distinct(sim_of_cell, observed)
    larger = np.empty(len(test_sim), dtype=np.int64)
    mean, spread = np.empty(len(sim_row)), np.empty(len(sim_row))
    for start in range(0, len(sim_row), chunk):
        rows = slice(start, min(start + chunk, len(sim_row)))
        sims = (sums[sim_row[rows]] + sim_own[rows, None]) / total                 # (rows, P)
        by_permutation = sims.T   # esda reduces (P, n) over axis 0
        mean[rows], spread[rows] = by_permutation.mean(axis=0), by_permutation.std(axis=0)
        tests = np.flatnonzero((test_sim >= rows.start) & (test_sim < rows.stop))
        larger[tests] = (sims[test_sim[tests] - rows.start] >= test_observed[tests, None]).sum(axis=1)
    larger = larger[test_of_cell]
    larger = np.where(permutations - larger < larger, permutations - larger, larger)
    p_sim = ((larger + 1.0) / (permutations + 1.0)).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_sim = (observed - mean[sim_of_cell]) / spread[sim_of_cell]
    return p_sim.astype(float), z_sim


def _drawn_sums(y: np.ndarray, ids: np.ndarray, cardinality: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sums of the values each cell draws in each permutation, as distinct rows: (sums (m, P),
    row of each cell). For cells with k neighbours, the drawn sum is the permutation's prefix sum
    of the values at the ids (one per permutation, shared by the group) plus, for each drawn id t,
    the step y[t + 1] - y[t] for every cell i <= t. A step is non-zero only next to a cell with
    incidents, so along the group's cells the sums change only where such a step stops applying:
    the group splits into runs of cells that share one row. Counts are whole numbers, so every
    sum is exact in whatever order it is added."""
    n, (permutations, width) = len(y), ids.shape
    below = y[ids]
    step_up = y[np.minimum(ids + 1, n - 1)] - below
    prefix = np.concatenate([np.zeros((permutations, 1)), np.cumsum(below, axis=1)], axis=1)  # (P, K + 1)
    blocks, row = [], np.empty(n, dtype=np.int64)
    for k in range(width + 1):
        group = np.flatnonzero(cardinality == k)
        if not len(group):
            continue
        moved, column = np.nonzero(step_up[:, :k])
        step = step_up[moved, column]
        reach = np.searchsorted(group, ids[moved, column], side="right")   # the step applies to group[:reach]
        starts = np.union1d([0], reach[reach < len(group)])               # where a run of equal sums begins
        stops = np.searchsorted(starts, reach)                             # len(starts): every cell
        changes = np.bincount(stops * permutations + moved, weights=-step, minlength=(len(starts) + 1) * permutations)
        changes = changes.reshape(len(starts) + 1, permutations)
        changes[0] += np.bincount(moved, weights=step, minlength=permutations)
        row[group] = sum(len(b) for b in blocks) + np.searchsorted(starts, np.arange(len(group)), side="right") - 1
        blocks.append(prefix[:, k][None, :] + np.cumsum(changes[:-1], axis=0))
    return (np.concatenate(blocks) if blocks else np.zeros((0, permutations))), row


def _distinct(first: np.ndarray, second: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """The distinct pairs (first[i], second[i]) as two arrays, and each i's pair."""
    order = np.lexsort((second, first))
    a, b = first[order], second[order]
    new = np.concatenate([[True], (a[1:] != a[:-1]) | (b[1:] != b[:-1])]) if len(a) else np.zeros(0, bool)
    of = np.empty(len(first), dtype=np.int64)
    of[order] = np.cumsum(new) - 1
    return (a[new], b[new]), of


def vec_permutations(max_card: int, n: int, permutations: int, seed: int) -> np.ndarray:
    """esda.crand.vec_permutations without numba (as esda runs it here): per permutation,
    `max_card` ids drawn from range(n - 1) without replacement, after seeding numpy's legacy
    generator with `seed`. Written out because importing esda (and libpysal) costs every build
    1.5 s; tests/unit/test_hotspots.py holds the two equal. The draws depend on the four numbers
    only and take 0.7 s for the resolution-9 cells, so they are cached (etl/cache.py)."""
    def compute() -> dict[str, np.ndarray]:
        rng = np.random.RandomState(seed)
        out = np.empty((permutations, max_card), dtype=np.int64)
        for k in range(permutations):
            out[k] = rng.choice(n - 1, size=max_card, replace=False)
        return {"ids": out}

    return cache.arrays("permutations", (max_card, n, permutations, seed), compute)["ids"]


def fdr(pvalues: np.ndarray, alpha: float = 0.05) -> float:
    """esda.fdr: the Benjamini-Hochberg p-value cut-off at `alpha` (alpha / n when none passes)."""
    n = len(pvalues)
    p_sort = np.sort(pvalues)[::-1]
    p_fdr = np.arange(n, 0, -1) * alpha / n
    passed = np.flatnonzero(p_sort < p_fdr)
    return alpha / n if len(passed) == 0 else p_fdr[passed[0]]


def gi_classes(z: np.ndarray, p_sim: np.ndarray) -> np.ndarray:
    """-3..3: hot (+) / cold (-) at 99/95/90% confidence, else 0, by the sign of the analytical z.
    A cell reaches a level when the two-sided normal p-value of its analytical z (`Zs`, as hot spot
    analysis reads Gi*) passes the Benjamini-Hochberg threshold at that alpha (esda's `fdr` over all
    cells of the resolution) and `p_sim` <= alpha too.

    Not the permutation z: esda's conditional permutations keep a cell's own count and shuffle its
    ring, so a busy cell among quiet ones scores about 0 (its own count is in every draw) while its
    empty neighbours score high; classed on it, the cells holding the incidents were never hot and
    their empty neighbours were. Not `p_sim` alone: its floor (0.001) cannot pass the FDR over
    28,000 cells, and its ties make every empty neighbourhood p = 0.001."""
    from scipy.special import ndtr

    z, p_sim = np.asarray(z, dtype=float), np.asarray(p_sim, dtype=float)
    finite = np.isfinite(z)
    p_norm = np.where(finite, 2 * ndtr(-np.abs(np.where(finite, z, 0.0))), 1.0)
    sign = np.where(finite, np.sign(np.where(finite, z, 0.0)), 0).astype(int)
    out = np.zeros(len(z), dtype=int)
    for level, alpha in reversed(LEVELS):
        significant = (p_norm <= fdr(p_norm, alpha)) & (p_sim <= alpha)
        out[significant] = level * sign[significant]
    return out


def hotspot_cells(con, districts, as_of: dt.date, resolutions: tuple[int, ...] = GI_RESOLUTIONS,
                  start: dt.date | None = None) -> pd.DataFrame:
    """The `mart_hotspot_cells` frame for resolutions 8 and 9 over (as_of - 12 months, as_of]
    (or over [start, as_of] at the given resolutions: the board pack's month)."""
    start = start or months_before(as_of, 12) + dt.timedelta(days=1)
    frames = []
    for res in resolutions:
        per = district_cell_arrays(districts, res)
        cells = per["all"]
        district = np.empty(len(cells), dtype=object)
        for code in districts["authority_code"]:  # a cell in two outlines goes to the later one
            district[np.searchsorted(cells, per[code])] = code
        found = con.execute(f"""select h3_r{res} as cell, count(*) as n from incidents where h3_r{res} is not null
            and reported_date between ? and ? group by 1""", [start, as_of]).fetchnumpy()
        (counts,) = _aligned(cells, found["cell"].astype(str), found["n"])
        gi = gi_star(cells.tolist(), counts, int(os.environ.get("ASB_GI_PERMUTATIONS", PERMUTATIONS)))
        frames.append(pd.DataFrame({"h3_cell": cells, "h3_resolution": res, "incidents": counts.astype(int),
                                    **gi, "authority_code": district,
                                    "window_least_incidents": window_least(cells.tolist(), counts).astype(int)}))
    frame = pd.concat(frames, ignore_index=True)
    frame["period_start"], frame["period_end"] = start, as_of
    return frame


def lorenz(counts) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz points (share of places, share of incidents), places sorted by count, most first."""
    c = np.sort(np.asarray(counts, dtype=float))[::-1]
    total = c.sum()
    places = np.arange(len(c) + 1) / max(len(c), 1)
    share = np.concatenate([[0.0], np.cumsum(c) / total]) if total else np.zeros(len(c) + 1)
    return places, share


def share_of_places_for(counts, target: float) -> float:
    """The smallest share of places (most first) that produced at least `target` of incidents."""
    places, share = lorenz(counts)
    if share[-1] == 0:
        return float("nan")
    return float(places[np.argmax(share >= target - 1e-12)])


def pai(current: dict[str, int], following: dict[str, int], cells: list[str], top_share: float) -> dict:
    """Hit rate n/N and PAI = (n/N)/(a/A): the top `top_share` of `cells` by `current` counts
    (ties by cell id) tested on `following` counts; areas are equal for cells of one resolution."""
    cells = sorted(cells)
    now = np.array([current.get(c, 0) for c in cells], dtype=float)
    nxt = np.array([following.get(c, 0) for c in cells], dtype=float)
    return _pai(now, nxt, top_share)


def _pai(now: np.ndarray, nxt: np.ndarray, top_share: float, order: np.ndarray | None = None) -> dict:
    """`pai` on count arrays over cells sorted by id (`order`: their ranking, most first, ties by
    id, when already made)."""
    order = np.argsort(-now, kind="stable") if order is None else order
    a = max(1, int(round(top_share * len(now))))
    n_total = int(nxt.sum())
    n = int(nxt[order[:a]].sum())
    hit = n / n_total if n_total else float("nan")
    return {"cells": a, "all_cells": len(now), "captured": n, "incidents": n_total,
            "hit_rate": hit, "pai": hit / (a / len(now)) if n_total else float("nan")}


CHANGE_Z_LIMIT = 2.0


def change_z(current, baseline):
    """Poisson change Z = 2(sqrt(current) - sqrt(baseline)): the square root makes a Poisson count's
    variance about 1/4, so |Z| > CHANGE_Z_LIMIT is a change beyond normal variation. The one
    statement of the rule in Python; etl/sql/marts/mart_repeat_locations.sql applies the same in SQL."""
    return 2 * (np.sqrt(current) - np.sqrt(baseline))


def is_significant_change(current, baseline):
    """|change_z| > CHANGE_Z_LIMIT (element-wise for arrays)."""
    return np.abs(change_z(current, baseline)) > CHANGE_Z_LIMIT


def concentration(con, districts, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The `mart_concentration` frame (Lorenz points and "X% of places" per authority and "all")
    over [start, end], for any period (the board pack's month)."""
    return _concentration(con, district_cell_arrays(districts, 10), start, end)


def _with_all(per: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """Each district's cells as a sorted array, and "all": their union."""
    arrays = {code: np.sort(np.asarray(cells, dtype=str)) for code, cells in per.items()}
    arrays["all"] = np.unique(np.concatenate(list(arrays.values()))) if arrays else np.array([], dtype=str)
    return arrays


def _aligned(cells: np.ndarray, found: np.ndarray, *values: np.ndarray) -> list[np.ndarray]:
    """`values` of the `found` cells summed onto the sorted `cells` (zero elsewhere; a found cell
    not in `cells` is left out), as reindexing would, with a binary search instead of a 200,000
    row pandas index per authority."""
    out = [np.zeros(len(cells)) for _ in values]
    if not len(cells) or not len(found):
        return out
    pos = np.minimum(np.searchsorted(cells, found), len(cells) - 1)
    hit = cells[pos] == found
    for a, v in zip(out, values, strict=True):
        np.add.at(a, pos[hit], np.asarray(v, dtype=float)[hit])
    return out


def _concentration(con, per: dict[str, np.ndarray], start: dt.date, as_of: dt.date) -> pd.DataFrame:
    """`per`: each district's sorted cells and "all" (`_with_all`)."""
    # a place is the authority's whose outline holds its centre, and its ASB is every incident in
    # it, whichever authority sent it (one sent from just over a border counted in no row before)
    found = con.execute("select h3_r10, count(*) as n from incidents where h3_r10 is not null "
                        "and reported_date between ? and ? group by all", [start, as_of]).df()
    rows = []
    for code, cells in per.items():
        (counts,) = _aligned(cells, found["h3_r10"].to_numpy(dtype=str), found["n"].to_numpy())
        # places that had incidents: counting the empty cells too would make a rural district, most
        # of whose cells are fields, look concentrated and no district comparable with another
        counts = counts[counts > 0]
        places, share = lorenz(counts)
        # ~200 points spaced evenly on a log scale of places: the curve's shape is in its first 1%
        keep = np.unique(np.concatenate([[0, len(places) - 1], np.round(np.geomspace(1, len(places) - 1, 200))
                                         ])).astype(int) if len(places) > 1 else np.array([0])
        rows.append(pd.DataFrame({
            "authority_code": code, "places": len(counts), "incidents": int(counts.sum()),
            "places_for_50pct": share_of_places_for(counts, 0.5),
            "places_for_25pct": share_of_places_for(counts, 0.25),
            "point": range(len(keep)), "share_of_places": places[keep], "share_of_incidents": share[keep]}))
    return pd.concat(rows, ignore_index=True)


ACCURACY_RESOLUTIONS = (9, 10)
ACCURACY_TOP_SHARES = (0.01, 0.05, 0.10)


def _accuracy(con, per_resolution: dict[int, dict[str, np.ndarray]], as_of: dt.date) -> pd.DataFrame:
    """Hotspot accuracy per authority (and "all": `per_resolution` holds `_with_all` of each
    resolution's cells): the top cells of the six months (D - 12 months, D - 6 months] tested on
    the next six months (D - 6 months, D]."""
    mid, start = months_before(as_of, 6), months_before(as_of, 12)
    rows = []
    for res, per in per_resolution.items():
        found = con.execute(f"""select h3_r{res} as cell, count(*) filter (where reported_date <= $mid) as now,
                count(*) filter (where reported_date > $mid) as next
            from incidents where h3_r{res} is not null and reported_date > $start and reported_date <= $as_of
            group by 1""", {"mid": mid, "start": start, "as_of": as_of}).df()
        for code, cells in per.items():
            now, nxt = _aligned(cells, found["cell"].to_numpy(dtype=str), found["now"].to_numpy(), found["next"].to_numpy())
            order = np.argsort(-now, kind="stable")
            for share in ACCURACY_TOP_SHARES:
                rows.append({"authority_code": code, "h3_resolution": res, "top_share": share,
                             **_pai(now, nxt, share, order)})
    out = pd.DataFrame(rows)
    out["period_start"], out["period_mid"], out["period_end"] = start + dt.timedelta(days=1), mid, as_of
    return out


def _district_cells_cached(context, resolution: int) -> dict[str, np.ndarray]:
    if resolution not in context.cells:
        context.cells[resolution] = district_cell_arrays(context.districts, resolution)
    return context.cells[resolution]


def cells_frame(con: duckdb.DuckDBPyConnection, context) -> pd.DataFrame:
    """`mart_hotspot_cells` as of the context's as-of date (resolutions 8 and 9, 12 months)."""
    return hotspot_cells(con, context.districts, context.as_of)


def concentration_frame(con: duckdb.DuckDBPyConnection, context) -> pd.DataFrame:
    """`mart_concentration` over the 12 months to the context's as-of date."""
    as_of = context.as_of
    start = months_before(as_of, 12) + dt.timedelta(days=1)
    frame = _concentration(con, _district_cells_cached(context, 10), start, as_of)
    frame["period_start"], frame["period_end"] = start, as_of
    return frame


def accuracy_frame(con: duckdb.DuckDBPyConnection, context) -> pd.DataFrame:
    """`mart_hotspot_accuracy` as of the context's as-of date."""
    per_resolution = {res: _district_cells_cached(context, res) for res in ACCURACY_RESOLUTIONS}
    return _accuracy(con, per_resolution, context.as_of)
