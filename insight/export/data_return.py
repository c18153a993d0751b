"""`asb export return`: the yearly ASB data return per authority, and the s.104 table as councils
publish it.

    asb export return --year 2025/26 --out DIR [--authority CODE ...] [--fields FILE]
                      [--suppress-below N] [--allow-incomplete-year] [--force] [--warehouse FILE]

The Crime and Policing Act 2026 creates a duty to supply ASB data to the Secretary of State, in a
format not yet fixed in law, so the return's shape is a declared setting, not code: the field list
(insight/export/return.toml, or `--fields FILE`) names each field, what it counts (one of the
`MEASURES` this module computes), its words, whether it is statutory or the partnership's own,
its source in the warehouse and whether small numbers in it are suppressed. Per authority (default
all nine) the folder gets:

- `<code>_<name>_<yyyy-yy>_return.csv`: one row per field and breakdown (long format: `field`,
  `basis`, the breakdown columns `review_type`, `outcome`, `month`, `asb_type`, where 'all' marks a
  total and an empty cell a breakdown the field does not have, `value`, and the warehouse's
  `as_of_date` and `is_complete_year` on every row; a month after the as-of date is "[x]", not
  available, never 0);
- `<code>_<name>_<yyyy-yy>_s104.csv` and `.html` (insight/export/s104.py): the four s.104 figures in the shape councils put
  on their websites (a plain, escaped HTML table: no script, no styling to strip);
- beside them `fields.csv` (the field list as used) and `README.md`.

Disclosure: every count the field list does not exempt is protected by the dashboard's rule
(insight/access/disclosure.py, k from insight/board_pack/report.toml or `--suppress-below`): a
count of 1 to k-1 people or incidents is written as the `suppressed` marker ("[c]", not 0), and so
is the smallest other count of a row or column whose shown total would give it away (secondary
suppression, `hidden_cells`); a share resting on a hidden or small count is suppressed too. The four
s.104 figures are published by law as they are, so they are exempt. A year that had not ended on
the warehouse's as-of date is refused without `--allow-incomplete-year`; every file is written into
a hidden folder and moved into place only when all are done (insight/export/folder.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from etl import schema
from etl.rules import authorities, vocabulary
from etl.rules.periods import london_today
from insight import db
from insight.access import disclosure
from insight.export import folder as outdir
from insight.export import s104
from insight.queries import threshold

FIELDS_PATH = Path(__file__).resolve().with_name("return.toml")
DIMENSIONS = ("review_type", "outcome", "month", "asb_type")
# as_of_date and is_complete_year on every row: a return of a year not ended (--allow-incomplete-year)
# cannot be taken for a whole year's
COLUMNS = ("authority_code", "authority_name", "financial_year", "field", "basis", *DIMENSIONS, "value",
           "as_of_date", "is_complete_year")
BASES = {"statutory": "required by law", "partnership": "the partnership's own"}
ALL = "all"  # a breakdown's total
NOT_RECORDED = "not recorded"  # an incident without an ASB type
REVIEW_TYPES = schema.REVIEW_TYPES  # mart_appeals.review_type; all 'appeal' in a warehouse without it
S104 = ("applications_received", "threshold_not_met", "reviews_carried_out", "reviews_with_recommendations")
SECOND = ("events", "limit_passed", "explained_in_time", "explained_late", "not_explained")
CROSS = {"pcc_reviews.received": ("review_type", "outcome"), "incidents.by_month_and_type": ("month", "asb_type")}
SHARES = {"second_reports.share_in_time": ("second_reports.explained_in_time", "second_reports.limit_passed")}
MEASURES = (*(f"s104.{m}" for m in S104), *(f"second_reports.{m}" for m in SECOND), *SHARES, *CROSS)
# Lines of the return whose sum over the nine authorities the board pack prints for the same months
# (a March pack's 12 months are the financial year): the OPCC cases received, by outcome and by type
# (slide 11), and the incidents of each month (slides 2 and 4). The return
# hides a small cell of one authority from that total too (protect, _county_groups): an authority
# with 1 to k-1 incidents in a month (a partner that joined late) was the pack's county count less
# the eight others (found by a black-box audit).
COUNTY_TOTALS = {
    "pcc_reviews.received": lambda cell: cell["review_type"] == ALL or cell["outcome"] == ALL,
    "incidents.by_month_and_type": lambda cell: cell["asb_type"] == ALL and cell["month"] != ALL,
}
_FIELD_KEYS = ("name", "measure", "label", "description", "basis", "legal_basis", "source", "unit", "suppress")
_RETURN_KEYS = ("format", "suppressed", "not_applicable", "not_available")


class ReturnError(ValueError):
    """The return cannot be written; nothing was."""


@dataclass(frozen=True)
class Field:
    name: str
    measure: str
    label: str
    description: str
    basis: str
    legal_basis: str
    source: str
    unit: str
    suppress: bool


@dataclass(frozen=True)
class Spec:
    """The field list: the format's name, the markers and the fields in order."""
    format: str
    suppressed: str
    not_applicable: str
    fields: tuple[Field, ...]
    not_available: str = "[x]"  # a month after the as-of date (GSS symbol: not available)


