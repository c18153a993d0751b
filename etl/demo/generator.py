"""Synthetic demo inputs: what the Derbyshire partners would send, in their own export layouts.

`generate` writes `sources.toml`, one folder per source (nine councils, the police, a housing
provider, case-review applications and the OPCC appeals register) and a pseudonymisation key.
The data is Derbyshire-sized at scale 1 (about 60,000 reports a year, seasonal, concentrated at
repeat places and repeat reporters), with planted threshold cases, cross-agency duplicates,
personal data the ETL must not read, and a few deliberately bad rows of every reject kind. The
same seed, scale and as-of date give byte-identical files (except the key). The layouts, the bad
rows and the planted people are declared in etl/demo/layouts.py, demo_bad.py and demo_cases.py.
"""

from __future__ import annotations

import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from etl.demo import bad as demo_bad
from etl.demo.cases import (
    Planted,
    application_refs,
    application_timeline,
    plant_appeals,
    plant_applicants,
    plant_as_of,
    plant_pcc_reviews,
)
from etl.demo.formats import Context
from etl.demo.incidents import (
    Span,
    background,
    explanations,
    isolate_reports,
    plant_twins,
    sort_order,
    threshold_truth,
)
from etl.demo.layouts import SOURCES, toml_entry
from etl.demo.people import People
from etl.demo.places import build_places, foreign_places
from etl.demo.plans import plant_actions, plant_retriggers
from etl.demo.write import Writer, write_case_source, write_incident_source
from etl.rules import authorities, settings
from etl.transform import pseudonym

KEY_FILE = "secrets/pseudonym.key"
SETTINGS_FILE = "rules.toml"   # the demo's settings (`_demo_settings`)
APP_DATES = ["received_date", "acknowledged_date", "decision_date", "decision_notified_date", "review_date",
             "outcome_notified_date", "action_plan_closed_date"]
# The case review registers and the authorities (authorities.CODES positions) each one holds.
CASE_SOURCES = {"derby_case_reviews": [3], "chesterfield_case_reviews": [2],
                "district_case_reviews": [0, 1, 4, 5, 6, 7, 8]}


@dataclass
class DemoSummary:
    """What `generate` wrote, and what the ETL should find in it."""

    out_dir: Path
    as_of: date
    seed: int
    scale: float
    files: dict[str, int] = field(default_factory=dict)  # path under out_dir -> data rows (bad ones included)
    sources: dict[str, int] = field(default_factory=dict)  # slug -> data rows
    layouts: dict[str, str] = field(default_factory=dict)  # slug -> layout description
    bad_rows: dict[str, int] = field(default_factory=dict)  # reject kind -> rows planted
    bad_rows_by_source: dict[str, dict[str, int]] = field(default_factory=dict)
    data_errors: dict[str, int] = field(default_factory=dict)  # kept rows with a planted data error
    cross_agency_duplicates: int = 0  # report pairs (police + council) the ETL should merge
    personal_data_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # slug -> headers
    personal_data_samples: tuple[str, ...] = ()  # fake values that must never reach the warehouse
    # Person-authority rows meeting the victim threshold (3) / one short on as_of, after merging
    # duplicates: {"met": {GSS code: n, ..., "all": n}, "near_miss": {...}}
    expected_threshold: dict[str, dict[str, int]] = field(default_factory=dict)
    applications: dict[str, int] = field(default_factory=dict)  # good rows by decision
    appeals: dict[str, int] = field(default_factory=dict)  # good rows by outcome
    actions: dict[str, int] = field(default_factory=dict)  # good action rows by status ("" = left blank)
    second_applications: int = 0  # people who applied again within a year of their review's outcome

    @property
    def incident_rows(self) -> int:
        return sum(n for s, n in self.sources.items() if _spec(s).kind == "incidents")


