"""The Data quality page on a warehouse where files could not be read at all (etl_loads.file_error):
they are listed (file, source, reason) in an error box at the top of the page, above the builds,
and the per-file table gives each file a status.

The warehouse is built once (module scope) by the real ETL from a small inputs folder: one good
CSV, a workbook's bytes saved as .csv, and a CSV whose header fits none of the incident columns.
The unreadable_file gate is set to warn, so the build publishes.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, run_build, write_inputs
from support import open_app, workbook_bytes

from insight.queries import quality

PAGE = "app_pages/data_quality.py"
GOOD = "erewash/a_good.csv"
BINARY = "erewash/b_workbook_saved_as.csv"
MISFIT = "erewash/c_colours.csv"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("unreadable")
    toml = (EREWASH_TOML.replace('path = "erewash/*.csv"', 'path = "erewash/*"')
            + '[source.gates]\nunreadable_file = "warn"\n')
    row = "A1,council,,2025-03-03,,personal,noise,,,,,NG10 1AA,Market Place,ECN-1,individual,N"
    inputs = write_inputs(root / "in", toml, {
        GOOD: ",".join(INCIDENT_COLUMNS) + "\n" + row + "\n",
        BINARY: workbook_bytes({"Sheet": [INCIDENT_COLUMNS]}),
        MISFIT: "colour,size\nred,2\nblue,3\n",
    })
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
        result, con = run_build(inputs, root / "warehouse.duckdb")
    errors = dict(con.execute("select source_file, file_error from etl_loads where file_error is not null").fetchall())
    con.close()
    assert set(errors) == {BINARY, MISFIT}, errors  # the inputs do what the tests need
    return root / "warehouse.duckdb", errors


def test__quality_queries__unreadable_files_and_a_status_per_file(warehouse):
    path, errors = warehouse
    con = duckdb.connect(str(path), read_only=True)
    unreadable = quality.unreadable_files(con)
    assert list(unreadable.columns) == ["source_file", "source", "kind", "reason"]
    assert unreadable.values.tolist() == [[f, "erewash_council", "incidents", errors[f].removeprefix(f"{f}: ")]
                                          for f in (BINARY, MISFIT)]
    assert "Excel workbook" in unreadable["reason"].iloc[0] and "header fits none" in unreadable["reason"].iloc[1]
    files = quality.file_accounting(con).set_index("source_file")
    assert files["status"].to_dict() == {GOOD: "adds up", BINARY: "could not be read", MISFIT: "could not be read"}
    assert files.loc[BINARY, "file_error"] == errors[BINARY] and pd.isna(files.loc[GOOD, "file_error"])
    con.close()


def test__quality_page__lists_unreadable_files_at_the_top(warehouse, monkeypatch):
    path, errors = warehouse
    at = open_app(monkeypatch, path, PAGE)
    assert len(at.error) == 1
    box = at.error[0].value
    assert box.startswith("**2 files could not be read at all**")
    shown = box.replace("\\", "")  # the reasons are escaped for markdown
    for file, reason in errors.items():
        assert f"`{file}` (Erewash council): {reason.removeprefix(f'{file}: ')}\n" in shown + "\n"
    # at the top: the box comes before the first section of the page
    nodes = list(at.main)
    box_at = next(i for i, n in enumerate(nodes) if n is at.error[0])
    assert box_at < nodes.index(at.subheader[0]) and at.subheader[0].value == "Builds"
    # the per-file table gives each file a status and the reason
    files = next(d.value for d in at.dataframe if "status" in d.value.columns).set_index("source_file")
    assert files.loc[[GOOD, BINARY, MISFIT], "status"].tolist() == ["adds up", "could not be read", "could not be read"]
    assert files.loc[MISFIT, "file_error"] == errors[MISFIT]
    # the file that was read still adds up, and the page says the others were not read
    notes = [w.value for w in at.warning]
    assert any("1 file read adds up" in n and "2 could not be read" in n for n in notes), notes


def test__quality_page__a_file_with_bytes_not_utf8_loads_with_its_note_shown(tmp_path, monkeypatch):
    """A file declared UTF-8 holding a few Windows-1252 bytes loads (each read as U+FFFD); the page
    warns that it loaded with a note and its row says what to tell the partner."""
    row = "A1,council,,2025-03-03,,personal,noise,,,,,NG10 1AA,Café,ECN-1,individual,N"
    inputs = write_inputs(tmp_path / "in", EREWASH_TOML,
                          {GOOD: (",".join(INCIDENT_COLUMNS) + "\n" + row + "\n").encode("cp1252")})
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
    _, con = run_build(inputs, tmp_path / "warehouse.duckdb")
    con.close()
    at = open_app(monkeypatch, tmp_path / "warehouse.duckdb", PAGE)
    assert any("1 file loaded with a note" in w.value and GOOD in w.value for w in at.warning), [
        w.value for w in at.warning]
    files = next(d.value for d in at.dataframe if "status" in d.value.columns).set_index("source_file")
    assert files.loc[GOOD, "status"] == "adds up"
    assert files.loc[GOOD, "file_note"].startswith("1 line holds bytes that are not valid UTF-8 (line 2)")