def load_fields(path: Path | None = None) -> Spec:
    """The field list in `path` (default return.toml), checked (ReturnError naming the file, the
    field and the key): a [return] table of text and [[field]] tables of exactly the keys
    `_FIELD_KEYS`, each text but `suppress` (true or false); nothing else. A statutory s.104 figure
    may not be suppressed: the law requires it published as it is."""
    path = Path(path or FIELDS_PATH)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ReturnError(f"cannot read the field list {path}: not UTF-8 text (byte {exc.start})") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ReturnError(f"cannot read the field list {path}: {getattr(exc, 'strerror', None) or exc}") from None
    unknown = sorted(set(data) - {"return", "field"})
    if unknown:
        raise ReturnError(f"{path}: unknown top-level key(s) or section(s) {unknown}: a field list holds a [return] "
                          "table and [[field]] tables")
    head, entries = data.get("return", {}), data.get("field", [])
    if not isinstance(head, dict):
        raise ReturnError(f"{path}: return must be a [return] table, not {head!r}")
    if unknown := sorted(set(head) - set(_RETURN_KEYS)):
        raise ReturnError(f"{path}: [return]: unknown key(s) {unknown} (keys: {', '.join(_RETURN_KEYS)})")
    for key, value in head.items():
        if not isinstance(value, str):
            raise ReturnError(f"{path}: [return]: {key} must be text in quotes, not {value!r}")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ReturnError(f"{path}: field must be [[field]] tables (two brackets), one per field, not "
                          f"{type(entries).__name__}")
    fields = []
    for n, entry in enumerate(entries, 1):
        where = f"{path}: field {n} ({entry.get('name', '?')})"
        missing = [k for k in _FIELD_KEYS if k not in entry]
        if missing:
            raise ReturnError(f"{where} lacks {', '.join(missing)}")
        if unknown := sorted(set(entry) - set(_FIELD_KEYS)):
            raise ReturnError(f"{where}: unknown key(s) {unknown} (keys: {', '.join(_FIELD_KEYS)})")
        for key in _FIELD_KEYS:
            if key == "suppress":
                if not isinstance(entry[key], bool):
                    raise ReturnError(f"{where}: suppress must be true or false without quotes, not {entry[key]!r}")
            elif not isinstance(entry[key], str):
                raise ReturnError(f"{where}: {key} must be text in quotes, not {entry[key]!r}")
        if entry["measure"] not in MEASURES:
            raise ReturnError(f"{path}: field {entry['name']}: unknown measure {entry['measure']!r} "
                              f"(one of {', '.join(MEASURES)})")
        if entry["basis"] not in BASES:
            raise ReturnError(f"{path}: field {entry['name']}: basis must be one of {', '.join(BASES)}")
        if entry["measure"].startswith("s104.") and entry["suppress"]:
            raise ReturnError(f"{where}: an s104 figure cannot have suppress = true: the law requires the four "
                              "s.104 figures published as they are")
        if not entry["measure"].startswith("s104.") and not entry["suppress"]:
            raise ReturnError(f"{where}: suppress = false would publish counts of 1 to k-1 people or incidents as "
                              "they are: only the four s.104 figures, which the law requires published, are written "
                              "so; set suppress = true")
        fields.append(Field(**{k: entry[k] for k in _FIELD_KEYS}))
    names = [f.name for f in fields]
    if not fields or len(set(names)) != len(names):
        raise ReturnError(f"{path}: the field list is empty or names a field twice")
    return Spec(head.get("format", ""), head.get("suppressed", "[c]"), head.get("not_applicable", "[z]"),
                tuple(fields), head.get("not_available", "[x]"))


