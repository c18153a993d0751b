"""`asb export return`: the yearly data return read back: its totals equal the marts, small counts
are written as the suppressed marker and cannot be worked out from a total, the s.104 figures are
published as they are, the HTML table is escaped, and a wrong year or authority is refused.

A hand-made Erewash register for 2025/26 (built as of 30 April 2026), every count small on purpose:

    incidents  May 2025: noise 7, graffiti 2 (hidden: 1-4)   June: noise 6, graffiti 6
               July: rowdy behaviour 12                        August: noise 2 (person P1: a second report)
    applications  ER-1 received 1 May 2025, met, reviewed with recommendations (the s.104 figures: 1, 0, 1, 1)
    appeals       AP-1 against ER-1, received 1 July 2025, not upheld
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import CASES_TOML, INCIDENT_COLUMNS, build_module_warehouse, write_inputs

from etl.rules import authorities
from insight import cli
from insight.access import disclosure
from insight.export import data_return

EREWASH, BOLSOVER = "E07000036", "E07000033"
AS_OF = dt.date(2026, 4, 30)
MONTHLY = [("2025-05-06", "noise", 7), ("2025-05-07", "graffiti", 2), ("2025-06-03", "noise", 6),
           ("2025-06-04", "graffiti", 6), ("2025-07-01", "rowdy behaviour", 12)]
SECOND = [("2025-08-04", "noise", "P1"), ("2025-08-11", "noise", "P1")]
APPLICATIONS = """application_ref,authority,person_ref,received_date,acknowledged_date,threshold_route,decision,decision_date,decision_notified_date,review_date,outcome,recommendations_count,outcome_notified_date,action_plan_closed_date
ER-1,Erewash,P1,2025-05-01,2025-05-02,victim,met,2025-05-08,2025-05-09,2025-05-29,recommendations,2,2025-06-03,
"""
APPEALS = """appeal_ref,application_ref,authority,received_date,appellant,grounds,outcome,decision_date
AP-1,ER-1,Erewash,2025-07-01,victim,review_process,not_upheld,2025-07-20
"""
TOML = CASES_TOML


def _incidents() -> str:
    rows, n = [",".join(INCIDENT_COLUMNS)], 0
    for day, kind, count in MONTHLY:
        for _ in range(count):
            n += 1
            rows.append(f"E{n},council,,{day},,nuisance,{kind},,,,,NG10 1AA,Market Place,,individual,N")
    for day, kind, person in SECOND:
        n += 1
        rows.append(f"E{n},council,,{day},,nuisance,{kind},,,,,NG10 1AA,Market Place,{person},individual,N")
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    inputs = write_inputs(tmp_path_factory.mktemp("return") / "inputs", TOML, {
        "erewash/incidents.csv": _incidents(), "applications.csv": APPLICATIONS, "appeals.csv": APPEALS})
    return build_module_warehouse(inputs, AS_OF)


def _return(warehouse: Path, out: Path, *extra) -> int:
    return cli.main(["export", "return", "--warehouse", str(warehouse), "--out", str(out), *map(str, extra)])


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _cells(rows: list[dict], field: str, **dims) -> dict[tuple, str]:
    """{(review_type, outcome, month, asb_type): value} of one field, filtered by `dims`."""
    return {tuple(r[d] for d in data_return.DIMENSIONS): r["value"] for r in rows
            if r["field"] == field and all(r[d] == v for d, v in dims.items())}


@pytest.fixture(scope="module")
def erewash(warehouse, tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("erewash") / "return"
    assert _return(warehouse, out, "--year", "2025/26", "--authority", "Erewash") == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == ["E07000036_erewash_2025-26_return.csv", "E07000036_erewash_2025-26_s104.csv",
                     "E07000036_erewash_2025-26_s104.html", "README.md", "fields.csv"]
    return _read(out / "E07000036_erewash_2025-26_return.csv")


def test__return__small_counts_written_as_the_marker_never_as_zero(erewash):
    incidents = _cells(erewash, "incidents")
    assert incidents[("", "", "2025-05", "graffiti")] == "[c]"          # 2
    assert incidents[("", "", "2025-08", "noise")] == "[c]"             # 2
    assert incidents[("", "", "2025-04", "noise")] == "0"               # none: a zero is a zero
    assert incidents[("", "", "all", "noise")] == "15"
    assert _cells(erewash, "second_report_events")[("", "", "", "")] == "[c]"   # one event
    assert _cells(erewash, "second_reports_share_explained_in_time")[("", "", "", "")] == "[c]"
    assert _cells(erewash, "opcc_cases", review_type="appeal")[("appeal", "not_upheld", "", "")] == "[c]"
    assert _cells(erewash, "opcc_cases")[("pcc_review", "all", "", "")] == "0"


def test__return__no_hidden_count_can_be_worked_out_from_a_total(erewash):
    """In every row and column of the month x type table whose total is shown, a hidden cell has
    company: at least two are hidden (secondary suppression), or none."""
    incidents = _cells(erewash, "incidents")
    for dim in (2, 3):
        other = 5 - dim
        for value in {k[dim] for k in incidents}:
            line = {k: v for k, v in incidents.items() if k[dim] == value}
            total = next(v for k, v in line.items() if k[other] == "all")
            hidden = [k for k, v in line.items() if k[other] != "all" and v == "[c]"]
            assert total == "[c]" or len(hidden) != 1, (value, hidden)
    # May: graffiti 2 is hidden, so noise 7 is too; August's only type is hidden, so its total is
    # too. Every incident of this warehouse is Erewash's, so the county's months that the board pack
    # prints (9, 12 and 12, not August's 2) are Erewash's own: the year's 35 less them would tell
    # August's 2, so the year's total is hidden as well (found by a black-box audit: before, the
    # return was protected as if the pack printed nothing of the same months)
    assert incidents[("", "", "2025-05", "noise")] == "[c]" and incidents[("", "", "2025-08", "all")] == "[c]"
    months = [v for k, v in incidents.items() if k[3] == "all" and k[2] != "all"]
    assert months.count("[c]") >= 2 and incidents[("", "", "all", "all")] == "[c]"


def test__return__statutory_figures_published_as_they_are(erewash, warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    mart = con.execute("""select applications_received, threshold_not_met, reviews_carried_out,
                                 reviews_with_recommendations from mart_statutory_returns
                          where authority_code = ? and financial_year = '2025/26'""", [EREWASH]).fetchone()
    con.close()
    assert mart == (1, 0, 1, 1)
    got = tuple(int(_cells(erewash, f)[("", "", "", "")]) for f in data_return.S104)
    assert got == mart  # 1 is below k, but the law requires it published
    assert {r["basis"] for r in erewash if r["field"] in data_return.S104} == {"statutory"}
    assert {r["basis"] for r in erewash if r["field"] not in data_return.S104} == {"partnership"}


def test__return__totals_equal_the_marts_when_nothing_is_small(demo_warehouse, tmp_path):
    """The demo, k = 1 (nothing hidden): every authority's totals are the warehouse's."""
    out = tmp_path / "return"
    assert _return(demo_warehouse, out, "--year", "2025/26", "--suppress-below", "1") == 0
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    start, end = dt.date(2025, 4, 1), dt.date(2026, 3, 31)
    for code in authorities.CODES:
        rows = _read(next(out.glob(f"{code}_*_return.csv")))
        assert "[c]" not in {r["value"] for r in rows}
        incidents = _cells(rows, "incidents")
        assert int(incidents[("", "", "all", "all")]) == con.execute(
            "select count(*) from incidents where authority_code = ? and reported_date between ? and ?",
            [code, start, end]).fetchone()[0]
        monthly = con.execute("""select strftime(reported_date, '%Y-%m'), count(*) from incidents
                                 where authority_code = ? and reported_date between ? and ? group by 1""",
                              [code, start, end]).fetchall()
        assert all(int(incidents[("", "", m, "all")]) == n for m, n in monthly)
        assert sum(int(v) for k, v in incidents.items() if "all" not in k) == int(incidents[("", "", "all", "all")])
        events = con.execute("""select count(*) from mart_second_reports where authority_code = ?
                                and second_report_date between ? and ?""", [code, start, end]).fetchone()[0]
        assert int(_cells(rows, "second_report_events")[("", "", "", "")]) == events
        appeals = con.execute("""select count(*) from mart_appeals where authority_code = ?
                                 and received_date between ? and ?""", [code, start, end]).fetchone()[0]
        assert int(_cells(rows, "opcc_cases")[("all", "all", "", "")]) == appeals
        figures = con.execute("""select applications_received, threshold_not_met, reviews_carried_out,
                                        reviews_with_recommendations from mart_statutory_returns
                                 where authority_code = ? and financial_year = '2025/26'""", [code]).fetchone()
        assert tuple(int(_cells(rows, f)[("", "", "", "")]) for f in data_return.S104) == figures
        published = _read(next(out.glob(f"{code}_*_s104.csv")))
        assert [int(r["2025/26"]) for r in published] == list(figures)
    con.close()


def test__return__default_k_hides_the_demo_s_small_counts(demo_warehouse, tmp_path):
    out = tmp_path / "return"
    assert _return(demo_warehouse, out, "--year", "2025/26", "--authority", BOLSOVER) == 0
    rows = _read(next(out.glob(f"{BOLSOVER}_*_return.csv")))
    k = disclosure.suppress_below()
    shown = [int(r["value"]) for r in rows if r["value"].isdigit() and r["field"] not in data_return.S104]
    assert not [v for v in shown if 0 < v < k]
    assert "[c]" in {r["value"] for r in rows}


def _by_type(out: Path) -> dict[str, int]:
    got = {"appeal": 0, "pcc_review": 0}
    for path in out.glob("*_return.csv"):
        for (review_type, outcome, _, _), value in _cells(_read(path), "opcc_cases").items():
            if review_type != "all" and outcome == "all":
                got[review_type] += int(value)
    return got


def test__pcc_reviews__by_review_type(demo_warehouse, tmp_path):
    """Appeals (the local OPCC procedure) and PCC reviews (the 2026 Act) apart, as mart_appeals has them."""
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    expected = dict(con.execute("""select review_type, count(*) from mart_appeals where authority_code is not null
                                   and received_date between '2025-04-01' and '2026-03-31' group by 1""").fetchall())
    con.close()
    assert _return(demo_warehouse, tmp_path / "return", "--year", "2025/26", "--suppress-below", "1") == 0
    assert _by_type(tmp_path / "return") == {t: expected.get(t, 0) for t in ("appeal", "pcc_review")}


def test__pcc_reviews__all_appeals_in_a_warehouse_without_review_type(demo_warehouse, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute("alter table mart_appeals drop column review_type")
    appeals = con.execute("""select count(*) from mart_appeals where authority_code is not null
                             and received_date between '2025-04-01' and '2026-03-31'""").fetchone()[0]
    con.close()
    assert _return(copy, tmp_path / "return", "--year", "2025/26", "--suppress-below", "1") == 0
    assert _by_type(tmp_path / "return") == {"appeal": appeals, "pcc_review": 0}


def test__s104_html__escaped_plain_table(warehouse, tmp_path):
    fields = tmp_path / "fields.toml"
    text = data_return.FIELDS_PATH.read_text(encoding="utf-8").replace(
        'label = "Number of ASB case reviews carried out"',
        'label = "Reviews <script>alert(1)</script> & \\"meetings\\""')
    fields.write_text(text, encoding="utf-8")
    out = tmp_path / "return"
    assert _return(warehouse, out, "--year", "2025/26", "--authority", EREWASH, "--fields", fields) == 0
    page = (out / "E07000036_erewash_2025-26_s104.html").read_text(encoding="utf-8")
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;meetings&quot;" in page
    assert page.count("<tr>") == 5 and "<caption>" in page and "style" not in page
    assert "1 April 2025 to 31 March 2026" in page


@pytest.mark.parametrize("args, message", [
    (("--year", "2031/32"), "no 2031/32 in the warehouse's statutory returns"),
    (("--year", "2026/27"), "had not ended on the warehouse's as-of date"),
])
def test__refused__year_not_there_or_not_over(warehouse, tmp_path, capsys, args, message):
    out = tmp_path / "return"
    assert _return(warehouse, out, *args) == 2
    assert message in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("args, message", [
    (("--year", "2025/26", "--authority", "Nottingham"), "'Nottingham' is not one of the nine authorities"),
    (("--year", "2025-26"), "'2025-26' is not a financial year"),
])
def test__refused__unknown_authority_or_year_form(warehouse, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_:
        _return(warehouse, tmp_path / "return", *args)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test__refused__a_field_list_naming_an_unknown_measure(warehouse, tmp_path, capsys):
    fields = tmp_path / "fields.toml"
    fields.write_text(data_return.FIELDS_PATH.read_text(encoding="utf-8").replace(
        'measure = "incidents.by_month_and_type"', 'measure = "incidents.by_ward"'), encoding="utf-8")
    assert _return(warehouse, tmp_path / "return", "--year", "2025/26", "--fields", fields) == 2
    assert "unknown measure 'incidents.by_ward'" in capsys.readouterr().err


def test__an_incomplete_year_when_asked_and_a_non_empty_folder_refused(warehouse, tmp_path, capsys):
    out = tmp_path / "return"
    assert _return(warehouse, out, "--year", "2026/27", "--allow-incomplete-year", "--authority", EREWASH) == 0
    assert _return(warehouse, out, "--year", "2025/26", "--authority", EREWASH) == 2
    assert "is not empty" in capsys.readouterr().err
    assert _return(warehouse, out, "--year", "2025/26", "--authority", EREWASH, "--force") == 0
    assert (out / "E07000036_erewash_2025-26_return.csv").exists()
    assert not (out / "E07000036_erewash_2026-27_return.csv").exists()


def test__readme__every_field_listed_with_its_basis():
    """The README's "Exports" section lists every field of the field list, statutory or not."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Exports"):readme.index("## The demo data")]
    for field in data_return.load_fields().fields:
        assert f"| `{field.name}` | {field.basis} |" in section, field.name
    for words in ("asb export parquet", "asb export return", "--with-person-keys", "[c]", "data_dictionary.csv"):
        assert words in section
