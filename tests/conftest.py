"""Shared fixtures: small hand-made inputs folders built with the real ETL, and the demo warehouse.

The demo warehouse is built once per test session from the real generator and the real build, at
a small scale, and shared read-only by the page and browser tests.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest

from etl import build
from insight import db

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
TEST_KEY = "test-key-0123456789abcdef"
# every setting of a rules file (settings.toml's [defaults]), for a test that writes its own rules
RULE_DEFAULTS = """
[defaults]
effective_from = "2014-10-20"
victim_threshold = 3
window_months = 6
qualifying_report_months = 1
hate_threshold = 0
hate_window_months = 6
related_by = "any"
lead_agency = ""
sla_explain_days = 5
community_route = false
community_threshold = 5
community_h3_resolution = 9
sla_acknowledge_days = 5
sla_decision_days = 10
sla_decision_notice_days = 5
sla_review_days = 20
sla_outcome_days = 5
sla_appeal_window_days = 20
sla_appeal_decision_days = 20
sla_pcc_review_decision_days = 20
retrigger_months = 12
"""
AS_OF = dt.date(2025, 6, 30)
DEMO_SCALE = float(os.environ.get("ASB_TEST_DEMO_SCALE", "0.1"))
# The canonical incidents template (DESIGN.md) and one Erewash council source using it.
INCIDENT_COLUMNS = ["incident_ref", "agency", "authority", "reported_date", "occurred_date", "asb_category",
                    "asb_type", "latitude", "longitude", "easting", "northing", "postcode", "location_desc",
                    "person_ref", "victim_type", "is_hate"]
EREWASH_TOML = """
[[source]]
slug = "erewash-council"
kind = "incidents"
path = "erewash/*.csv"
authority = "E07000036"
"""
# A case-review register (applications.csv) and the OPCC's appeals (appeals.csv), as the case
# review tests write them; CASES_TOML with Erewash's incidents
REGISTERS_TOML = """
[[source]]
slug = "case-reviews"
kind = "applications"
path = "applications.csv"

[[source]]
slug = "opcc-appeals"
kind = "appeals"
path = "appeals.csv"
"""
CASES_TOML = EREWASH_TOML + REGISTERS_TOML
# The applications register in the canonical template, every column, and an appeals register of
# no appeal (register_warehouse)
APPLICATIONS_HEADER = ("application_ref,authority,person_ref,received_date,acknowledged_date,threshold_route,decision,"
                       "decision_date,decision_notified_date,review_date,outcome,recommendations_count,"
                       "outcome_notified_date,action_plan_closed_date")
NO_APPEALS = "appeal_ref,application_ref,authority,received_date,appellant,grounds,outcome,decision_date\n"


def real_data(*parts: str) -> Path:
    """A file under ../shared/data/real, or skip the test saying why."""
    path = REAL.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available at {path} (../shared/data/real is absent)")
    return path


def incident_row(ref: str, day: int = 1, **values) -> str:
    """One canonical incidents CSV row (Erewash council, 2025-03-<day>, a postcode, a person), with
    `values` replacing columns by name."""
    d = dict(zip(INCIDENT_COLUMNS, [ref, "council", "", f"2025-03-{day:02d}", "", "personal", "noise", "", "", "",
                                    "", "NG10 1AA", "Market Place", f"ECN-{ref}", "individual", "N"], strict=True))
    d.update(values)
    return ",".join(d.values())


# Two council feeds named by their authority (the disclosure probes' small warehouses: the
# files go under erewash/ and derby/)
EREWASH_DERBY_TOML = """
[[source]]
slug = "erewash-council"
kind = "incidents"
path = "erewash/*.csv"
authority = "Erewash"

[[source]]
slug = "derby-council"
kind = "incidents"
path = "derby/*.csv"
authority = "Derby"
"""


def dated_incidents(prefix: str, days: list[str]) -> str:
    """A canonical incidents file of one report on each of `days`, with no location (the source's
    authority), each by another person (references and people named from `prefix`)."""
    rows = [",".join(INCIDENT_COLUMNS)]
    for n, day in enumerate(days):
        values = dict.fromkeys(INCIDENT_COLUMNS, "")
        values.update(incident_ref=f"{prefix}-{n}", agency="council", reported_date=day, asb_category="personal",
                      asb_type="noise", person_ref=f"P-{prefix}-{n}", victim_type="individual", is_hate="N")
        rows.append(",".join(values[c] for c in INCIDENT_COLUMNS))
    return "\n".join(rows) + "\n"


def csv_text(*lines: str) -> str:
    """Lines as a CSV file's text, each ended by a newline."""
    return "\n".join(lines) + "\n"


