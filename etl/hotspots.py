"""Hotspots, repeat locations, concentration, hotspot accuracy and near repeats on H3 cells.

`build_hotspots` materialises, as of the build's as-of date D: `mart_hotspot_cells` (Getis-Ord
Gi* per DESIGN.md on every H3 cell of resolutions 8 and 9 whose centre lies in the nine
districts, zero counts included, over the 12 months (D - 12 months, D]; weights are the cell and
its k=1 ring, binary, self included; `gi_p` is esda's `p_sim` from 999 permutations with seed
12345; the test suite lowers the count with ASB_GI_PERMUTATIONS to save time); `gi_class`
uses esda's `fdr` helper (Benjamini-Hochberg threshold on `p_sim`) at alpha 0.01/0.05/0.10, signed by `gi_z`), `mart_repeat_locations` (a location is an H3
resolution-10 cell, about 15,000 m²: police points are snapped, so a cell aggregates them) and
`mart_concentration` (Lorenz curves over every resolution-10 cell whose centre lies in the
authority, including cells with none). Resolution 10 is left out of Gi* at build time: about
196,000 cells make 999 permutations too slow. `pai` and `knox` are functions for the pages;
`knox` refuses month-only dates (police files), which would give nonsense.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import warnings

import duckdb
import h3
import numpy as np
import pandas as pd

GI_RESOLUTIONS = (8, 9)
PERMUTATIONS = 999
SEED = 12345
LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))


def district_cells(districts, resolution: int) -> dict[str, list[str]]:
    """H3 cells whose centre lies in each district (`districts`: authority_code, EPSG:27700)."""
    wgs = districts.to_crs(4326)
    return {code: sorted(h3.geo_to_cells(geom.__geo_interface__, resolution))
            for code, geom in zip(wgs["authority_code"], wgs.geometry, strict=True)}


def gi_star(cells: list[str], counts: np.ndarray, permutations: int = PERMUTATIONS, seed: int = SEED):
    """Gi* (esda G_Local, star, binary k=1 H3 weights): (z, p_sim, class -3..3 after FDR)."""
    from esda.getisord import G_Local
    from libpysal.weights import W

    index = {c: i for i, c in enumerate(cells)}
    neighbours = {i: [index[n] for n in h3.grid_disk(c, 1) if n != c and n in index] for c, i in index.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = W(neighbours, silence_warnings=True)
        g = G_Local(np.asarray(counts, dtype=float), w, transform="B", star=True,
                    permutations=permutations, seed=seed, keep_simulations=False)
    return g.Zs, g.p_sim, gi_classes(g.Zs, g.p_sim)


def gi_classes(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """-3..3: hot (+) / cold (-) at 99/95/90% where p <= esda.fdr(p, alpha), else 0."""
    from esda import fdr

    out = np.zeros(len(p), dtype=int)
    for level, alpha in reversed(LEVELS):
        significant = np.asarray(p) <= fdr(np.asarray(p), alpha)
        out[significant] = level * np.sign(np.nan_to_num(np.asarray(z)[significant])).astype(int)
    return out


def hotspot_cells(con, districts, as_of: dt.date) -> pd.DataFrame:
    """The `mart_hotspot_cells` frame for resolutions 8 and 9 over (as_of - 12 months, as_of]."""
    start = (pd.Timestamp(as_of) - pd.DateOffset(months=12)).date() + dt.timedelta(days=1)
    frames = []
    for res in GI_RESOLUTIONS:
        cells = sorted(set().union(*district_cells(districts, res).values()))
        found = dict(con.execute(f"""select h3_r{res}, count(*) from incidents where h3_r{res} is not null
            and reported_date between ? and ? group by 1""", [start, as_of]).fetchall())
        counts = np.array([found.get(c, 0) for c in cells], dtype=float)
        z, p, cls = gi_star(cells, counts, int(os.environ.get("ASB_GI_PERMUTATIONS", PERMUTATIONS)))
        frames.append(pd.DataFrame({"h3_cell": cells, "h3_resolution": res, "incidents": counts.astype(int),
                                    "gi_z": z, "gi_p": p, "gi_class": cls}))
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
    ranked = sorted(cells, key=lambda c: (-current.get(c, 0), c))
    a = max(1, int(round(top_share * len(cells))))
    top = set(ranked[:a])
    n_total = sum(following.get(c, 0) for c in cells)
    n = sum(following.get(c, 0) for c in top)
    hit = n / n_total if n_total else float("nan")
    return {"cells": a, "all_cells": len(cells), "captured": n, "incidents": n_total,
            "hit_rate": hit, "pai": hit / (a / len(cells)) if n_total else float("nan")}


def _concentration(con, districts, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    per = district_cells(districts, 10)
    found = con.execute("select authority_code, h3_r10, count(*) from incidents where h3_r10 is not null "
                        "and reported_date between ? and ? group by all", [start, as_of]).df()
    rows = []
    groups = {**per, "all": sorted(set().union(*per.values()))}
    for code, cells in groups.items():
        sub = found if code == "all" else found[found["authority_code"] == code]
        by_cell = sub.groupby("h3_r10")["count_star()"].sum()
        counts = by_cell.reindex(cells, fill_value=0).to_numpy()
        places, share = lorenz(counts)
        step = max(1, len(places) // 100)
        keep = sorted(set(range(0, len(places), step)) | {len(places) - 1})
        rows.append(pd.DataFrame({
            "authority_code": code, "places": len(cells), "incidents": int(counts.sum()),
            "places_for_50pct": share_of_places_for(counts, 0.5),
            "places_for_25pct": share_of_places_for(counts, 0.25),
            "point": range(len(keep)), "share_of_places": places[keep], "share_of_incidents": share[keep]}))
    return pd.concat(rows, ignore_index=True)


def build_hotspots(con: duckdb.DuckDBPyConnection, districts, as_of: dt.date, timings: list | None = None) -> None:
    """Materialise the hotspot marts as of `as_of`; `timings` receives (step, seconds) per step."""
    from . import publish

    def step(name, fn):
        started = time.perf_counter()
        fn()
        if timings is not None:
            timings.append((name, time.perf_counter() - started))

    def cells():
        con.register("_hotspots", hotspot_cells(con, districts, as_of))
        con.execute("create or replace table mart_hotspot_cells as select * from _hotspots")
        con.unregister("_hotspots")

    def repeats():
        con.execute("create or replace table mart_repeat_locations as "
                    + publish.sql_file("mart_repeat_locations"), {"as_of": as_of})

    def concentration():
        start = (pd.Timestamp(as_of) - pd.DateOffset(months=12)).date() + dt.timedelta(days=1)
        con.register("_conc", _concentration(con, districts, start, as_of))
        con.execute("create or replace table mart_concentration as select *, ?::date as period_start, "
                    "?::date as period_end from _conc", [start, as_of])
        con.unregister("_conc")

    step("mart_hotspot_cells", cells)
    step("mart_repeat_locations", repeats)
    step("mart_concentration", concentration)
