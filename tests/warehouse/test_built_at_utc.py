"""etl_builds.built_at is UTC whatever the server's zone: a build under New York's clock (five
hours behind in winter, four in summer) stores the same instant as one in London would, and the
Data quality page names the zone."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import duckdb
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, write_inputs


def test__build__built_at_is_utc_whatever_the_servers_zone(tmp_path):
    row = {"incident_ref": "E1", "agency": "council", "reported_date": "2025-06-30", "asb_category": "personal",
           "asb_type": "noise", "postcode": "NG10 1AA"}
    inputs = write_inputs(tmp_path / "inputs", EREWASH_TOML, {
        "erewash/e.csv": ",".join(INCIDENT_COLUMNS) + "\n" + ",".join(row.get(c, "") for c in INCIDENT_COLUMNS) + "\n"})
    warehouse = tmp_path / "w.duckdb"
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    subprocess.run([sys.executable, "-m", "etl.cli", "build", "--inputs", str(inputs), "--warehouse", str(warehouse),
                    "--as-of", "2025-06-30", "--quiet"], check=True, env=dict(os.environ, TZ="America/New_York"))
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        built_at = con.execute("select built_at from etl_builds").fetchone()[0]
    assert before - dt.timedelta(seconds=1) <= built_at <= after + dt.timedelta(seconds=1), (before, built_at, after)