def write_inputs(folder: Path, toml: str, files: dict[str, str | bytes]) -> Path:
    """An inputs folder: sources.toml plus files (text is written as UTF-8)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sources.toml").write_text(toml, encoding="utf-8")
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return folder


def run_build(inputs: Path, warehouse: Path | None = None, as_of: dt.date = AS_OF):
    """Build with the real ETL and return (result, read-only connection)."""
    warehouse = warehouse or inputs.parent / "warehouse.duckdb"
    result = build.build(inputs, warehouse, as_of)
    return result, duckdb.connect(str(warehouse), read_only=True)


TEST_KEY = "test-key-0123456789abcdef"


def made_pack(root: Path, toml: str, files: dict[str, str | bytes], as_of: dt.date, month: str, k: int = 5):
    """(the board pack of `month` with the disclosure rule at `k`, the warehouse path): the inputs
    built with the real ETL under the tests' key, then the real pack."""
    from insight.board_pack import pack as report

    inputs = write_inputs(root / "in", toml, files)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
        _, con = run_build(inputs, root / "warehouse.duckdb", as_of)
    con.close()
    return report.make_pack(root / "warehouse.duckdb", month, suppress_below=k), root / "warehouse.duckdb"


def text_holding(con, pieces: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(table, column, value) of every value, as text, of every column of every table of the
    warehouse `con` (but the reference tables' names and outlines) that holds one of `pieces` (lower
    case): what must never reach it."""
    leaked = []
    for table, column in con.execute("select table_name, column_name from information_schema.columns "
                                     "where table_catalog <> 'temp'").fetchall():
        if table in ("ref_lsoa", "ref_ward", "authorities"):
            continue
        values = con.execute(f'select distinct cast("{column}" as varchar) from "{table}" '
                             f'where "{column}" is not null').fetchall()
        leaked += [(table, column, v) for (v,) in values if any(p in v.lower() for p in pieces)]
    return leaked


def build_module_warehouse(inputs: Path, as_of: dt.date = AS_OF) -> Path:
    """A hand-made inputs folder built with the real ETL under the tests' pseudonymisation key (set
    for the build only, so a module fixture leaves the environment as it found it): the warehouse."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
        result, connection = run_build(inputs, as_of=as_of)
    connection.close()
    return result.warehouse


def register_warehouse(folder: Path, applications: list[str], as_of: dt.date = AS_OF,
                       appeals: str = NO_APPEALS) -> Path:
    """A warehouse built with the real ETL from an applications register (rows under
    APPLICATIONS_HEADER) and an appeals register, in `folder`."""
    inputs = write_inputs(folder / "inputs", REGISTERS_TOML, {
        "applications.csv": "\n".join([APPLICATIONS_HEADER, *applications]) + "\n", "appeals.csv": appeals})
    return build_module_warehouse(inputs, as_of)


def register_connection(folder: Path, applications: list[str], as_of: dt.date = AS_OF):
    """`register_warehouse` opened read-only, as the dashboard opens it, for a module fixture to
    `yield from`; closed after the module's tests."""
    connection = db.connect(register_warehouse(folder, applications, as_of))
    yield connection
    connection.close()


# Gi* permutations per build: 999 in production; 99 keeps the suite's many builds fast.
os.environ.setdefault("ASB_GI_PERMUTATIONS", "99")
# The demo users sign in to the hand-made and police warehouses too (not demo builds); the tests of
# that refusal unset it (tests/pages/test_sign_in_hardening.py).
os.environ.setdefault("ASB_ALLOW_DEMO_USERS", "1")
# The boundary cache (etl/transform/geo.py) of this run, not the user's ~/.cache
# (xdist's workers inherit it; the process that made it removes it when it ends).
if "ASB_CACHE_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["ASB_CACHE_DIR"] = tempfile.mkdtemp(prefix="asb-test-cache-")
    atexit.register(shutil.rmtree, os.environ["ASB_CACHE_DIR"], ignore_errors=True)
