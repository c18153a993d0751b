"""A partner's monthly files sharing one header are read and loaded together (issue 15: one scan
and one insert for the batch, not one per file): each record still carries its own file and its
own record number in that file, as a file read alone does, and every file is accounted for.

Each record's reference names the file and the record number it was written at, so the check
does not depend on how the reader numbers them. The files vary in size (one record, none, many),
in title rows above the header, in a byte-order mark or none, and a batch with one broken record falls back to reading its
files one by one.
"""

from __future__ import annotations

import random

import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, TEST_KEY, run_build, write_inputs

TOML = EREWASH_TOML + """
[[source]]
slug = "bolsover-council"
kind = "incidents"
path = "bolsover/*.csv"
authority = "E07000033"
skip_rows = 2
"""


def record(ref: str, day: int, person: int) -> list[str]:
    return [ref, "council", "", f"2025-03-{1 + day % 27:02d}", "", "personal", "noise", "", "", "", "",
            "NG10 1AA", "Market Place", f"ECN-{person}", "individual", "N"]


def csv_text(rows: list[list[str] | str], order: list[int], title: bool) -> str:
    lines = ["Bolsover District Council ASB export", "run 2025-04-01"] if title else []
    for row in rows:
        lines.append(row if isinstance(row, str) else ",".join(row[i] for i in order))
    return "\n".join(lines) + "\n"


def make_files(seed: int) -> tuple[dict[str, str], dict[str, int]]:
    """Files of both sources; returns their text and how many records each holds."""
    rnd = random.Random(seed)
    files, records = {}, {}
    plain = list(range(len(INCIDENT_COLUMNS)))
    shuffled = plain[:]
    rnd.shuffle(shuffled)
    layouts = [("erewash", plain, False, False)] * 4 + [("erewash", shuffled, False, False)] * 2 \
        + [("erewash", shuffled, False, True)] + [("bolsover", plain, True, False)] * 3
    for n, (folder, order, title, broken) in enumerate(layouts):
        name = f"{folder}/month_{n:02d}.csv"
        size = rnd.choice([0, 1, 2, rnd.randint(3, 400)])
        header = [INCIDENT_COLUMNS[i] for i in order]
        first = 4 if title else 2  # the record number of the first data row (the header's is 1 or 3)
        rows: list[list[str] | str] = [header]
        count = 0
        for k in range(size):
            if broken and k == size // 2:
                rows.append("Total,12")
                count += 1
            rows.append(record(f"{name}#{first + count}", rnd.randint(0, 400), rnd.randint(1, 60)))
            count += 1
        if broken and not size:
            rows.append("Total,12")
            count += 1
        bom = "\ufeff" if rnd.random() < 0.5 else ""  # Excel's "CSV UTF-8" starts with a byte-order mark
        files[name] = bom + csv_text([",".join(header), *rows[1:]], order, title)
        records[name] = count
    return files, records


@pytest.mark.parametrize("seed", [1, 2, 3])
def test__batched_files__every_record_keeps_its_file_and_number(tmp_path, monkeypatch, seed):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    files, records = make_files(seed)
    inputs = write_inputs(tmp_path / "in", TOML, files)
    _, con = run_build(inputs)
    loads = con.execute("select source_file, rows_read, rows_loaded + rows_rejected + rows_merged "
                        "from etl_loads").fetchall()
    assert {f: read for f, read, _ in loads} == records
    assert all(read == total for _, read, total in loads)
    # every record once: loaded, merged or rejected, at its own file and number
    places = con.execute("""select source_file, source_row from incident_reports
                            union all select source_file, source_row from etl_merged
                            where (source_file, source_row) not in (select (source_file, source_row) from incident_reports)
                            union all select source_file, source_row from etl_rejects""").fetchall()
    expected = [(f, n) for f, count in records.items()
                for n in range(4 if f.startswith("bolsover") else 2, (4 if f.startswith("bolsover") else 2) + count)]
    assert sorted(places) == sorted(expected)
    # a loaded report is the record its reference says it is
    reports = con.execute("select source_file, source_row, report_id from incident_reports").fetchall()
    assert reports
    for source_file, source_row, report_id in reports:
        assert report_id.split(":", 1)[1] == f"{source_file}#{source_row}", (source_file, source_row, report_id)
    codes = {r[0] for r in con.execute("select distinct reason_code from etl_rejects").fetchall()}
    assert codes <= {"malformed_row"}, codes  # every header understood, byte-order mark or not
    broken = con.execute("select source_file, source_row from etl_rejects where reason_code = 'malformed_row'").fetchall()
    assert broken == [(f, n) for f, text in files.items() for n in [_total_row(text)] if n]


def _total_row(text: str) -> int | None:
    """The record number of the "Total,12" line of a file, if it has one (no title rows there)."""
    lines = text.lstrip("\ufeff").splitlines()
    return lines.index("Total,12") + 1 if "Total,12" in lines else None
