"""The demo incident table: every report any agency received, as one vectorised frame of codes.

Rows are reports (not yet formatted for any export): agency, authority, place, reported and
occurred day numbers (days since 1970-01-01), ASB type, person id (-1 = anonymous) and a few flags.
Background reports follow Derbyshire-like volumes with a summer peak, repeat places and a heavy
tail of repeat reporters; `plant_twins` copies a few identified reports to the other agency (the
cross-agency duplicates the ETL must merge) and `isolate_reports` makes sure no other pair of
reports looks like a duplicate, so the expected threshold figures are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np
import pandas as pd

from etl.demo.places import Places
from etl.rules.authorities import CODES

AGENCIES = ("police", "council", "housing")
POLICE, COUNCIL, HOUSING = 0, 1, 2
ASB_TYPES = (("neighbour dispute", "personal"), ("intimidation", "personal"), ("harassment", "personal"),
             ("noise", "nuisance"), ("rowdy behaviour", "nuisance"), ("vehicle nuisance", "nuisance"),
             ("drugs", "nuisance"), ("begging", "nuisance"), ("fly-tipping", "environmental"),
             ("littering", "environmental"), ("graffiti", "environmental"),
             ("abandoned vehicle", "environmental"))
CATEGORIES = ("personal", "nuisance", "environmental")
TYPE_CATEGORY = np.array([CATEGORIES.index(c) for _, c in ASB_TYPES], dtype=np.int8)
TYPE_WEIGHTS = np.array([  # per agency, over ASB_TYPES
    [10, 6, 5, 12, 30, 14, 10, 4, 2, 2, 3, 2],
    [12, 4, 3, 22, 14, 6, 5, 2, 14, 7, 6, 5],
    [22, 8, 6, 26, 12, 4, 6, 1, 8, 3, 2, 2]], dtype=float)
VICTIM_TYPES = ("individual", "business", "community_group")
VICTIM_BY_CATEGORY = np.array([[0.97, 0.02, 0.01], [0.80, 0.12, 0.08], [0.60, 0.15, 0.25]])
HATE_BY_CATEGORY = np.array([0.02, 0.002, 0.0])  # about 0.5% of reports
HOUR_WEIGHTS = np.array([1, .6, .4, .3, .2, .2, .3, .5, .8, 1, 1.1, 1.2, 1.3, 1.3, 1.4, 1.6, 1.9, 2.2,
                         2.5, 2.6, 2.5, 2.2, 1.8, 1.4])
# Reports a year at scale 1 per agency, and each authority's share (authorities.CODES order).
VOLUME_PER_YEAR = (23_000, 34_000, 3_000)
SHARE = np.array([0.12, 0.08, 0.11, 0.27, 0.05, 0.10, 0.08, 0.08, 0.11])
HOUSING_AUTHORITIES = (0, 1, 3, 5, 8)  # Amber Valley, Bolsover, Derby, Erewash, South Derbyshire
IDENTIFIED = (0.55, 0.65, 0.80)  # share of reports with a person_ref, per agency
MEAN_REPORTS = 4.0  # reports per identified person over the span (heavy-tailed around it)
TWIN_RATE = 0.02  # share of identified police/council reports also made to the other agency
COLUMNS = {"agency": np.int8, "auth": np.int8, "place": np.int32, "rep": np.int32, "occ": np.int32,
           "atype": np.int8, "person": np.int32, "victim": np.int8, "hate": bool, "minute": np.int16,
           "pair": np.int32, "role": np.int8, "bad": np.int8}
BACKGROUND, PLANTED, TWIN = 0, 1, 2


def sort_order(*keys) -> np.ndarray:
    """Positions sorting rows by integer keys (the first is the major key), ties in row order.

    The order of np.lexsort and so of pandas' sort_values by several columns, but with the keys
    packed into as few int64 words as they fit (one, usually): a stable sort of ten million rows
    by four columns takes seconds with np.lexsort, a fraction of that packed.
    """
    words, packed, span = [], None, 1
    for key in keys:
        key = np.asarray(key).astype(np.int64)
        lo, hi = (int(key.min()), int(key.max())) if len(key) else (0, 0)
        width = hi - lo + 1
        if packed is not None and span * width < 2**62:
            packed, span = packed * width + (key - lo), span * width
        else:
            if packed is not None:
                words.append(packed)
            packed, span = key - lo, width
    words.append(packed)
    return np.argsort(words[0], kind="stable") if len(words) == 1 else np.lexsort(words[::-1])


def day_number(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def add_months(days: np.ndarray, n: int) -> np.ndarray:
    """Day numbers plus n months, clipped to the month's end as DuckDB does (31 Aug + 6 = 28/29 Feb)."""
    d = np.asarray(days, dtype="int64").astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    dom = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + n
    last = (target + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    return np.minimum(target.astype("datetime64[D]") + dom, last).astype(np.int64)


@dataclass(frozen=True)
class Span:
    """The three years ending at as_of: reports fall on days first..last (day numbers, inclusive)."""

    as_of: date

    @cached_property  # asked for once per planted applicant
    def last(self) -> int:
        return day_number(self.as_of)

    @cached_property
    def first(self) -> int:
        return int(add_months(np.array([self.last]), -36)[0]) + 1

    @cached_property
    def years(self) -> float:
        return (self.last - self.first + 1) / 365.25

    def start_date(self) -> date:
        return date(1970, 1, 1) + timedelta(days=self.first)


def daily_weights(span: Span) -> np.ndarray:
    """Relative volume per day: summer peak about twice the winter trough, busier weekends."""
    days = np.arange(span.first, span.last + 1)
    as_dates = days.astype("datetime64[D]")
    doy = (as_dates - as_dates.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)
    weight = 1 + np.cos(2 * np.pi * (doy - 196) / 365.25) / 3
    weekday = (days + 3) % 7  # 0 = Monday
    weight *= np.where(weekday >= 4, 1.15, 1.0)
    return weight / weight.sum()


def draw_lags(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days from behaviour to report: mostly same day; 8% over a month late (not qualifying)."""
    kind = rng.choice(4, size=n, p=[0.55, 0.25, 0.12, 0.08])
    lows, highs = np.array([0, 1, 4, 35]), np.array([0, 3, 25, 150])
    return (lows[kind] + rng.random(n) * (highs[kind] - lows[kind] + 1)).astype(np.int32)


def _grouped_choice(rng: np.random.Generator, group: np.ndarray, table: np.ndarray) -> np.ndarray:
    """One categorical draw per row, with the probabilities of the row's group (a row of table)."""
    out = np.empty(len(group), dtype=np.int64)
    for g in np.unique(group):
        rows = np.flatnonzero(group == g)
        out[rows] = rng.choice(table.shape[1], size=len(rows), p=table[g] / table[g].sum())
    return out


def make_reports(rng: np.random.Generator, places: Places, agency, auth, rep, **given) -> pd.DataFrame:
    """Reports at the given agency/authority/day; other columns drawn unless given."""
    n = len(rep)
    agency, auth = np.broadcast_to(agency, n), np.broadcast_to(auth, n)
    atype = np.array(given.get("atype", np.full(n, -1)), dtype=np.int64)
    todo = np.flatnonzero(atype < 0)
    atype[todo] = _grouped_choice(rng, agency[todo], TYPE_WEIGHTS)
    cat = TYPE_CATEGORY[atype]
    place = np.array(given.get("place", np.full(n, -1)), dtype=np.int64)
    for a in np.unique(auth[place < 0]):
        rows = np.flatnonzero((auth == a) & (place < 0))
        s = places.of(int(a))
        place[rows] = s.start + rng.choice(s.stop - s.start, size=len(rows), p=places.weight[s])
    lag = given.get("lag")
    lag = draw_lags(rng, n) if lag is None else lag
    minute = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum()) * 60 + rng.integers(0, 60, n)
    columns = {
        "agency": agency, "auth": auth, "place": place, "rep": rep, "occ": np.asarray(rep) - lag,
        "atype": atype, "person": given.get("person", -1),
        "victim": _grouped_choice(rng, cat, VICTIM_BY_CATEGORY),
        "hate": rng.random(n) < HATE_BY_CATEGORY[cat], "minute": minute, "pair": given.get("pair", -1),
        "role": given.get("role", BACKGROUND), "bad": given.get("bad", 0)}
    return pd.DataFrame({k: np.broadcast_to(np.asarray(v).astype(COLUMNS[k], copy=False), n)
                         for k, v in columns.items()}).copy()


def background(rng: np.random.Generator, places: Places, span: Span, scale: float,
               first_person: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Every agency's everyday reports; returns them and the home authority of each new person."""
    counts = []
    for g, volume in enumerate(VOLUME_PER_YEAR):
        covered = HOUSING_AUTHORITIES if g == HOUSING else range(len(SHARE))
        share = SHARE[list(covered)] / SHARE[list(covered)].sum()
        counts += [(g, a, rng.poisson(volume * s * span.years * scale))
                   for a, s in zip(covered, share, strict=True)]
    agency = np.repeat([c[0] for c in counts], [c[2] for c in counts])
    auth = np.repeat([c[1] for c in counts], [c[2] for c in counts])
    rep = span.first + rng.choice(span.last - span.first + 1, size=len(agency), p=daily_weights(span))
    person, place, atype, homes = _repeat_reporters(rng, places, agency, auth, first_person)
    reports = make_reports(rng, places, agency, auth, rep, person=person, place=place, atype=atype)
    return reports, homes


def _repeat_reporters(rng, places, agency, auth, first_person):
    """Person, place and type per report: a heavy tail of repeat reporters, most at their home place."""
    n = len(agency)
    ident = rng.random(n) < np.array(IDENTIFIED)[agency]
    person = np.full(n, -1, dtype=np.int64)
    home_auth, home_place, favourite = [], [], []
    next_id = first_person
    for a in range(len(SHARE)):
        rows = np.flatnonzero(ident & (auth == a))
        n_people = max(30, round(len(rows) / MEAN_REPORTS))
        activity = np.minimum(1 + rng.pareto(1.8, n_people), 50)
        person[rows] = next_id + rng.choice(n_people, size=len(rows), p=activity / activity.sum())
        next_id += n_people
        s = places.of(a)
        home_place.append(s.start + rng.choice(s.stop - s.start, size=n_people, p=places.weight[s]))
        home_auth.append(np.full(n_people, a))
        mix = TYPE_WEIGHTS[COUNCIL] / TYPE_WEIGHTS[COUNCIL].sum()
        favourite.append(rng.choice(len(ASB_TYPES), size=n_people, p=mix))
    home_auth, home_place, favourite = (np.concatenate(x) for x in (home_auth, home_place, favourite))
    movers = ident & (rng.random(n) < 0.03)  # reports made in another authority
    person[movers] = first_person + rng.integers(0, len(home_auth), movers.sum())
    place = np.full(n, -1, dtype=np.int64)
    at_home = ident & ~movers & (rng.random(n) < 0.65)
    place[at_home] = home_place[person[at_home] - first_person]
    atype = np.full(n, -1, dtype=np.int64)
    usual = ident & (rng.random(n) < 0.5)
    atype[usual] = favourite[person[usual] - first_person]
    return person, place, atype, home_auth


def plant_twins(rng: np.random.Generator, reports: pd.DataFrame, last_day: int) -> pd.DataFrame:
    """Copy a few identified police/council reports to the other agency, same or next day."""
    cand = np.flatnonzero((reports.person.to_numpy() >= 0) & (reports.agency.to_numpy() != HOUSING)
                          & (reports.role.to_numpy() == BACKGROUND))
    pick = np.sort(rng.choice(cand, size=rng.binomial(len(cand), TWIN_RATE), replace=False))
    pair = (reports.pair.max() + 1 + np.arange(len(pick))).astype(np.int32)
    reports.iloc[pick, reports.columns.get_loc("pair")] = pair
    twins = reports.iloc[pick].copy()
    twins["agency"] = (1 - twins.agency).astype(np.int8)
    twins["rep"] = np.minimum(twins.rep + rng.integers(0, 2, len(pick)), last_day).astype(np.int32)
    twins["minute"] = rng.integers(0, 1440, len(pick)).astype(np.int16)
    twins["role"] = np.int8(TWIN)
    return pd.concat([reports, twins], ignore_index=True)


def isolate_reports(reports: pd.DataFrame) -> int:
    """Anonymise background reports that look like a duplicate of another; return intact twin pairs.

    Two reports by one person of one ASB type that occurred within a day of each other may be
    merged by the ETL (DESIGN.md: other organisations, within 250 m; this check is stricter and
    ignores both); only the planted pairs may look like that. Broken pairs lose their pair id.
    """
    person = reports.person.to_numpy().copy()
    atype, occ, pair = (reports[c].to_numpy() for c in ("atype", "occ", "pair"))
    ident = np.flatnonzero(person >= 0)
    # Sorted once: anonymising a report takes it out and leaves the others in the same order.
    ident = ident[sort_order(person[ident], atype[ident], occ[ident], pair[ident])]
    for _ in range(10):
        p, a, o, r = person[ident], atype[ident], occ[ident], pair[ident]
        close = (p[1:] == p[:-1]) & (a[1:] == a[:-1]) & (o[1:] - o[:-1] <= 1)
        clash = close & ~((r[1:] == r[:-1]) & (r[1:] >= 0))
        if not clash.any():
            break
        person[ident[1:][clash]] = -1
        ident = ident[person[ident] >= 0]
    reports["person"] = person
    paired = reports[(reports.pair >= 0) & (reports.person >= 0)]
    intact = paired.pair.value_counts()
    intact = intact[intact == 2].index
    reports.loc[~reports.pair.isin(intact), "pair"] = -1
    return len(intact)


def threshold_truth(reports: pd.DataFrame, as_of_day: int, threshold: int = 3) -> dict[str, dict[str, int]]:
    """Person-authority rows meeting the victim threshold, and one short, as of the day (twins merged).

    Returns {"met": {code: n, ..., "all": n}, "near_miss": {...}}.
    """
    distinct = reports[(reports.person >= 0) & ~((reports.role == TWIN) & (reports.pair >= 0))]
    rep, occ = distinct.rep.to_numpy(), distinct.occ.to_numpy()
    window_start = int(add_months(np.array([as_of_day]), -6)[0])
    ok = (rep <= add_months(occ, 1)) & (rep > window_start) & (rep <= as_of_day)
    counts = distinct[ok].groupby(["person", "auth"]).size()
    out = {}
    for name, hit in (("met", counts >= threshold), ("near_miss", counts == threshold - 1)):
        by_auth = counts[hit].groupby(level="auth").size()
        out[name] = {CODES[a]: int(by_auth.get(a, 0)) for a in range(len(CODES))} | {"all": int(hit.sum())}
    return out


EXPLAINED_SHARE = 0.75  # second reports whose explanation of the case review is recorded


def explanations(rng: np.random.Generator, reports: pd.DataFrame) -> np.ndarray:
    """Day each report's case review explanation was recorded (NaN = none): a good identified
    report that is a person's second in an authority within about six months (182 days; the ETL
    applies the exact rule) is explained 0-9 days later three times in four."""
    out = np.full(len(reports), np.nan)
    person, auth, rep = (reports[c].to_numpy() for c in ("person", "auth", "rep"))
    ok = np.flatnonzero((person >= 0) & (reports.bad.to_numpy() == 0))
    ok = ok[sort_order(person[ok], auth[ok], rep[ok])]
    person, auth, rep = person[ok], auth[ok], rep[ok]
    same = np.r_[False, (person[1:] == person[:-1]) & (auth[1:] == auth[:-1])]
    gap1 = np.r_[np.inf, rep[1:] - rep[:-1]]
    gap2 = np.r_[np.inf, np.inf, rep[2:] - rep[:-2]]
    same2 = np.r_[False, same[1:] & same[:-1]]
    second = same & (gap1 < 182) & ~(same2 & (gap2 < 182))
    draw = rng.random(len(ok))
    lag = rng.integers(0, 10, len(ok))
    explained = second & (draw < EXPLAINED_SHARE)
    out[ok[explained]] = rep[explained] + lag[explained]
    return out
