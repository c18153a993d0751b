"""The Knox near-repeat test: pairs of incidents close in space and time, against permutations.

Bands are half-open and labelled, e.g. "[0,100) m" and "[0,3) days". With `same_location` (the
default) pairs at distance 0 form their own "same location (0 m)" band and the first spatial
band is labelled "... excl. 0 m". Dates are permuted across points (Monte Carlo, fixed seed);
each cell of the spatial x temporal table gets observed pairs, the mean of the permuted counts
(expected), observed/expected and p = (1 + #permuted >= observed) / (1 + permutations). Month-only
dates (police files: every date the 1st of a month) are refused with `NeedsDayLevelDates`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class NeedsDayLevelDates(ValueError):
    """The Knox test needs day-level dates; these are month-only (police data)."""


def month_only(days) -> bool:
    """True when every date is the 1st of a month (police.uk files give the month only)."""
    dates = pd.to_datetime(pd.Series(np.asarray(days)))
    return bool(len(dates)) and bool((dates.dt.day == 1).all())


def _labels(edges, unit):
    return [f"[{a},{b}) {unit}" for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _table(d_bin, t_days, t_edges):
    t_bin = np.searchsorted(t_edges, t_days, side="right") - 1
    ok = (d_bin >= 0) & (t_bin >= 0) & (t_bin < len(t_edges) - 1)
    out = np.zeros((d_bin.max(initial=0) + 1, len(t_edges) - 1), dtype=np.int64)
    np.add.at(out, (d_bin[ok], t_bin[ok]), 1)
    return out


def knox(points_xy_m, days, spatial_bands_m, temporal_bands_days, permutations: int = 99,
         seed: int = 12345, same_location: bool = True) -> pd.DataFrame:
    """Knox table: `spatial_bands_m` / `temporal_bands_days` are band edges, e.g. [0, 100, 200, 300]."""
    if month_only(days):
        raise NeedsDayLevelDates("the Knox test needs day-level dates; these dates are month-only "
                                 "(police data), so near repeats cannot be measured")
    xy = np.asarray(points_xy_m, dtype=float)
    t = pd.to_datetime(pd.Series(np.asarray(days))).to_numpy().astype("datetime64[D]").astype(np.int64)
    s_edges = np.asarray(spatial_bands_m, dtype=float)
    # Only pairs closer than the last spatial edge can fall in the table: find them with a k-d
    # tree instead of all n(n-1)/2 pairs, so tens of thousands of points stay quick.
    from scipy.spatial import cKDTree  # here: importing it costs about 0.6 s, and only this test needs it

    pairs = cKDTree(xy).query_pairs(r=float(s_edges[-1]), output_type="ndarray") if len(xy) > 1 \
        else np.empty((0, 2), dtype=np.int64)
    i, j = pairs[:, 0], pairs[:, 1]
    dist = np.hypot(*(xy[i] - xy[j]).T)
    d_bin = np.searchsorted(s_edges, dist, side="right") - 1
    d_bin[d_bin >= len(s_edges) - 1] = -1
    s_labels = _labels(spatial_bands_m, "m")
    if same_location:
        d_bin = np.where(dist == 0, 0, np.where(d_bin >= 0, d_bin + 1, -1))
        s_labels = ["same location (0 m)"] + [f"{lab} excl. 0 m" if k == 0 else lab for k, lab in enumerate(s_labels)]
    d_bin = np.where(d_bin >= 0, d_bin, -1)
    n_s, t_edges = len(s_labels), np.asarray(temporal_bands_days, dtype=float)
    observed = _pad(_table(d_bin, np.abs(t[i] - t[j]), t_edges), n_s)
    rng = np.random.default_rng(seed)
    sims = np.empty((permutations, *observed.shape))
    for k in range(permutations):
        tp = rng.permutation(t)
        sims[k] = _pad(_table(d_bin, np.abs(tp[i] - tp[j]), t_edges), n_s)
    expected = sims.mean(axis=0)
    p = (1 + (sims >= observed).sum(axis=0)) / (1 + permutations)
    rows = [{"spatial_band": s_labels[a], "temporal_band": tl, "observed": int(observed[a, b]),
             "expected": expected[a, b], "ratio": observed[a, b] / expected[a, b] if expected[a, b] else np.nan,
             "p_value": p[a, b]} for a in range(n_s) for b, tl in enumerate(_labels(temporal_bands_days, "days"))]
    return pd.DataFrame(rows)


def _pad(table, n_rows):
    out = np.zeros((n_rows, table.shape[1]), dtype=np.int64)
    out[: min(n_rows, table.shape[0])] = table[:n_rows]
    return out
