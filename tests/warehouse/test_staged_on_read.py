"""Incidents are staged as they are read (etl/sources/extract.py STAGED_ON_READ): the statement
that reads a file's or a batch's records stages them into stg_incidents, so no raw table holds
their text. The staged rows, the rejects' raw values and the scrub's counts must be what the
raw-table path gives (extract into raw tables, map the authorities, scrub in place, stage):
checked here on hostile files read every way the extract reads (a batch of monthly files, a
cp1252 file on its own, a file with a header and no record, a workbook), with names, phone numbers and house numbers in the free
text, authorities written several ways, a header named like the statement's own columns, bad
dates and a missing column."""

from __future__ import annotations

import datetime as dt

import duckdb
import openpyxl
import pytest
from conftest import TEST_KEY, write_inputs

from etl import sqlfile
from etl.build import _register_maps
from etl.progress import Progress
from etl.sources import config, extract, readers
from etl.transform import scrub, stage

AS_OF = dt.date(2025, 6, 30)

TOML = """
[[source]]
slug = "monthly"
kind = "incidents"
path = "monthly/*.csv"
authority = "E07000036"
[source.values.asb_type]
"Noise  Nuisance" = "noise"
[source.values.is_hate]
"Maybe" = "N"
[source.constants]
victim_type = "individual"   # a blank one is the source's constant

[[source]]
slug = "old-system"
kind = "incidents"
path = "old/*.csv"
encoding = "cp1252"
date_format = "%d/%m/%Y"
[source.columns]
incident_ref = "Ref"
reported_date = "Logged"
occurred_date = "Occurred"
asb_category = "Group"
asb_type = "Type"
location_desc = "items"   # named like a column of the scrub's own counts
person_ref = "Partnership Ref"
authority = "District"
[source.constants]
agency = "council"

[[source]]
slug = "landlord"
kind = "incidents"
path = "book/*.xlsx"
authority = "E07000032"
"""

HEADER = ("incident_ref,agency,authority,reported_date,occurred_date,asb_category,asb_type,easting,northing,"
          "location_desc,person_ref,is_hate,__asb_original,victim_type,__asb_text")
PLACES = ["outside 12 Market Street, Ilkeston", "Mrs Patel's garden, ring 07700 900125", "the park",
          "near the shops", "email jo.bloggs@example.com about it", "", "  the park  ", "Victoria Park"]
AUTHORITIES = ["Erewash", "erewash borough council", "E07000036", "", "Nowhere Council", "EREWASH"]
# Closed-list and vocabulary columns written every way partners write them (typed once per
# distinct text: extract._value_maps), blanks and values outside the lists among them; the
# list lengths are coprime, so the combinations vary from record to record.
AGENCIES = ["council", "Council", " COUNCIL ", "housing", "Parish"]
CATEGORIES = ["personal", "PERSONAL", " Personal ", "nuisance", "Environmental", "bad cat", ""]
TYPES = ["noise", "noise nuisance", "NOISE  NUISANCE", "rowdy_behaviour", "ROWDY   behaviour", "Not a type",
         "", "fly-tipping", "Fly Tipping"]
HATE = ["N", "Y", "yes", "TRUE", "0", "", "maybe", "n/a", "N", "No", "1"]
VICTIMS = ["individual", "Business", "community group", "Community-Group", "", "alien", "INDIVIDUAL", "individual"]
# what each label becomes (a label not here is outside its list, a reject): agency, asb_category,
# asb_type, is_hate, victim_type; a blank is no value (a blank victim type: the source's constant)
CANONICAL = (
    {"council": "council", "Council": "council", " COUNCIL ": "council", "housing": "housing"},
    {"personal": "personal", "PERSONAL": "personal", " Personal ": "personal", "nuisance": "nuisance",
     "Environmental": "environmental"},
    {"noise": "noise", "noise nuisance": "noise", "NOISE  NUISANCE": "noise", "rowdy_behaviour": "rowdy behaviour",
     "ROWDY   behaviour": "rowdy behaviour", "": None, "fly-tipping": "fly-tipping"},
    {"N": "N", "Y": "Y", "yes": "Y", "TRUE": "Y", "0": "N", "": None, "maybe": "N", "No": "N", "1": "Y"},
    {"individual": "individual", "Business": "business", "community group": "community_group",
     "Community-Group": "community_group", "": "individual", "INDIVIDUAL": "individual"},
)