def _spec(slug: str):
    return next(s for s in SOURCES if s.slug == slug)


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def generate(out_dir: Path, seed: int = 7, scale: float = 1.0,
             as_of: date = date(2026, 10, 31)) -> DemoSummary:
    """Write the demo inputs folder (sources.toml, source folders, key) and summarise it."""
    if not scale >= 0:
        raise ValueError(f"scale must be zero or more, not {scale!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    span, places = Span(as_of), build_places(_rng(seed, "places"))
    reports, homes = background(_rng(seed, "background"), places, span, scale, first_person=0)
    reports = plant_twins(_rng(seed, "twins"), reports, span.last)
    planted = Planted(first_person=len(homes))
    plant_as_of(_rng(seed, "as-of"), places, span, planted)
    apps = plant_applicants(_rng(seed, "applicants"), places, span, planted, scale)
    apps, appeals = _cases(seed, apps, span)  # own random streams: independent of the reports
    again_reports, again = plant_retriggers(_rng(seed, "retriggers"), span, planted, apps)
    apps = _with_second_applications(apps, again)
    actions = _actions(seed, apps, span)
    bad = demo_bad.plant_bad_reports(_rng(seed, "bad"), places, span, SOURCES)
    parts = [reports, planted.frame(_rng(seed, "planted"), places), bad]
    if again_reports.parts:  # last, so the other reports are drawn as without them
        parts.append(again_reports.frame(_rng(seed, "retrigger-reports"), places))
    reports = pd.concat(parts, ignore_index=True)
    summary = DemoSummary(out_dir, as_of, seed, scale)
    summary.cross_agency_duplicates = isolate_reports(reports)
    with ThreadPoolExecutor(1) as pool:  # independent of each other (own random streams), so side by side
        explained = pool.submit(explanations, _rng(seed, "explained"), reports)
        summary.expected_threshold = threshold_truth(reports, span.last)
        people = People(_rng(seed, "people"), len(homes) + len(planted.homes),
                        np.concatenate([homes, np.asarray(planted.homes, dtype=homes.dtype)]))
        reports["explained"] = explained.result()
    ctx = Context(places, people, span.last)
    foreign, samples = foreign_places(), []
    with Writer() as writer:  # files written in the background while the next are formatted
        for spec in SOURCES:
            if spec.kind == "incidents":
                rows = _source_rows(reports, spec)
                written = write_incident_source(out_dir, spec, rows, ctx, foreign, as_of, writer)
                if spec.layout.personal_headers:
                    samples += list(rows.person[rows.person >= 0].drop_duplicates().iloc[:2])
            else:
                table = {"appeals": appeals, "actions": actions}.get(spec.kind)
                table = apps[apps.source == spec.slug] if table is None else table
                written = write_case_source(out_dir, spec, table, ctx, foreign, as_of, writer)
            _record(summary, spec, written)
    _summarise_cases(summary, apps, appeals, people, np.array(samples))
    summary.actions = actions[actions.bad == 0].status.fillna("").value_counts().sort_index().to_dict()
    summary.second_applications = len(again)
    (out_dir / "sources.toml").write_text(_sources_toml(), encoding="utf-8")
    (out_dir / SETTINGS_FILE).write_text(_demo_settings(), encoding="utf-8")
    _ensure_key(out_dir / KEY_FILE)
    return summary


def _cases(seed: int, apps: pd.DataFrame, span: Span) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Applications (with their bad copies and refs) and appeals (with theirs)."""
    apps = application_timeline(_rng(seed, "timeline"), apps, span.last).assign(bad=0, template=-1)
    rng = _rng(seed, "bad-cases")
    copies = demo_bad.plant_bad_copies(rng, apps, [(a, demo_bad.PLAN[s]) for s, a in CASE_SOURCES.items()])
    apps = pd.concat([apps, demo_bad.shift_copy_dates(copies, APP_DATES, 2)], ignore_index=True)
    apps = apps.sort_values(["received_date", "auth"], kind="stable")
    apps["application_ref"] = application_refs(apps)
    apps["source"] = _case_source(apps)
    appeals = plant_appeals(rng, apps[apps.bad == 0], span.last).assign(bad=0, template=-1)
    appeals = plant_pcc_reviews(_rng(seed, "pcc-reviews"), appeals, apps[apps.bad == 0], span.last)
    copies = demo_bad.plant_bad_copies(rng, appeals, [(list(range(9)), demo_bad.PLAN["opcc_appeals"])])
    year = copies.received_date.to_numpy().astype("int64").astype("datetime64[D]").astype("datetime64[Y]")
    copies["appeal_ref"] = [f"OPCC/CT/{y + 1970}/9{i:02d}" for i, y in enumerate(year.astype(int))]
    appeals = pd.concat([appeals, demo_bad.shift_copy_dates(copies, ["received_date", "decision_date"], 2)],
                        ignore_index=True)
    return apps, appeals.sort_values("received_date", kind="stable")


def _case_source(apps: pd.DataFrame) -> list[str]:
    return [next(s for s, a in CASE_SOURCES.items() if x in a) for x in apps.auth]


def _with_second_applications(apps: pd.DataFrame, again: pd.DataFrame) -> pd.DataFrame:
    """The applications with the second ones (etl/demo/plans.py) in their registers, in order of receipt."""
    if again.empty:
        return apps
    again = again.assign(source=_case_source(again))
    both = pd.concat([apps, again.set_axis(range(len(apps) + 1_000_000, len(apps) + 1_000_000 + len(again)))])
    return both.sort_values(["received_date", "auth"], kind="stable")


def _actions(seed: int, apps: pd.DataFrame, span: Span) -> pd.DataFrame:
    """The action plans (one row per action) with their bad copies (new refs), agreed-date order."""
    actions = plant_actions(_rng(seed, "actions"), apps, span.last)
    if actions.empty:
        return actions
    copies = demo_bad.plant_bad_copies(_rng(seed, "bad-actions"), actions,
                                       [(list(range(9)), demo_bad.PLAN["action_plans"])])
    copies["action_ref"] = [f"{r.rpartition('-')[0]}-A9{i}" for i, r in enumerate(copies.action_ref)]
    actions = pd.concat([actions, copies], ignore_index=True)
    return actions.sort_values(["agreed_date", "action_ref"], kind="stable")


def _source_rows(reports: pd.DataFrame, spec) -> pd.DataFrame:
    """The reports one incident source holds, ordered by reported day, time and place."""
    mine = reports.agency.to_numpy() == spec.agency
    if spec.authority:
        mine &= reports.auth.to_numpy() == authorities.CODES.index(spec.authority)
    rows = np.flatnonzero(mine)
    rows = rows[sort_order(*(reports[c].to_numpy()[rows] for c in ("rep", "minute", "place", "person")))]
    return reports.take(rows).reset_index(drop=True)


def _record(summary: DemoSummary, spec, written: dict[str, int]) -> None:
    summary.files.update({k: int(v) for k, v in written.items()})
    summary.sources[spec.slug] = int(sum(written.values()))
    summary.layouts[spec.slug] = spec.layout.name
    if spec.layout.personal_headers:
        summary.personal_data_columns[spec.slug] = spec.layout.personal_headers
    kinds = Counter(demo_bad.PLAN.get(spec.slug, ()))
    summary.bad_rows_by_source[spec.slug] = {k: n for k, n in kinds.items() if k not in demo_bad.DATA_ERROR_KINDS}
    for kind in demo_bad.KINDS:
        target = summary.data_errors if kind in demo_bad.DATA_ERROR_KINDS else summary.bad_rows
        target[kind] = target.get(kind, 0) + kinds.get(kind, 0)


def _summarise_cases(summary: DemoSummary, apps: pd.DataFrame, appeals: pd.DataFrame, people: People,
                     sample: np.ndarray) -> None:
    kept = apps.bad.isin([0, *(demo_bad.code(k) for k in demo_bad.DATA_ERROR_KINDS)])  # loaded, errors and all
    summary.applications = apps[kept].decision.value_counts().sort_index().to_dict()
    summary.appeals = appeals[appeals.bad == 0].outcome.value_counts().sort_index().to_dict()
    summary.personal_data_samples = tuple(v for what in ("_name", "_phone", "_email", "_address")
                                          for v in people.personal(sample, what).to_pylist())


# The demo's rules: the shipped settings (etl/rules/authorities.toml) and a dated hate rule for
# Derby, illustrative, so the demo shows a rule changing and the hate route. The shipped settings
# assume no council's hate rule: a partnership's own build uses the statutory counts until its
# settings say otherwise.
DEMO_RULES = """
# Written by etl/demo/generator.py, the demo's own and illustrative: a lower count for hate
# incidents in Derby from April 2025.
[[rule]]
authority = "Derby"
effective_from = "2025-04-01"
hate_threshold = 1
"""


def _demo_settings() -> str:
    return settings.DEFAULT_PATH.read_text(encoding="utf-8").rstrip("\n") + "\n" + DEMO_RULES


def _sources_toml() -> str:
    head = ("# Demo inputs written by etl/demo/generator.py (synthetic data; the people and their details are fake).\n"
            "[build]\n" f'pseudonym_key_file = "{KEY_FILE}"\n' "duplicate_distance_m = 250\n"
            f'settings = "{SETTINGS_FILE}"  # the shipped rules and an illustrative hate rule for Derby\n'
            "demo = true  # a demo build: the demo users may sign in to its warehouse\n")
    return head + "".join("\n" + toml_entry(spec) for spec in SOURCES)


def _ensure_key(path: Path) -> None:
    """A random 32-byte key (hex), created once (owner-only) and never overwritten."""
    pseudonym.generate_key_file(path)
