"""Place incident reports: coordinates or postcode -> BNG point -> district, LSOA, ward, H3.

Priority per row: latitude/longitude, then easting/northing, then postcode; a pair that is exactly
0, 0 is no location (a placeholder some case systems write), not a point off Africa. A point's district
comes from the boundaries; a postcode's from the ONS Postcode Directory. A location that is given
but cannot be used, or that lies outside the nine districts, makes the row a reject; a row with no
location at all keeps the authority its source declared (and no point).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from etl.rules import authorities
from etl.transform import geo, scrub

# Rough box around Great Britain, to catch swapped or garbage coordinates.
GB_LAT, GB_LON = (49.8, 60.9), (-8.7, 1.8)
GB_EASTING, GB_NORTHING = (0, 700_000), (0, 1_250_000)


def _register(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register(f"_{name}_frame", frame)
    con.execute(f"create or replace temp table {name} as select * from _{name}_frame")
    con.unregister(f"_{name}_frame")


def _latlon_to_bng(con: duckdb.DuckDBPyConnection) -> None:
    pts = con.execute(f"""select distinct latitude, longitude from _loc_keys
        where latitude between {GB_LAT[0]} and {GB_LAT[1]}
          and longitude between {GB_LON[0]} and {GB_LON[1]}""").df()
    e, n = geo.to_bng(pts["longitude"].to_numpy(), pts["latitude"].to_numpy())
    _register(con, "_ll_bng", pts.assign(ll_easting=np.round(e, 1), ll_northing=np.round(n, 1)))


def _postcodes(con: duckdb.DuckDBPyConnection) -> None:
    letters = {r[0] for r in con.execute(
        "select distinct upper(left(trim(postcode), 1)) from _loc_keys where postcode is not null").fetchall()}
    _register(con, "_postcodes", geo.postcode_table(letters))


# How a location reject quotes a coordinate (in its reason and its raw values): only inside the
# range any coordinate of its kind can take (degrees; metres of a national grid), and rounded so
# it keeps fewer digits than any phone number (scrub: 10, or 9 after a "+"): latitude/longitude to
# 6 decimals (at most 9 digits, never a "+"), easting/northing to 0.1 m (at most 8). A number
# outside that range is not a coordinate but whatever a partner typed into the column, and
# "07700900123" or "+447700900123" in a latitude cell reads as a number ("7700900123.0").
SHOWN = {"latitude": (180, 6), "longitude": (180, 6), "easting": (10_000_000, 1), "northing": (10_000_000, 1)}
NOT_SHOWN = "[not a coordinate]"


def _coordinate(column: str, kind: str) -> str:
    """SQL: the coordinate `column` (of `kind`, a key of SHOWN) as a reject may quote it, null when
    it is outside its kind's range (see SHOWN)."""
    limit, decimals = SHOWN[kind]
    return f"case when abs({column}) < {limit} then round({column}, {decimals}) end"


def raw_coordinates_sql() -> str:
    """The struct fields of a location reject's raw values (etl/transform/publish.py) holding its
    coordinates (`_located`'s in_<kind> columns) as its reason quotes them (SHOWN): a phone number
    read as a number is no coordinate. Evaluated for the rejected rows alone."""
    return ", ".join(f"{kind} := {_coordinate(f'in_{kind}', kind)}" for kind in SHOWN)


def _shown(column: str, kind: str) -> str:
    """SQL quoting a coordinate in a reason: "empty" when the row gave only the other half of its
    pair (a latitude without a longitude): DuckDB's `format` is null when any argument is, and a
    reject without a reason failed the whole build (etl_rejects.reason is NOT NULL); NOT_SHOWN
    when it is no coordinate at all (SHOWN)."""
    return (f"case when {column} is null then 'empty' "
            f"else coalesce(({_coordinate(column, kind)})::varchar, '{NOT_SHOWN}') end")


# What a row's place depends on: its coordinates, postcode, declared authority and (a police.uk
# row) LSOA name, which its reject reason may quote. `_located`'s own columns come from `_loc`
# (one row per distinct set of these) and every other column from the row itself.
LOCATION_INPUTS = ("latitude", "longitude", "easting", "northing", "postcode", "authority_code", "source_lsoa_name")

