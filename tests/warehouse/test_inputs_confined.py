"""The build reads only files inside the inputs folder, never through a link, and writes a warehouse
only its owner can read (etl/sources/config.py, etl/sources/extract.py, etl/build.py).

A symbolic link in a partner's folder pointing at the pseudonymisation key (or at any file the
build can read) is refused unopened and recorded like any unreadable file, with a reason that
never names where the link points; so is a path leading out of the folder. One real build of a
small inputs folder (module scope) with such files beside a good one.
"""

from __future__ import annotations

import os
import stat

import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, TEST_KEY, run_build, write_inputs

from etl.sources import check

ROW = "A1,council,,2025-03-03,,personal,noise,,,,,NG10 1AA,Market Place,ECN-1,individual,N"
SECRET = "f" * 64  # what the key file holds
OUTSIDE_TOML = """
[[source]]
slug = "outside"
kind = "incidents"
path = "../elsewhere/*.csv"
authority = "E07000036"
[source.gates]
unreadable_file = "warn"
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("confined")
    secrets_dir = root / "secrets"
    secrets_dir.mkdir()
    key = secrets_dir / "pseudonym.key"
    key.write_text(SECRET + "\n")
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "other.csv").write_text(",".join(INCIDENT_COLUMNS) + "\n" + ROW.replace("A1", "B1") + "\n")
    toml = (EREWASH_TOML.replace('path = "erewash/*.csv"', 'path = "erewash/**/*.csv"')
            + '[source.gates]\nunreadable_file = "warn"\n' + OUTSIDE_TOML)
    inputs = write_inputs(root / "in", toml, {"erewash/a_good.csv": ",".join(INCIDENT_COLUMNS) + "\n" + ROW + "\n"})
    (inputs / "erewash" / "key.csv").symlink_to(key)  # a link to the key, named like an export
    (inputs / "erewash" / "linked").symlink_to(root / "elsewhere", target_is_directory=True)
    previous = os.umask(0o022)  # the usual umask: the build, not the umask, must make the file private
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
            result, con = run_build(inputs, root / "warehouse.duckdb")
    finally:
        os.umask(previous)
    yield root, inputs, result, con
    con.close()


def _loads(con) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute(
        "select source_file, rows_read, file_sha256, ignored_columns, file_error from etl_loads").fetchall()}


def test__build__a_link_in_a_partner_folder_is_refused_and_recorded(built):
    _, _, _, con = built
    loads = _loads(con)
    assert loads["erewash/a_good.csv"][0] == 1 and loads["erewash/a_good.csv"][3] is None
    rows, sha, ignored, error = loads["erewash/key.csv"]
    assert (rows, sha) == (0, None) and not ignored
    assert error.startswith("refused: the file is a symbolic link")
    rows, _, _, error = loads["erewash/linked/other.csv"]
    assert rows == 0 and "inside a linked folder" in error


def test__build__a_path_out_of_the_inputs_folder_is_refused(built):
    _, _, _, con = built
    refused = {f: e for f, (_, _, _, e) in _loads(con).items() if not f.startswith("erewash/")}
    assert [f.endswith("/elsewhere/other.csv") for f in refused] == [True]
    assert "outside the inputs folder" in next(iter(refused.values()))
    assert con.execute("select count(*) from incidents").fetchall() == [(1,)]  # only the good file


def test__build__nothing_of_the_link_s_target_reaches_the_warehouse(built):
    root, _, _, con = built
    text_columns = con.execute("""select table_name, column_name from information_schema.columns
        where data_type = 'VARCHAR' and table_schema = 'main'""").fetchall()
    for table, column in text_columns:
        hits = con.execute(f'select count(*) from "{table}" where contains("{column}", ?) or contains("{column}", ?)',
                           [SECRET[:16], str(root / "secrets")]).fetchall()[0][0]
        assert hits == 0, f"{table}.{column}"


def test__build__the_warehouse_is_readable_by_its_owner_only(built):
    _, _, result, _ = built
    assert stat.S_IMODE(result.warehouse.stat().st_mode) == 0o600


def test__build__a_non_demo_build_is_marked_so(built):
    _, _, _, con = built
    assert con.execute("select demo from etl_builds").fetchall() == [(False,)]


def test__check__reports_the_link_as_refused_without_reading_it(built):
    root, inputs, _, _ = built
    reports = {r["file"]: r for r in check.check(inputs)}
    assert reports["erewash/key.csv"]["status"] == "refused" and reports["erewash/key.csv"]["read"] is None
    assert SECRET[:16] not in str(reports) and str(root / "secrets") not in str(reports)


def test__demo_build__is_marked_a_demo_build(demo_warehouse):
    import duckdb

    from insight.access import auth

    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        assert con.execute("select demo from etl_builds").fetchall() == [(True,)]
    finally:
        con.close()
    assert auth.demo_build(demo_warehouse)