@dataclass(frozen=True)
class Year:
    text: str  # '2025/26'
    start: dt.date
    end: dt.date

    @classmethod
    def parse(cls, text: str) -> Year:
        first = int(text[:4])
        return cls(text, dt.date(first, 4, 1), dt.date(first + 1, 3, 31))

    @property
    def months(self) -> list[str]:
        return [f"{self.start.year if m >= 4 else self.end.year}-{m:02d}" for m in (*range(4, 13), *range(1, 4))]

    @property
    def slug(self) -> str:
        return self.text.replace("/", "-")


# --- the measures ---------------------------------------------------------------------------------

def _cells(frame: pd.DataFrame, measure: str, **dims) -> pd.DataFrame:
    out = frame.assign(measure=measure, **dims)
    for d in DIMENSIONS:
        if d not in out.columns:
            out[d] = ""
    return out[["authority_code", "measure", *DIMENSIONS, "value"]]


def _s104(con, year: Year, codes) -> list[pd.DataFrame]:
    figures = con.execute(f"""select authority_code, {", ".join(S104)} from mart_statutory_returns
                              where financial_year = ? and authority_code = any(?)""", [year.text, list(codes)]).df()
    return [_cells(figures.rename(columns={m: "value"})[["authority_code", "value"]], f"s104.{m}") for m in S104]


def _second_reports(con, year: Year, codes, as_of: dt.date) -> list[pd.DataFrame]:
    share = threshold.second_report_share(con, as_of, tuple(codes), year.start, year.end)
    share = share[share["authority_code"].notna()]
    return [_cells(share.rename(columns={m: "value"})[["authority_code", "value"]], f"second_reports.{m}")
            for m in SECOND]


def _cross(counts: pd.DataFrame, codes, measure: str, rows: list[str], cols: list[str]) -> pd.DataFrame:
    """Every (row, column) of each authority, zeros included, with 'all' totals of rows and columns."""
    row_dim, col_dim = CROSS[measure]
    grid = pd.MultiIndex.from_product([list(codes), rows, cols], names=["authority_code", row_dim, col_dim])
    full = counts.set_index(["authority_code", row_dim, col_dim])["n"].reindex(grid, fill_value=0).reset_index()
    by_row = full.groupby(["authority_code", row_dim], as_index=False)["n"].sum().assign(**{col_dim: ALL})
    by_col = full.groupby(["authority_code", col_dim], as_index=False)["n"].sum().assign(**{row_dim: ALL})
    total = full.groupby("authority_code", as_index=False)["n"].sum().assign(**{row_dim: ALL, col_dim: ALL})
    out = pd.concat([full, by_row, by_col, total], ignore_index=True)
    order = {row_dim: {v: i for i, v in enumerate([*rows, ALL])}, col_dim: {v: i for i, v in enumerate([*cols, ALL])}}
    out = out.sort_values([row_dim, col_dim], key=lambda s: s.map(order[s.name]), kind="stable")
    return _cells(out.rename(columns={"n": "value"}), measure)


def _pcc_reviews(con, year: Year, codes) -> pd.DataFrame:
    has_type = con.execute("select count(*) from information_schema.columns where table_name = 'mart_appeals' "
                           "and column_name = 'review_type'").fetchone()[0]
    review_type = "coalesce(review_type, 'appeal')" if has_type else "'appeal'"  # a warehouse from before it
    counts = con.execute(f"""
        select authority_code, {review_type} as review_type, outcome, count(*) as n
        from mart_appeals
        where received_date between ? and ? and authority_code = any(?)
        group by all""", [year.start, year.end, list(codes)]).df()
    types = list(REVIEW_TYPES) + sorted(set(counts["review_type"]) - set(REVIEW_TYPES))
    outcomes = list(schema.APPEAL_OUTCOMES) + sorted(set(counts["outcome"]) - set(schema.APPEAL_OUTCOMES))
    return _cross(counts, codes, "pcc_reviews.received", types, outcomes)


