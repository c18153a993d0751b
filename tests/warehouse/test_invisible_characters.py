"""References with characters a reader cannot see or tell apart: a zero-width space or a byte-order
mark pasted into a reference, full-width letters and digits (an East Asian input method), a
non-breaking or thin space. Before, a cumulative export repeating AV-1 as "AV-1\u200b" made a second
incident, and the victim met the threshold on one complaint sent three times; a full-width person
reference became an anonymous report and an accented one another person (the partner-file audit).
Now a reference is read as what it shows: the invisible characters dropped, full-width forms and
odd spaces as their plain ones (and a person reference's accents as its letters)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, TEST_KEY, run_build, write_inputs


def _row(ref: str, person: str, day: int = 3) -> str:
    return ",".join([ref, "council", "", f"2025-03-{day:02d}", "", "personal", "noise", "", "", "", "",
                     "DE7 5RP", "Market Place", person, "individual", "N"])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("invisible")
    head = ",".join(INCIDENT_COLUMNS)
    first = [head, _row("AV-1", "ECN-42", 3), _row("AV-2", "ECN-43", 4), _row("AV-3", "ECN00540", 5)]
    again = [head, _row("AV-1\u200b", "ECN-42", 3), _row("\ufeffAV-1", "ECN-42", 3), _row("ＡＶ－１", "ECN-42", 3),
             _row("AV-2\u00a0", "ECN-43", 4), _row("AV-2\u2060\u202f", "ECN-43", 4),
             _row("AV-4", "ＥＣＮ００５４０", 6), _row("AV-5", "ÉCN00540", 7), _row("AV-6", "ECN\u200b00540", 8)]
    inputs = write_inputs(root / "in", EREWASH_TOML, {"erewash/2025-03.csv": "\n".join(first) + "\n",
                                                       "erewash/2025-04.csv": "\n".join(again) + "\n"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
        _, con = run_build(inputs, as_of=dt.date(2025, 3, 31))
    return con


def test__build__a_reference_repeated_with_invisible_or_full_width_characters_is_the_same_record(built):
    ids = [i for (i,) in built.execute("select incident_id from incidents order by 1").fetchall()]
    assert ids == ["erewash_council:AV-1", "erewash_council:AV-2", "erewash_council:AV-3", "erewash_council:AV-4",
                   "erewash_council:AV-5", "erewash_council:AV-6"]
    merged = built.execute("select source_row, merged_into, rule from etl_merged order by 1").fetchall()
    assert merged == [(2, "erewash_council:AV-1", "repeated_row"), (3, "erewash_council:AV-1", "repeated_row"),
                      (4, "erewash_council:AV-1", "repeated_row"), (5, "erewash_council:AV-2", "repeated_row"),
                      (6, "erewash_council:AV-2", "repeated_row")]
    assert built.execute("select count(*) from etl_rejects").fetchall()[0][0] == 0


def test__build__one_complaint_sent_again_meets_no_threshold(built):
    counts = built.execute("""select qualifying_complaints, is_threshold_met from mart_threshold_status
        where person_key = (select person_key from incidents where incident_id = 'erewash_council:AV-1')""").fetchall()
    assert counts == [(1, False)]   # AV-1 sent four times is one complaint (it was three, the threshold met)


def test__build__a_person_reference_in_full_width_or_with_an_accent_is_the_same_person(built):
    keys = built.execute("""select count(distinct person_key), count(person_key) from incidents
                            where incident_id in ('erewash_council:AV-3', 'erewash_council:AV-4',
                                                  'erewash_council:AV-5', 'erewash_council:AV-6')""").fetchall()
    assert keys == [(1, 4)]
