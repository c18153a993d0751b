"""A matched file the build cannot open (no read permission) or that is no regular file (a named
pipe called `x.csv`): before, the first crashed `asb build` and `asb check` with a PermissionError
traceback, so no file loaded (the audit of 6 December 2026), and the second was left out without a
word. Now each is refused unopened, with its reason, as a link is: recorded in etl_loads, the
others load, and the `unreadable_file` gate decides (here "warn").

Root reads a file of mode 000, so the build runs in a child process without the capabilities that
let root read any file (`setpriv`), as a partner's share mounted read-protected would be read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, TEST_KEY, write_inputs

ROW = "A{n},council,,2025-03-03,,personal,noise,,,,,NG10 1AA,Market Place,ECN-{n},individual,N"
TOML = EREWASH_TOML + '[source.gates]\nunreadable_file = "warn"\n'
PROJECT = Path(__file__).resolve().parents[2]
NO_DAC = ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"]
BUILD = """
import datetime as dt, json, sys, duckdb
from etl import build
from etl.sources import check
inputs, warehouse = sys.argv[1], sys.argv[2]
result = build.build(inputs, warehouse, dt.date(2025, 6, 30))
con = duckdb.connect(warehouse, read_only=True)
loads = con.execute("select source_file, rows_loaded, file_error from etl_loads order by 1").fetchall()
reports = [(r["file"], r["status"], r["error"]) for r in check.check(inputs)]
print(json.dumps({"loads": loads, "check": reports, "notes": result.notes}))
"""


def _run(inputs, warehouse) -> dict:
    command = [sys.executable, "-c", BUILD, str(inputs), str(warehouse)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root reads a file of mode 000, and setpriv is not here to drop that right")
        command = NO_DAC + command
    env = {**os.environ, "ASB_PSEUDONYM_KEY": TEST_KEY, "PYTHONPATH": str(PROJECT)}   # this checkout's code
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _inputs(root):
    good = ",".join(INCIDENT_COLUMNS) + "\n" + ROW.format(n=1) + "\n"
    return write_inputs(root / "in", TOML, {"erewash/a_good.csv": good,
                                            "erewash/b_locked.csv": good.replace("A1,", "A2,")})


def test__build_and_check__a_file_without_read_permission_is_refused_and_the_others_load(tmp_path):
    inputs = _inputs(tmp_path)
    os.chmod(inputs / "erewash" / "b_locked.csv", 0)
    got = _run(inputs, tmp_path / "wh.duckdb")
    loads = {f: (n, e) for f, n, e in got["loads"]}
    assert loads["erewash/a_good.csv"] == (1, None)
    assert loads["erewash/b_locked.csv"][0] == 0
    assert loads["erewash/b_locked.csv"][1] == "refused: the file cannot be opened (permission denied)"
    assert "gate unreadable_file (warn): erewash_council: erewash/b_locked.csv: refused: the file cannot be opened " \
        "(permission denied)" in got["notes"], got["notes"]
    check = {f: (s, e) for f, s, e in got["check"]}
    assert check["erewash/b_locked.csv"] == ("refused", "refused: the file cannot be opened (permission denied)")
    assert check["erewash/a_good.csv"][0] == "ok"


def test__build__a_named_pipe_called_like_an_export_is_refused_unopened(tmp_path):
    inputs = _inputs(tmp_path)
    os.unlink(inputs / "erewash" / "b_locked.csv")
    os.mkfifo(inputs / "erewash" / "b_pipe.csv")   # opening it to read would wait for a writer forever
    got = _run(inputs, tmp_path / "wh.duckdb")
    loads = {f: (n, e) for f, n, e in got["loads"]}
    assert loads == {"erewash/a_good.csv": (1, None),
                     "erewash/b_pipe.csv": (0, "refused: not a regular file (a named pipe, a device or a socket)")}