def _monthly(month: int, n: int, file_name_column: bool = False) -> str:
    """A month's file; March and April share a header, so they are read as one batch; with
    `file_name_column` (a header the batch reader uses itself) the file is read on its own."""
    lines = [HEADER + (",_file_name" if file_name_column else "")]
    for i in range(n):
        day = f"2025-{month:02d}-{1 + i % 27:02d}"
        occurred = "31/02/2025" if i % 11 == 3 else day   # a bad date now and then
        lines.append(",".join([
            f"M{month}-{i}", AGENCIES[i % len(AGENCIES)], AUTHORITIES[i % len(AUTHORITIES)], day, occurred,
            CATEGORIES[i % len(CATEGORIES)], TYPES[i % len(TYPES)], str(445000 + i), str(340000 + i),
            f'"{PLACES[i % len(PLACES)]}"', f"ECN-{i % 9}", HATE[i % len(HATE)],
            "kept apart", VICTIMS[i % len(VICTIMS)], "not a label", *(["not the file"] if file_name_column else [])]))
    return "\n".join(lines) + "\n"


def _old_system() -> bytes:
    lines = ["Ref,Logged,Occurred,Group,Type,items,Partnership Ref,District,Complainant Name"]
    for i in range(30):
        lines.append(f'O-{i},{1 + i % 28:02d}/03/2025,{1 + i % 28:02d}/03/2025,PERSONAL,noise,'
                     f'"{["Café on the Green", "No. 4 Rose Lane (Mr Brown)", "the market"][i % 3]}",'
                     f'P{i % 4},{["Erewash", "Erewash Borough"][i % 2]},Mr Brown')
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@pytest.fixture()
def inputs(tmp_path):
    folder = write_inputs(tmp_path / "in", TOML, {
        "monthly/2025-03.csv": _monthly(3, 60), "monthly/2025-04.csv": _monthly(4, 45),
        "monthly/2025-05.csv": _monthly(5, 1, file_name_column=True),
        "old/export.csv": _old_system(),
        "old/nothing-this-month.csv": _old_system().split(b"\r\n")[0] + b"\r\n"})   # a header, no record
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["incident_ref", "agency", "reported_date", "occurred_date", "asb_category", "asb_type",
               "location_desc", "person_ref"])   # no authority column: the source's constant
    for i in range(20):
        ws.append([f"L-{i}", "housing", dt.date(2025, 4, 1 + i), dt.date(2025, 4, 1 + i), "nuisance", "noise",
                   ["Flat 3, 22 Derby Road", "stairwell", "call Sam on 01332 123456"][i % 3], f"T{i % 5}"])
    (folder / "book").mkdir()
    book.save(folder / "book" / "landlord.xlsx")
    return folder


def _extract(cfg, staged_as_of):
    con = duckdb.connect()
    batched = readers.read_batch(con, cfg.sources[0].files(cfg.inputs), cfg.sources[0], "_probe")
    assert sorted(p.name for p in batched) == ["2025-03.csv", "2025-04.csv"]   # both ways of reading CSV
    con.execute("drop table _probe_0; drop table _probe_0_files")
    con.execute(sqlfile.read("warehouse"))
    hashes = {p: extract.sha256_file(p) for s in cfg.sources for p in s.files(cfg.inputs)}
    loads = extract.extract(con, cfg, "load", TEST_KEY.encode(), hashes, Progress(enabled=False),
                            staged_as_of=staged_as_of)
    return con, loads


def _rows(con, sql):
    return sorted(con.execute(sql).fetchall(), key=repr)


