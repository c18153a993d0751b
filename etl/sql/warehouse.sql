-- Published warehouse tables (DESIGN.md "Warehouse tables", contract). Built by etl/build.py.
-- Raw tables raw_<source>__<kind> hold the canonical columns as text plus load_id, source_file,
-- source_row; person_ref is replaced by person_key there too (pseudonymised at ingest).

create table authorities (
    authority_code varchar primary key,   -- ONS GSS code
    authority_name varchar not null,
    authority_kind varchar not null,      -- district | unitary
    area_km2 double,                      -- from the boundary layer in use
    boundary_geojson varchar              -- simplified outline (WGS84), base layer for offline maps
);

create table ref_lsoa (
    lsoa_code varchar primary key,
    lsoa_name varchar,
    authority_code varchar not null,
    area_km2 double,
    boundary_geojson varchar
);

create table ref_ward (                  -- filled only when [build] ward_path names a ward layer
    ward_code varchar primary key,
    ward_name varchar,
    authority_code varchar not null,      -- the district holding most of the ward
    area_km2 double,
    boundary_geojson varchar
);

create table etl_builds (
    load_id varchar primary key,          -- deterministic: hash of inputs + as-of date
    built_at timestamp not null,
    as_of_date date not null,
    inputs_path varchar,
    boundaries varchar,                   -- which boundary layer assigned authorities and LSOAs
    incidents bigint, reports bigint, applications bigint, appeals bigint, rejects bigint,
    build_seconds double,
    key_fingerprint varchar               -- id of the pseudonymisation key (not the key)
);

create table etl_loads (
    load_id varchar not null,
    source varchar not null,              -- source slug
    kind varchar not null,                -- incidents | applications | appeals | police_uk
    source_file varchar not null,         -- path relative to the inputs folder
    file_sha256 varchar,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    rows_merged bigint not null,          -- merged into another report of the same incident
    rows_context bigint not null,         -- of rows_loaded: police non-ASB rows kept for context
    first_date date, last_date date,      -- range of reported/received dates loaded
    ignored_columns varchar               -- headers not read (personal data, unmapped)
);

create table etl_rejects (
    load_id varchar not null,
    source varchar not null,
    kind varchar not null,
    source_file varchar not null,
    source_row bigint not null,           -- record number in the file, header = 1
    reason_code varchar not null,         -- e.g. bad_date, future_date, missing_key, ...
    reason varchar not null,              -- readable sentence naming the column and value
    raw_values varchar                    -- JSON of the canonical values (people pseudonymised)
);

create table etl_merged (                 -- rows folded into another row, so none is lost
    load_id varchar not null,
    kind varchar not null,
    source varchar not null,
    source_file varchar not null,
    source_row bigint not null,
    merged_into varchar not null,         -- incident_id / application_ref / appeal_ref kept
    rule varchar not null                 -- repeated_row | cross_agency | police_republished
);

create table incidents (                  -- one row per distinct ASB incident (after de-dup)
    incident_id varchar not null,         -- <source>:<incident_ref>; unique (checked by validation:
                                          -- an index over ten million keys would cost 40% of publishing)
    authority_code varchar not null,
    source varchar not null,              -- source of the earliest report
    agency varchar not null,              -- agency of the earliest report
    agencies varchar not null,            -- every agency that had it, comma-separated, sorted
    report_count integer not null,        -- reports merged into this incident (>= 1)
    reported_date date not null,
    occurred_date date not null,
    asb_category varchar,                 -- null where the source does not record it (police files)
    asb_type varchar,
    latitude double, longitude double,    -- WGS84; null when only the authority is known
    easting double, northing double,      -- British National Grid
    lsoa_code varchar,                    -- from point-in-polygon on the boundary layer in use
    ward_code varchar,                    -- when a ward layer is configured
    h3_r8 varchar, h3_r9 varchar, h3_r10 varchar,
    location_desc varchar,
    person_key varchar,                   -- keyed hash of person_ref; null = anonymous
    victim_type varchar,
    is_hate boolean not null,
    case_ref varchar,
    source_lsoa_code varchar,             -- LSOA code as the source gave it (police files)
    source_lsoa_authority_code varchar,   -- district named by the source's LSOA name
    source_file varchar not null,
    source_row bigint not null
);

create table incident_reports (           -- every loaded report, merged or not
    incident_id varchar not null,         -- the incident it counts toward
    report_id varchar not null,           -- <source>:<incident_ref>
    source varchar not null,
    agency varchar not null,
    reported_date date not null,
    is_merged boolean not null,           -- true when folded into an earlier report
    source_file varchar not null,
    source_row bigint not null
);

create table applications (
    application_ref varchar primary key,
    authority_code varchar not null,
    person_key varchar,
    on_behalf boolean, consent_received boolean,
    received_date date not null,
    acknowledged_date date,
    threshold_route varchar,
    decision varchar not null,
    decision_date date, decision_notified_date date, review_date date,
    outcome varchar,
    recommendations_count integer,
    outcome_notified_date date, action_plan_closed_date date,
    independent_chair boolean, victim_attended boolean,
    source varchar not null, source_file varchar not null, source_row bigint not null
);

create table appeals (
    appeal_ref varchar primary key,
    application_ref varchar not null,     -- resolves to applications
    authority_code varchar not null,
    received_date date not null,
    appellant varchar, consent_letter boolean,
    grounds varchar not null,
    outcome varchar not null,
    decision_date date,
    source varchar not null, source_file varchar not null, source_row bigint not null
);

create table police_crimes (              -- non-ASB street-level rows, for context only
    source varchar not null,
    month date not null,
    crime_type varchar not null,
    falls_within varchar,
    latitude double, longitude double,
    source_lsoa_code varchar,
    authority_code varchar,               -- district named by the LSOA name; null outside
    last_outcome_category varchar,
    source_file varchar not null, source_row bigint not null
);

create table mart_source_months (         -- freshness and gaps: loaded rows per source and month
    source varchar not null,
    kind varchar not null,
    month date not null,                  -- first day of the month
    rows_loaded bigint not null,          -- incident reports / applications / appeals dated in that month
    is_gap boolean not null               -- incident feeds only: no rows in a month inside the span
);
