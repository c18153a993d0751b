"""Personal data in columns that should hold a code or a value from a short list (police.uk's LSOA
code and name, crime type, force, outcome), in a header of a column not read, and in a postcode
column on a row placed by its coordinates: scrubbed, and never cut into a "postcode district".
Every value of 22 real Derbyshire months of these columns is left as it is (tests/unit/test_scrub.py)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, run_build, write_inputs

PLANTED = ("Jane Doe 07700 900123", "jane.doe@example.com", "Mrs Patel 07700 900131", "Mr Smith 07700 900124",
           "Mrs Patel 07700 900141")
TOML = EREWASH_TOML + """
[[source]]
slug = "police-street"
kind = "police_uk"
path = "police/*.csv"
"""


def _police() -> str:
    head = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
            "Crime type,Last outcome category,Context")
    rows = [',2025-03,Derbyshire Constabulary,Derbyshire Constabulary,-1.377024,53.100783,On or near Cedar Avenue,'
            'Jane Doe 07700 900123,Amber Valley 001A,Anti-social behaviour,,',
            'c1,2025-03,Derbyshire Constabulary,jane.doe@example.com,-1.377024,53.100783,On or near Cedar Avenue,'
            'E01019400,Amber Valley 001A,Burglary - Mrs Patel 07700 900131,Mr Smith 07700 900124,']
    return "\n".join([head, *rows]) + "\n"


def _council() -> str:
    header = [*INCIDENT_COLUMNS, "Mrs Patel 07700 900141"]
    row = {"incident_ref": "E1", "agency": "council", "reported_date": "2025-03-03", "asb_category": "personal",
           "asb_type": "noise", "latitude": "52.97", "longitude": "-1.31", "postcode": "JaneDoe",
           "Mrs Patel 07700 900141": "x"}
    return ",".join(header) + "\n" + ",".join(row.get(c, "") for c in header) + "\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    inputs = write_inputs(tmp_path_factory.mktemp("codes") / "in", TOML,
                          {"police/2025-03-derbyshire-street.csv": _police(), "erewash/e.csv": _council()})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
        result, con = run_build(inputs, as_of=dt.date(2025, 6, 30))
    con.close()
    con = duckdb.connect(str(result.warehouse), read_only=True)
    yield con
    con.close()


def test__privacy__no_planted_value_in_any_text_column(built):
    found = []
    for table, column in built.execute("""select table_name, column_name from information_schema.columns
                                          where data_type = 'VARCHAR'""").fetchall():
        for value in PLANTED:
            for part in (value, " ".join(value.split()[-2:])):   # the whole value, and its phone number
                if built.execute(f'select count(*) from "{table}" where contains("{column}", ?)', [part]).fetchone()[0]:
                    found.append((table, column, part))
    assert not found, found


def test__privacy__a_postcode_column_without_a_postcode_gives_no_district(built):
    assert built.execute("select postcode_district from incidents where source = 'erewash_council'").fetchall() \
        == [(None,)]