def _incidents(con, year: Year, codes) -> pd.DataFrame:
    counts = con.execute("""
        select authority_code, strftime(reported_date, '%Y-%m') as month,
               coalesce(asb_type, ?) as asb_type, count(*) as n
        from incidents
        where reported_date between ? and ? and authority_code = any(?)
        group by all""", [NOT_RECORDED, year.start, year.end, list(codes)]).df()
    found = set(counts["asb_type"]) - {NOT_RECORDED}
    types = list(vocabulary.ASB_TYPES) + sorted(found - set(vocabulary.ASB_TYPES)) + [NOT_RECORDED]
    return _cross(counts, codes, "incidents.by_month_and_type", year.months, types)


def measures(con, year: Year, codes, as_of: dt.date) -> pd.DataFrame:
    """Every measure's cells for the authorities and year (true values; shares left to `protect`)."""
    parts = [*_s104(con, year, codes), *_second_reports(con, year, codes, as_of),
             _pcc_reviews(con, year, codes), _incidents(con, year, codes)]
    return pd.concat(parts, ignore_index=True).astype({"value": "float64"})


# --- disclosure -----------------------------------------------------------------------------------

def _groups(cells: pd.DataFrame, free: dict) -> list[disclosure.Group]:
    """The cells of one authority that add up to a total a reader sees; `free` receives the
    differences never written that a reader can take (the events still in time = events - limit
    passed: 7 events and 6 whose limit passed told one victim's second report, found by a
    black-box audit)."""
    key = {(r.measure, *(getattr(r, d) for d in DIMENSIONS)): (i, "value") for i, r in cells.iterrows()}
    groups = []
    limit = ("second_reports.limit_passed", "", "", "", "")
    parts = [("second_reports." + m, "", "", "", "") for m in ("explained_in_time", "explained_late", "not_explained")]
    if limit in key and all(p in key for p in parts):
        groups.append(disclosure.Group(key[limit], tuple(key[p] for p in parts)))
    events = ("second_reports.events", "", "", "", "")
    if limit in key and events in key:
        in_time = ("still in time", key[events][0])
        free[in_time] = cells.at[key[events][0], "value"] - cells.at[key[limit][0], "value"]
        groups.append(disclosure.Group(key[events], (key[limit], in_time)))
    for measure, (row_dim, col_dim) in CROSS.items():
        block = cells[cells["measure"] == measure]
        for dim, other in ((row_dim, col_dim), (col_dim, row_dim)):
            for _, line in block.groupby(dim):
                total = line.index[line[other] == ALL]
                inner = tuple((i, "value") for i in line.index[line[other] != ALL])
                if len(total):
                    groups.append(disclosure.Group((total[0], "value"), inner))
    return groups


def _county_groups(cells: pd.DataFrame, values: dict, exempt: set, k: int) -> list[disclosure.Group]:
    """With all nine authorities' cells: each line whose county total the board pack prints for the
    same months (`COUNTY_TOTALS`; the pack prints it when it is k or more) as a group of the nine
    cells adding up to that total, which counts as shown (added to `values` and `exempt`). Without
    them, one authority's hidden cell was the pack's county figure less the eight the return shows."""
    if set(cells["authority_code"]) != set(authorities.CODES):
        return []
    groups = []
    for measure, known in COUNTY_TOTALS.items():
        block = cells[(cells["measure"] == measure) & cells.apply(known, axis=1)]
        for dims, line in block.groupby(list(DIMENSIONS)):
            if line["value"].sum() < k:  # the pack hides it (or it is 0, and so is every part)
                continue
            total = ("county " + "|".join((measure, *dims)), "value")  # keyed like the cells: (row, column)
            values[total] = line["value"].sum()
            exempt.add(total)
            groups.append(disclosure.Group(total, tuple((int(i), "value") for i in line.index)))
    return groups