def test__incidents_staged_as_read__same_rows_rejects_and_scrub_counts_as_raw_tables(inputs):
    cfg = config.load(inputs)
    raw, raw_loads = _extract(cfg, None)               # the raw-table path, as the case kinds still take
    _register_maps(raw, cfg)
    scrub.scrub_raw(raw, cfg.sources, "load")
    tables = [s.table for s in cfg.sources]
    raw.execute(f"create temp table stg_incidents as "
                f"{stage.stage_sql('incidents', tables, {s.table: s for s in cfg.sources}, AS_OF)}")
    staged, staged_loads = _extract(cfg, AS_OF)
    assert [(x.path, x.rows_read, x.error) for x in staged_loads] == \
        [(x.path, x.rows_read, x.error) for x in raw_loads]
    assert {x.path for x in staged_loads} == {"monthly/2025-03.csv", "monthly/2025-04.csv", "monthly/2025-05.csv",
                                               "old/export.csv", "old/nothing-this-month.csv", "book/landlord.xlsx"}
    assert not any(x.error for x in staged_loads)
    every = "select * exclude (load_id) from stg_incidents"
    assert _rows(staged, every) == _rows(raw, every)
    # the labels as written became their canonical values (typed once per distinct text), and those
    # outside the lists are rejects quoting them as sent (after the value maps)
    loaded = dict(staged.execute("""select incident_ref, (agency, asb_category, asb_type, is_hate, victim_type)
        from stg_incidents where source = 'monthly' and reject_code is null""").fetchall())
    rejected = dict(staged.execute("""select incident_ref, reject_reason from stg_incidents
        where source = 'monthly' and reject_code is not null""").fetchall())
    checked = 0
    for ref in [f"M3-{i}" for i in range(60)] + [f"M4-{i}" for i in range(45)]:
        i = int(ref.split("-")[1])
        labels = (AGENCIES[i % len(AGENCIES)], CATEGORIES[i % len(CATEGORIES)], TYPES[i % len(TYPES)],
                  HATE[i % len(HATE)], VICTIMS[i % len(VICTIMS)])
        outside = [(name, label) for name, label, canon in zip(
            ("agency", "asb_category", "asb_type", "is_hate", "victim_type"), labels, CANONICAL, strict=True)
            if label not in canon]
        if ref in loaded:
            assert not outside, (ref, outside)
            assert loaded[ref] == tuple(canon[label] for label, canon in zip(labels, CANONICAL, strict=True)), ref
            checked += 1
        elif outside and rejected[ref].startswith(outside[0][0] + " "):   # the first failing check names it
            name, label = outside[0]
            assert (f"{name} is empty" if not label.strip() else f"{name} '{label}' is not one of") in rejected[ref]
            checked += 1
    assert checked >= 80 and len(loaded) >= 20 and len(set(loaded.values())) >= 10
    assert staged.execute("select count(*) from stg_incidents").fetchall()[0][0] == 60 + 45 + 1 + 30 + 20
    scrubbed = "select * from etl_scrubbed"
    assert _rows(staged, scrubbed) == _rows(raw, scrubbed)
    # the scrub did its work: counts for every file with personal text, none of it staged
    assert {r[0] for r in staged.execute("select distinct source_file from etl_scrubbed").fetchall()} == \
        {"monthly/2025-03.csv", "monthly/2025-04.csv", "monthly/2025-05.csv", "old/export.csv", "book/landlord.xlsx"}
    text = " ".join(str(v) for row in staged.execute(
        "select location_desc, raw_values from stg_incidents").fetchall() for v in row)
    for personal in ("07700", "Patel", "jo.bloggs", "12 Market", "Mr Brown", "01332", "22 Derby"):
        assert personal not in text
    # authorities as written: each mapped once (the staging join never repeats a row)
    assert staged.execute("select count(*), count(distinct authority_value) from _authority_map").fetchall()[0] \
        in [(n, n) for n in range(1, 20)]
    # the raw tables of the incidents sources were never filled: the files and their hashes are the record
    for s in cfg.sources:
        assert staged.execute(f"select count(*) from {s.table}").fetchall()[0][0] == 0
    # and the statement's own names in a header are the file's columns, not the statement's
    assert staged.execute("select count(*) from stg_incidents where source_file = 'not the file'").fetchall()[0][0] == 0


def test__incidents_staged_as_read__a_file_that_fails_leaves_no_rows_or_counts(inputs, monkeypatch):
    """A file whose reading statement fails is that file's error alone: nothing of it is staged and
    none of its scrub counts recorded (they are recorded once its rows are in)."""
    cfg = config.load(inputs)
    real = stage.stage_sql

    def failing(kind, tables, sources, as_of, today=None, **options):
        sql = real(kind, tables, sources, as_of, today, **options)
        # the cp1252 file's statement (it names its own file) fails inside DuckDB
        return sql.replace("from final", "from final where error('boom') is null") if "old/export.csv" in sql else sql

    monkeypatch.setattr(extract.stage, "stage_sql", failing)
    con, loads = _extract(cfg, AS_OF)
    failed = [x for x in loads if x.error]
    assert [x.path for x in failed] == ["old/export.csv"]
    assert con.execute("select count(*) from stg_incidents where source_file = 'old/export.csv'").fetchall()[0][0] == 0
    assert con.execute("select count(*) from etl_scrubbed where source_file = 'old/export.csv'").fetchall()[0][0] == 0
    assert con.execute("select count(*) from stg_incidents").fetchall()[0][0] == 60 + 45 + 1 + 20


def test__incidents_staged_as_read__counts_that_fail_take_the_rows_back(inputs, monkeypatch):
    """The records and the scrub's counts of them go in together: when recording the counts fails
    after the records went in, the file is an error with nothing of it staged (never rows read = 0
    with its rows loaded)."""
    cfg = config.load(inputs)
    real = scrub.ReadScrub.record

    def failing(self, load_id, source, kind, file_sql):
        if "old/export.csv" in file_sql:
            raise duckdb.BinderException("counts failed")
        return real(self, load_id, source, kind, file_sql)

    monkeypatch.setattr(scrub.ReadScrub, "record", failing)
    con, loads = _extract(cfg, AS_OF)
    assert [x.path for x in loads if x.error] == ["old/export.csv"]
    assert con.execute("select count(*) from stg_incidents where source_file = 'old/export.csv'").fetchall()[0][0] == 0
    assert con.execute("select count(*) from stg_incidents").fetchall()[0][0] == 60 + 45 + 1 + 20
