"""A two-digit year under a four-digit-year format ("10/03/25" where `%d/%m/%Y` is declared) reads
as the year 25: the reject said "reported_date 0025-03-10 is before 2000-01-01", without the value
as sent or the format that reads it, where a month-first date gets that hint (the partner-file
audit of 6 December 2026). Now it quotes the value and the format to declare, for a rejected
incident and for an application's stage date kept with a data error alike."""

from __future__ import annotations

import datetime as dt

from conftest import EREWASH_TOML, INCIDENT_COLUMNS, TEST_KEY, run_build, write_inputs

TOML = EREWASH_TOML + 'date_format = "%d/%m/%Y"\n[source.gates]\nreject_share = "warn"\n'


def _row(ref: str, day: str) -> str:
    return ",".join([ref, "council", "", day, "", "personal", "noise", "", "", "", "", "DE7 5RP", "Market Place",
                     "ECN-1", "individual", "N"])


def test__build__a_two_digit_year_under_a_four_digit_format_says_the_format_to_declare(tmp_path, monkeypatch):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    text = "\n".join([",".join(INCIDENT_COLUMNS), _row("A1", "10/03/2025"), _row("A2", "10/03/25"),
                      _row("A3", "31/12/1999")]) + "\n"
    _, con = run_build(write_inputs(tmp_path / "in", TOML, {"erewash/e.csv": text}), as_of=dt.date(2025, 6, 30))
    reasons = dict(con.execute("select source_row, reason from etl_rejects where reason_code = 'too_old_date'"
                               ).fetchall())
    assert reasons[3] == ("reported_date '10/03/25' reads as 0025-03-10 (format %d/%m/%Y), before 2000-01-01; "
                          'it reads as day/month/year: declare date_format = "%d/%m/%y" for its source in '
                          "sources.toml"), reasons
    assert reasons[4] == "reported_date '31/12/1999' reads as 1999-12-31 (format %d/%m/%Y), before 2000-01-01"


def test__build__september_abbreviated_sept_reads_under_a_month_name_format(tmp_path, monkeypatch):
    """Windows in English (United Kingdom) now abbreviates September "Sept": a month of
    `%d-%b-%y` exports was all bad_date rejects (the partner-file audit)."""
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    toml = EREWASH_TOML + 'date_format = "%d-%b-%y"\n'
    text = "\n".join([",".join(INCIDENT_COLUMNS), _row("A1", "10-Sept-25"), _row("A2", "11-sept-25"),
                      _row("A3", "12-Sep-25"), _row("A4", "13-SEPT-25 14:30")]) + "\n"
    _, con = run_build(write_inputs(tmp_path / "in", toml, {"erewash/e.csv": text}), as_of=dt.date(2025, 9, 30))
    assert [d.isoformat() for (d,) in con.execute("select reported_date from incidents order by 1").fetchall()] == \
        ["2025-09-10", "2025-09-11", "2025-09-12", "2025-09-13"]


def test__build__a_month_written_whole_reads_under_a_month_name_format(tmp_path, monkeypatch, capsys):
    """A partner's export that writes the month's whole name ("10-June-25") under `%d-%b-%y` was
    all bad_date rejects without a hint; it reads, in the build and in `asb check` alike."""
    from etl import cli as etl_cli

    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    toml = EREWASH_TOML + 'date_format = "%d-%b-%y"\n'
    text = "\n".join([",".join(INCIDENT_COLUMNS), _row("A1", "10-June-25"), _row("A2", "11-JULY-25"),
                      _row("A3", "12-march-25 09:15"), _row("A4", "13-Jun-25")]) + "\n"
    inputs = write_inputs(tmp_path / "in", toml, {"erewash/e.csv": text})
    assert etl_cli.main(["check", "--inputs", str(inputs)]) == 0, capsys.readouterr().out
    _, con = run_build(inputs, as_of=dt.date(2025, 9, 30))
    assert [d.isoformat() for (d,) in con.execute("select reported_date from incidents order by 1").fetchall()] == \
        ["2025-03-12", "2025-06-10", "2025-06-13", "2025-07-11"]
    assert con.execute("select count(*) from etl_rejects").fetchall() == [(0,)]


def test__build__a_four_digit_year_before_2000_gets_no_format_hint(tmp_path, monkeypatch):
    """'14/03/1999 00:00' under %d/%m/%Y %H:%M is 1999: no other format reads it later, so none is
    suggested (the scale-55 demo's reject had said 'declare date_format = "%d/%m/%Y"')."""
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    toml = EREWASH_TOML + 'date_format = "%d/%m/%Y %H:%M"\n[source.gates]\nreject_share = "warn"\n'
    text = "\n".join([",".join(INCIDENT_COLUMNS), _row("A1", "14/03/1999 00:00"), _row("A2", "10/03/2025 10:00")]) + "\n"
    _, con = run_build(write_inputs(tmp_path / "in", toml, {"erewash/e.csv": text}), as_of=dt.date(2025, 6, 30))
    assert con.execute("select reason from etl_rejects").fetchall() == [
        ("reported_date '14/03/1999 00:00' reads as 1999-03-14 (format %d/%m/%Y %H:%M), before 2000-01-01",)]