def protect(cells: pd.DataFrame, spec: Spec, k: int) -> pd.Series:
    """The value of each cell as written: a whole number, a share with three decimals, or the
    suppressed / not-applicable marker (cells of one authority, or of all nine protected together:
    then also against the county totals the board pack prints, `_county_groups`)."""
    # the s.104 figures are published as they are, whatever a field list says (load_fields refuses it too)
    exempt_measures = {f.measure for f in spec.fields if not f.suppress} | {f"s104.{m}" for m in S104}
    counted = cells[~cells["measure"].isin(SHARES)]
    values = {(i, "value"): v for i, v in counted["value"].items()}
    exempt = {(i, "value") for i in counted.index[counted["measure"].isin(exempt_measures)]}
    free: dict = {}
    groups = [g for _, mine in cells.groupby("authority_code", sort=False) for g in _groups(mine, free)]
    groups += _county_groups(counted[~counted["measure"].isin(exempt_measures)], values, exempt, k)
    primary, secondary = disclosure.hidden_cells({**values, **free}, groups, k, exempt, free)
    hidden = {i for i, _ in primary | secondary}
    out = pd.Series("", index=cells.index, dtype=object)
    for i in counted.index:
        out[i] = spec.suppressed if i in hidden else f"{int(cells.at[i, 'value'])}"
    for i in cells.index[cells["measure"].isin(SHARES)]:
        mine = counted[counted["authority_code"] == cells.at[i, "authority_code"]]
        by_measure = {m: j for j, m in mine["measure"].items()}
        part, whole = (by_measure.get(m) for m in SHARES[cells.at[i, "measure"]])
        if part is None or whole is None or cells.at[whole, "value"] == 0:
            out[i] = spec.not_applicable
            continue
        suppressible = cells.at[i, "measure"] not in exempt_measures
        shown = disclosure.share_or_none(cells.at[part, "value"], cells.at[whole, "value"], k, whole_is_shown=True)
        if suppressible and (shown is None or part in hidden or whole in hidden):
            out[i] = spec.suppressed
        else:
            out[i] = f"{cells.at[part, 'value'] / cells.at[whole, 'value']:.3f}"
    return out


def _with_shares(cells: pd.DataFrame) -> pd.DataFrame:
    shares = [cells[cells["measure"] == base].assign(measure=share, value=math.nan)
              for share, (base, _) in SHARES.items()]
    return pd.concat([cells, *shares], ignore_index=True)


# --- the files ------------------------------------------------------------------------------------

def _slug(code: str) -> str:
    return f"{code}_{re.sub(r'[^a-z0-9]+', '-', authorities.NAME_BY_CODE[code].lower()).strip('-')}"


def return_rows(cells: pd.DataFrame, spec: Spec, code: str, year: Year, k: int,
                as_of: dt.date | None = None) -> list[list[str]]:
    """The return's rows for one authority, fields in the field list's order; with `as_of` (the
    warehouse's date), a month after it is the not-available marker, not a zero, and every row
    carries the date and whether the year had ended on it. `cells` holds the authority's cells, or
    every authority's (all nine: protected together, so the same whatever authorities are written)."""
    cells = cells.reset_index(drop=True)
    mine = cells if "text" in cells else cells.assign(text=protect(cells, spec, k))  # export protects once
    mine = mine[mine["authority_code"] == code].reset_index(drop=True)
    after = f"{as_of:%Y-%m}" if as_of is not None else None
    complete = as_of is not None and year.end <= as_of
    rows = []
    for f in spec.fields:
        for _, cell in mine[mine["measure"] == f.measure].iterrows():
            text = cell["text"]
            if after is not None and cell["month"] not in ("", ALL) and cell["month"] > after:
                text = spec.not_available  # no data can be there yet: not a zero
            rows.append([code, authorities.NAME_BY_CODE[code], year.text, f.name, f.basis,
                         *(cell[d] for d in DIMENSIONS), text,
                         as_of.isoformat() if as_of else "", "true" if complete else "false"])
    return rows