# A view joining the places back costs each of its reads a hash table of every distinct set:
# nothing at 34,171 sets, but 11 s a read when each of ten million rows had its own (measured on
# the scale-55 rows, each joined by a key of its own), where one write of the joined rows serves every read.
MATERIALISE_FLOOR = 250_000   # never for fewer distinct sets than this
MATERIALISE_SHARE = 8         # nor for fewer than one set in this many rows


def materialise_located(distinct_inputs: int, rows: int) -> bool:
    """Whether `_located` is written once as a table rather than kept a view: when the rows hold
    many distinct location inputs (partners geocoding every incident to its own point)."""
    return distinct_inputs > max(MATERIALISE_FLOOR, rows // MATERIALISE_SHARE)


def locate(con: duckdb.DuckDBPyConnection, bounds: geo.Boundaries) -> None:
    """`_cand` (candidate reports) -> `_located` with point, district, LSOA, H3 and reject reasons.

    A row's place depends on LOCATION_INPUTS alone, and ten million reports hold a few tens of
    thousands of distinct ones (34,171 in the scale-55 demo; police.uk snaps its points). Each
    distinct set is placed once, in `_loc`, and `_located` is a view joining it back to the rows
    on those columns (`is not distinct from`: a missing value is a value, as `distinct` groups
    it). The view is read a few times (keying, de-duplication, publishing), each read scanning the
    staged rows and probing a small hash table; materialising ten million wide located rows took
    8-11 s of the scale-55 build and their scans were slower than the staged rows'. When the
    sets are many (`materialise_located`), the joined rows are written once instead."""
    keys = ", ".join(LOCATION_INPUTS)
    con.execute(f"create or replace temp table _loc_keys as select distinct {keys} from _cand")
    _latlon_to_bng(con)
    _postcodes(con)
    nine = ", ".join(f"'{c}'" for c in authorities.CODES)
    con.execute(f"""create or replace temp view _pointed as
        with z as (   -- 0, 0 is no location (case systems write it where nothing was geocoded)
            select {", ".join(f"{k} as k_{k}" for k in LOCATION_INPUTS)}, * replace (
                case when latitude = 0 and longitude = 0 then null else latitude end as latitude,
                case when latitude = 0 and longitude = 0 then null else longitude end as longitude,
                case when easting = 0 and northing = 0 then null else easting end as easting,
                case when easting = 0 and northing = 0 then null else northing end as northing)
            from _loc_keys
        ),
        c as (
            select c.*,
                -- only a postcode's shape is looked up and cut into a district ("JaneDoe" is neither)
                case when {scrub.POSTCODE_SHAPE_SQL.format('postcode')} then upper(replace(postcode, ' ', ''))
                end as postcode_key,
                case when latitude is not null or longitude is not null then 'latlon'
                     when easting is not null or northing is not null then 'bng'
                     when postcode is not null then 'postcode' end as loc_kind
            from z c
        )
        select c.*,
            case loc_kind when 'latlon' then ll.ll_easting when 'postcode' then pc.easting
                 when 'bng' then case when c.easting between {GB_EASTING[0]} and {GB_EASTING[1]}
                      and c.northing between {GB_NORTHING[0]} and {GB_NORTHING[1]} then c.easting end
            end as pt_easting,
            case loc_kind when 'latlon' then ll.ll_northing when 'postcode' then pc.northing
                 when 'bng' then case when c.easting between {GB_EASTING[0]} and {GB_EASTING[1]}
                      and c.northing between {GB_NORTHING[0]} and {GB_NORTHING[1]} then c.northing end
            end as pt_northing,
            pc.postcode_authority_code
        from c
        left join _ll_bng ll on c.loc_kind = 'latlon' and ll.latitude = c.latitude
                             and ll.longitude = c.longitude
        left join _postcodes pc on c.loc_kind = 'postcode' and pc.postcode_key = c.postcode_key""")
    pts = con.execute("select distinct pt_easting, pt_northing from _pointed "
                      "where pt_easting is not null order by all").df()
    placed = geo.place_points(pts["pt_easting"].to_numpy(float), pts["pt_northing"].to_numpy(float), bounds)
    placed = placed.rename(columns={"easting": "pt_easting", "northing": "pt_northing"})
    _register(con, "_placed", placed)
    con.execute(f"""create or replace temp table _loc as
        with p as (
            select t.* exclude (latitude, longitude, easting, northing, authority_code),
                t.latitude as in_latitude, t.longitude as in_longitude,
                t.easting as in_easting, t.northing as in_northing,
                t.authority_code as declared_authority_code,
                pl.* exclude (pt_easting, pt_northing),
                case when t.loc_kind = 'postcode' then
                        case when t.postcode_authority_code in ({nine}) then t.postcode_authority_code end
                     else pl.geo_authority_code end as located_authority_code
            from _pointed t left join _placed pl using (pt_easting, pt_northing)
        )
        select p.*, coalesce(located_authority_code,
                             case when loc_kind is null then declared_authority_code end) as authority_code,
            case
                when loc_kind = 'latlon' and pt_easting is null then {{'code': 'unplaceable',
                    'reason': format('latitude/longitude {{}}, {{}} is not a usable point in Great Britain',
                                     {_shown('in_latitude', 'latitude')}, {_shown('in_longitude', 'longitude')})}}
                when loc_kind = 'bng' and pt_easting is null then {{'code': 'unplaceable',
                    'reason': format('easting/northing {{}}, {{}} is not a usable British National Grid point',
                                     {_shown('in_easting', 'easting')}, {_shown('in_northing', 'northing')})}}
                when loc_kind = 'postcode' and pt_easting is null then {{'code': 'unplaceable',
                    'reason': format('postcode ''{{}}'' is not in the ONS Postcode Directory', postcode)}}
                when loc_kind is not null and located_authority_code is null then {{'code': 'outside_area',
                    'reason': format('location ({{}}{{}}) is outside the nine Derbyshire districts',
                                     -- named by what placed it (a row may carry a postcode beside its
                                     -- point), and a police.uk row's LSOA name beside it: the name
                                     -- alone ("Amber Valley 001A") contradicted the reason
                                     case loc_kind
                                         when 'latlon' then printf('%.5f, %.5f', in_latitude, in_longitude)
                                         when 'bng' then printf('easting %.0f, northing %.0f', in_easting, in_northing)
                                         else postcode end,
                                     coalesce(', LSOA ' || source_lsoa_name, ''))}}
                when loc_kind is null and declared_authority_code is null then {{'code': 'unplaceable',
                    'reason': 'no location and no authority'}}
            end as loc_reject
        from p""")
    _scrub_reasons(con)
    conditions = " and ".join(f"c.{k} is not distinct from l.k_{k}" for k in LOCATION_INPUTS)
    distinct_inputs, rows = con.execute("select (select count(*) from _loc_keys), (select count(*) from _cand)"
                                        ).fetchall()[0]
    kind = "table" if materialise_located(distinct_inputs, rows) else "view"
    con.execute(f"""create or replace temp {kind} _located as
        select c.* exclude ({keys}), l.* exclude ({", ".join(f"k_{k}" for k in LOCATION_INPUTS)})
        from _cand c join _loc l on {conditions}""")


def _scrub_reasons(con: duckdb.DuckDBPyConnection) -> None:
    """The text a location reject quotes, scrubbed as `scrub.scrub_staged` scrubs staging's
    reasons (it ran before these were written): a postcode column holding no postcode ("ring
    Mrs Patel 07700 900123", an e-mail) in the reason and in the row's postcode (its raw values),
    and a police file's LSOA name. A postcode-shaped value stays as sent. Only rejected rows'
    distinct values are looked at (a few). A rejected row's coordinates go into its raw values as
    its reason quotes them (`raw_coordinates_sql`)."""
    shaped = scrub.POSTCODE_SHAPE_SQL.format("postcode")
    values = [r[0] for r in con.execute(f"""
        select distinct postcode from _loc
        where loc_reject is not null and postcode is not null and not {shaped}
        union select distinct source_lsoa_name from _loc
        where loc_reject.code = 'outside_area' and source_lsoa_name is not null""").fetchall()]
    changed = {v: cleaned for v in values if (cleaned := scrub.scrub_text(v)[0]) != v}
    if not changed:
        return
    _register(con, "_loc_scrub", pd.DataFrame({"original": list(changed), "cleaned": list(changed.values())},
                                              dtype="object"))
    con.execute("""update _loc set loc_reject = {'code': loc_reject.code,
                       'reason': replace(loc_reject.reason, m.original, m.cleaned)}
                   from _loc_scrub m
                   where _loc.loc_reject is not null
                     and m.original = coalesce(_loc.postcode, _loc.source_lsoa_name)""")
    con.execute("""update _loc set postcode = m.cleaned from _loc_scrub m
                   where _loc.loc_reject is not null and _loc.postcode = m.original""")
    con.execute("drop table _loc_scrub")