# The audit log (and the session store beside it: insight/access/auth.py sessions_path) of a test
# that names none, in this run's folder, not data/ of the checkout (the audit_file fixture and the
# servers set their own).
if "ASB_AUDIT" not in os.environ:
    os.environ["ASB_AUDIT"] = os.path.join(os.environ["ASB_CACHE_DIR"], "audit.sqlite")


@pytest.fixture(autouse=True)
def _pseudonym_key(monkeypatch):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory):
    """(inputs folder, warehouse path, DemoSummary) of the demo at a small scale, built once."""
    from etl.demo import generator as demo

    root = tmp_path_factory.mktemp("demo")
    summary = demo.generate(root / "inputs", seed=7, scale=DEMO_SCALE)
    build.build(root / "inputs", root / "warehouse.duckdb", summary.as_of)
    return root / "inputs", root / "warehouse.duckdb", summary


@pytest.fixture(scope="session")
def demo_warehouse(demo_build) -> Path:
    """Path of the demo warehouse (read it read-only)."""
    return demo_build[1]


@pytest.fixture
def audit_file(tmp_path, monkeypatch):
    """A fresh audit log for the test ($ASB_AUDIT)."""
    from insight.access import audit

    path = tmp_path / "audit.sqlite"
    monkeypatch.setenv(audit.AUDIT_ENV, str(path))
    return path


@pytest.fixture(scope="module")
def con(demo_warehouse):
    """The demo warehouse opened the way the dashboard opens it (etl.db.connect: read-only)."""

    connection = db.connect(demo_warehouse)
    yield connection
    connection.close()


POLICE_AS_OF = dt.date(2024, 10, 31)  # the last month of the real Derbyshire files


@pytest.fixture(scope="session")
def police_warehouse(tmp_path_factory) -> Path:
    """A warehouse of the 22 real Derbyshire police.uk months with the ONS 2021 LSOAs and the May
    2025 wards as boundaries, built once (skips when ../shared/data/real is absent)."""
    folder = real_data("police_uk", "derbyshire")
    lsoa = real_data("boundaries", "lsoa21_bgc_derbyshire.geojson")
    wards = real_data("boundaries", "wards_may2025_bgc_derbyshire.geojson")
    root = tmp_path_factory.mktemp("police")
    inputs = write_inputs(root / "inputs", f"""
[build]
boundaries = "ons"
lsoa_path = "{lsoa}"
ward_path = "{wards}"

[[source]]
slug = "police-uk"
kind = "police_uk"
path = "{folder}/*.csv"
""", {})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
        build.build(inputs, root / "warehouse.duckdb", POLICE_AS_OF)
    return root / "warehouse.duckdb"


# --- the real server and browser (tests/support.py has the helpers) ------------------------------

BROWSER_RERUNS = 1


def pytest_collection_modifyitems(items):
    """Browser tests get one more try (pytest-rerunfailures): on two busy cores a click on a
    canvas-drawn map or grid can land while Streamlit is still rerunning and be lost. A test that
    fails twice fails; the reruns are reported in the summary."""
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("flaky"):
            item.add_marker(pytest.mark.flaky(reruns=BROWSER_RERUNS, reruns_delay=2))

@pytest.fixture(scope="module")
def server(demo_warehouse, tmp_path_factory):
    """Base URL of the dashboard on the demo warehouse."""
    import support

    yield from support.serve(demo_warehouse, tmp_path_factory.mktemp("streamlit") / "streamlit.log")


@pytest.fixture(scope="module")
def police_server(police_warehouse, tmp_path_factory):
    """Base URL of the dashboard on the real Derbyshire police.uk warehouse (ONS boundaries, wards)."""
    import support

    yield from support.serve(police_warehouse, tmp_path_factory.mktemp("streamlit") / "streamlit.log")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (skips when it is not installed)."""
    import support

    if not Path(support.CHROMIUM).exists():
        pytest.skip(f"{support.CHROMIUM} not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=support.CHROMIUM, args=support.CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab (own context: no cookies shared with other tests)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    context.close()