def _write_csv(path: Path, header, rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _year_checked(con, year: str, allow_incomplete: bool) -> dt.date:
    """The warehouse's as-of date, once the year is known to it (and over, unless allowed)."""
    years = con.execute("""select financial_year, bool_and(is_complete_year) from mart_statutory_returns
                           group by 1 order by 1""").fetchall()
    complete = dict(years)
    if year not in complete:
        span = f"{years[0][0]} to {years[-1][0]}" if years else "none"
        raise ReturnError(f"no {year} in the warehouse's statutory returns ({span})")
    as_of = db.build_as_of(con)
    if not complete[year] and not allow_incomplete:
        raise ReturnError(f"{year} had not ended on the warehouse's as-of date {as_of}: a yearly return is "
                          "made once the year is over (or pass --allow-incomplete-year)")
    today = london_today()
    if Year.parse(year).end > today and not allow_incomplete:  # a warehouse built as of a later date than its day
        raise ReturnError(f"{year} has not ended today ({today.isoformat()}): a yearly return is made once the year "
                          "is over (or pass --allow-incomplete-year)")
    return as_of


def export(warehouse: Path, out: Path, year: str, codes: tuple[str, ...], k: int | None = None,
           fields: Path | None = None, allow_incomplete: bool = False, force: bool = False) -> list[Path]:
    """Write the return of `year` for `codes` into the folder `out`; the files written."""
    spec, k = load_fields(fields), k or disclosure.suppress_below()
    fy = Year.parse(year)
    con = db.connect(warehouse)
    try:
        as_of = _year_checked(con, year, allow_incomplete)
        # every authority's cells, whichever are written: they are protected together (return_rows)
        cells = _with_shares(measures(con, fy, authorities.CODES, as_of))
        notes = _restated(con, fy)
    finally:
        con.close()
    cells = cells.assign(text=protect(cells, spec, k))
    written = []
    with outdir.writing(out, force, keep=(warehouse,)) as tmp:
        for code in codes:
            stem = f"{_slug(code)}_{fy.slug}"
            _write_csv(tmp / f"{stem}_return.csv", COLUMNS, return_rows(cells, spec, code, fy, k, as_of))
            mine = cells[(cells["authority_code"] == code) & cells["measure"].str.startswith("s104.")]
            figures = {m: int(v) for m, v in zip(mine["measure"], mine["value"], strict=True)}
            column = fy.text if fy.end <= as_of else f"{fy.text} (to {as_of.isoformat()})"  # a part year says so
            note = notes.get(code)
            _write_csv(tmp / f"{stem}_s104.csv", ["Measure", column], s104.rows(spec, figures, note))
            (tmp / f"{stem}_s104.html").write_text(s104.page(spec, code, fy, figures, as_of, note), encoding="utf-8")
            written += [f"{stem}_return.csv", f"{stem}_s104.csv", f"{stem}_s104.html"]
        _write_csv(tmp / "fields.csv", _FIELD_KEYS, [[getattr(f, key) for key in _FIELD_KEYS] for f in spec.fields])
        (tmp / "README.md").write_text(readme(spec, fy, as_of, k), encoding="utf-8")
        written += ["fields.csv", "README.md"]
    return [Path(out).resolve() / name for name in written]


def _restated(con, year: Year) -> dict[str, str]:
    """Per authority, the words saying that the year's s.104 figures, frozen as published
    (`asb returns freeze`), have changed since (s104.restated_note); none when not restated."""
    found = con.execute("""select authority_code, restatement, published_date from mart_statutory_returns
                           where financial_year = ? and is_restated""", [year.text]).fetchall()
    return {code: s104.restated_note(text, published) for code, text, published in found}


def readme(spec: Spec, year: Year, as_of: dt.date, k: int) -> str:
    """The README.md written beside the return's files."""
    lines = "\n".join(f"| `{f.name}` | {f.basis} | {f.label} | {f.unit} | {'yes' if f.suppress else 'no'} |"
                      for f in spec.fields)
    part = ("" if year.end <= as_of else
            f"**Not a whole year**: {year.text} had not ended on that date, so every figure covers "
            f"{year.start:%-d %B %Y} to {as_of:%-d %B %Y} only (`is_complete_year` false). ")
    return f"""# ASB data return {year.text} ({spec.format})

{part}From the warehouse as of {as_of:%-d %B %Y}. Per authority: `*_return.csv` (one row per field and
breakdown), `*_s104.csv` and `*_s104.html` (the four figures of s.104 as published). `fields.csv`
describes every field: what it counts, its source, and whether it is statutory (required by law)
or the partnership's own.

- `{spec.suppressed}`: a count of 1 to {k - 1} people or incidents, or a count hidden so that such a
  count cannot be worked out from a total (never 0: a zero is written as 0).
- `{spec.not_applicable}`: a share with nothing to divide by.
- `{spec.not_available}`: a month after the as-of date (no data yet: not a zero).
- `as_of_date` and `is_complete_year` on every row: the warehouse's date, and whether the year had
  ended on it.
- In the breakdown columns (`review_type`, `outcome`, `month`, `asb_type`), `{ALL}` is a total and an
  empty cell means the field has no such breakdown.

| field | basis | what it is | unit | small numbers suppressed |
|---|---|---|---|---|
{lines}
"""
