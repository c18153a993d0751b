"""Personal data typed where a date, a code or a reference belongs never reaches the warehouse.

A partner's export may carry "TBC - ring Mrs Patel 07700 900125" in a date column, an e-mail in
the case reference or a name in a yes/no column. The build quotes a bad value in the row's reason
(`etl_rejects.reason`, `raw_values`) or in a stage date's error (`date_errors`, shown on the
turnaround and data quality pages), and keeps a case reference as sent: each of them is scrubbed
as free text is (etl/transform/scrub.py `scrub_staged`), and counted in `etl_scrubbed`.
"""

from __future__ import annotations

import datetime as dt

from conftest import EREWASH_TOML, run_build, write_inputs

TOML = EREWASH_TOML + """
[[source]]
slug = "erewash-reviews"
kind = "applications"
path = "reviews/*.csv"
authority = "E07000036"
"""
HEADER = ("incident_ref,agency,reported_date,asb_category,asb_type,postcode,person_ref,is_hate,"
          "review_explained_date,case_ref")
INCIDENTS = [
    "I1,council,2025-03-01,personal,noise,NG10 1AA,P1,N,TBC - ring Mrs Patel 07700 900125,",
    "I2,council,2025-03-02,personal,noise,NG10 1AA,P2,N,,jane.doe@example.com",
    "I3,council,TBC ring Mrs Patel 07700 900126,personal,noise,NG10 1AA,P3,N,,",
    "I4,council,2025-03-04,personal,noise,NG10 1AA,P4,MR SMITH 07700900124,,",
    "I5,council,2025-03-05,personal,ring 07700 900127,NG10 1AA,P5,N,,",
    "I6,council,2025-03-06,personal,noise,NG10 1AA,P6,N,,CASE-0042",
]
APPLICATIONS = ["application_ref,person_ref,received_date,acknowledged_date,decision",
                "A1,P1,2025-03-01,emailed jane.doe@example.com,pending"]
FORBIDDEN = ["Patel", "07700", "900125", "900126", "900124", "900127", "jane", "example.com", "SMITH"]


def test__build__personal_data_in_dates_codes_and_references_is_scrubbed_everywhere(tmp_path):
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/e.csv": "\n".join([HEADER, *INCIDENTS]) + "\n",
                                                  "reviews/r.csv": "\n".join(APPLICATIONS) + "\n"})
    _, con = run_build(inputs, as_of=dt.date(2025, 12, 31))
    columns = con.execute("select table_name, column_name from information_schema.columns "
                          "where data_type = 'VARCHAR'").fetchall()
    found = []
    for table, column in columns:
        for (value,) in con.execute(f'select distinct "{column}" from "{table}" where "{column}" is not null').fetchall():
            found += [(table, column, piece) for piece in FORBIDDEN if piece.lower() in value.lower()]
    assert found == []
    # what the user needs is still there: which row, which column, that the value was not a date
    reasons = dict(con.execute("select source_row, reason from etl_rejects").fetchall())
    assert set(reasons) == {4, 5, 6}, reasons
    assert reasons[4].startswith("reported_date '") and "[name]" in reasons[4] and "[phone]" in reasons[4]
    errors = con.execute("select incident_id, date_errors from incidents where date_errors is not null").fetchall()
    assert [(i, e.split(" '")[0]) for i, e in errors] == [("erewash_council:I1", "review_explained_date")]
    refs = dict(con.execute("select incident_id, case_ref from incidents").fetchall())
    assert refs["erewash_council:I2"] == "[email]" and refs["erewash_council:I6"] == "CASE-0042"
    scrubbed = {(f, k) for f, k in con.execute("select field, removed from etl_scrubbed").fetchall()}
    assert {("reject_reason", "phone"), ("raw_values", "phone"), ("date_errors", "phone"),
            ("case_ref", "email")} <= scrubbed
