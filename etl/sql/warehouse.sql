-- Published warehouse tables (DESIGN.md "Warehouse tables", contract). Built by etl/build.py.
-- Raw tables raw_<source>__<kind> hold the canonical columns as text plus load_id, source_file,
-- source_row; person_ref is replaced by person_key there too (pseudonymised at ingest).

create table authorities (               -- the nine authorities: code, name, kind, area, outline
    authority_code varchar primary key,   -- ONS GSS code
    authority_name varchar not null,      -- the authority's name as the council writes it
    authority_kind varchar not null,      -- district | unitary
    area_km2 double,                      -- from the boundary layer in use
    boundary_geojson varchar              -- simplified outline (WGS84), base layer for offline maps
);

create table ref_lsoa (
    lsoa_code varchar primary key,
    lsoa_name varchar,
    authority_code varchar,
    area_km2 double,
    boundary_geojson varchar
);

create table ref_ward (                  -- the wards of [build] ward_path, by default the May 2025 wards
                                         -- of the nine districts shipped in etl/reference/ (empty in older builds)
    ward_code varchar primary key,
    ward_name varchar,
    authority_code varchar,      -- the district holding most of the ward
    area_km2 double,
    boundary_geojson varchar
);

create table etl_builds (
    load_id varchar primary key,          -- deterministic: hash of inputs + as-of date
    built_at timestamp not null,          -- UTC
    as_of_date date not null,
    inputs_path varchar,
    boundaries varchar,                   -- which boundary layer assigned authorities and LSOAs
    incidents bigint, reports bigint, applications bigint, appeals bigint, rejects bigint,
    build_seconds double,
    key_fingerprint varchar,              -- id of the pseudonymisation key (not the key)
    demo boolean default false,           -- built by `asb demo`: the demo users may sign in
    actions bigint                        -- action plan rows loaded (null in older builds)
);

create table etl_loads (
    load_id varchar not null,
    source varchar not null,              -- source slug
    kind varchar not null,                -- incidents | applications | appeals | police_uk | actions
    source_file varchar not null,         -- path relative to the inputs folder
    file_sha256 varchar,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    rows_merged bigint not null,          -- in etl_merged: merged into another report of the same incident,
                                          -- repeated, or a police non-ASB row kept for context
    rows_context bigint not null,         -- of rows_merged: police non-ASB rows kept for context (police_crimes)
    first_date date, last_date date,      -- range of reported/received dates loaded
    ignored_columns varchar,              -- headers not read (personal data, unmapped)
    file_error varchar,                   -- why the file could not be read at all (then nothing of it loaded)
    file_note varchar                     -- what to know of a file that loaded (bytes not valid UTF-8, read as U+FFFD)
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

create table etl_scrubbed (               -- personal data removed from free text at ingest (counts only,
                                          -- never the text; etl/transform/scrub.py)
    load_id varchar not null,
    source varchar not null,
    kind varchar not null,                -- incidents | police_uk | ...
    source_file varchar not null,
    field varchar not null,               -- the free-text column (location_desc, ...), or line (a malformed record)
    removed varchar not null,             -- name | phone | email | address | postcode | vehicle | birth_date
    items bigint not null,                -- how many were removed
    rows_changed bigint not null          -- rows in which at least one was removed
);

create table etl_merged (                 -- rows folded into another row, so none is lost
    load_id varchar not null,
    kind varchar not null,
    source varchar not null,
    source_file varchar not null,
    source_row bigint not null,
    merged_into varchar not null,         -- incident_id / application_ref / appeal_ref kept
    rule varchar not null                 -- repeated_row | cross_agency | police_republished | police_context
);

create table incidents (                  -- one row per distinct ASB incident (after de-dup)
    incident_id varchar not null,         -- <source>:<incident_ref> of its anchor (the report the others
                                          -- joined: the first by occurred, reported, source, ref); unique
                                          -- (checked by validation: an index over ten million keys would
                                          -- cost 40% of publishing)
    authority_code varchar,
    source varchar not null,              -- source of its anchor
    agency varchar not null,              -- agency of its anchor
    agencies varchar not null,            -- every agency that had it, comma-separated, sorted
    sources varchar,                      -- every source that had it, comma-separated, sorted
    report_count integer not null,        -- reports merged into this incident (>= 1)
    reported_date date not null,          -- the earliest reported_date of its reports
    occurred_date date not null,          -- the anchor's (its first report's)
    asb_category varchar,                 -- null where the source does not record it (police files)
    asb_type varchar,
    latitude double, longitude double,    -- WGS84; null when only the authority is known
    easting double, northing double,      -- British National Grid
    lsoa_code varchar,                    -- from point-in-polygon on the boundary layer in use
    ward_code varchar,                    -- from point-in-polygon on the ward layer (ref_ward)
    h3_r8 varchar, h3_r9 varchar, h3_r10 varchar, -- H3 cell (hex text) of the point at resolutions 8, 9 and 10; null when not located
    location_desc varchar,
    person_key varchar,                   -- keyed hash of person_ref; null = anonymous
    victim_type varchar,
    is_hate boolean,                      -- true if any report says so; false if one says no and
                                          -- none yes; null (unknown) when none says either
    case_ref varchar,
    review_explained_date date,           -- earliest date a partner explained the case review (optional)
    date_errors varchar,                  -- the first report's dates that could not be used (kept)
    postcode_district varchar,            -- outward code of the partner's postcode (DE7), if one was sent
    source_lsoa_code varchar,             -- LSOA code as the source gave it (police files)
    source_lsoa_authority_code varchar,   -- district named by the source's LSOA name
    source_file varchar not null,
    source_row bigint not null
);

-- A build stores police.uk street records apart (etl/sql/published/incidents.sql): a police file
-- repeats identical records (same month, snapped point, LSOA: 29% of the real Derbyshire ASB rows,
-- nearly all of a national-scale set), whose incidents differ only in the copy number of their id
-- (`<key>-<n>`) and their record number. Each distinct record is one row here (every column of
-- `incidents` but the id and the record number), and each copy published from it one row of
-- numbers. When a build holds such copies, publishing renames the table above `stored_incidents`
-- and makes `incidents` a view of both (sql/published/incidents_view.sql), which reads as this table: ten million police rows are 24,000 records and a table of
-- numbers, not ten million wide rows written out (that write was most of a 10 M-row build; issue 15).
create table police_incident_groups as
    select null::bigint as gid, null::varchar as incident_stem, * exclude (incident_id, source_row)
    from incidents limit 0;
create table police_incident_copies (
    gid bigint not null,                  -- police_incident_groups.gid
    k bigint not null,                    -- the copy's number: incident_id = <incident_stem>-<k>
    source_row bigint not null            -- the copy's own record number in its file
);

create table incident_merged_reports (    -- every report of the incidents with more than one report
    incident_id varchar not null,         -- the incident it counts toward
    report_id varchar not null,           -- <source>:<incident_ref>
    source varchar not null,
    agency varchar not null,
    reported_date date not null,
    is_merged boolean not null,           -- true when folded into an earlier report (false: the anchor)
    source_file varchar not null,
    source_row bigint not null,
    is_hate boolean,                      -- the report's own (the incident's is any of its reports'):
                                          -- a report merged in later makes it a hate incident from
                                          -- that report's day only (int_complaint_rows hate_from)
    review_explained_date date            -- the report's own (the incident's is the earliest): each
                                          -- partner's explanation counts (int_second_reports)
);

-- Every loaded report, merged or not (contract). An incident of one report is that report, so
-- its row is read from `incidents`; only merged incidents' reports are stored apart. Ten million
-- police rows are then written once, not twice.
create view incident_reports as
    select incident_id, incident_id as report_id, source, agency, reported_date, false as is_merged,
           source_file, source_row
    from incidents where report_count = 1
    union all
    select incident_id, report_id, source, agency, reported_date, is_merged, source_file, source_row
    from incident_merged_reports;

create table applications (
    application_ref varchar primary key,
    authority_code varchar,
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
    date_errors varchar,                  -- stage dates that could not be used, '; ' (kept, not rejected)
    source varchar not null, source_file varchar not null, source_row bigint not null
);

create table appeals (
    appeal_ref varchar primary key,
    application_ref varchar not null,     -- resolves to applications
    authority_code varchar,
    received_date date not null,
    appellant varchar, consent_letter boolean,
    grounds varchar not null,
    outcome varchar not null,
    decision_date date,
    review_type varchar not null,         -- appeal (local procedure) | pcc_review (Crime and Policing Act 2026)
    decision_reviewed varchar not null,   -- threshold_decision | review_outcome | action_plan (default: the grounds')
    referred_back boolean,                -- the OPCC referred the case back to the relevant bodies
    referral_result varchar,              -- threshold_met | action_plan_changed | no_change | pending (as recorded)
    referral_result_date date,
    source varchar not null, source_file varchar not null, source_row bigint not null
);

create table actions (                   -- one row per action of a case review's action plan
    action_ref varchar primary key,       -- the action's reference in the partners' register
    application_ref varchar not null,     -- resolves to applications (the review that agreed it)
    authority_code varchar,               -- as the action file gave it, else the application's
    agency varchar not null,              -- who delivers it (schema.ACTION_AGENCIES)
    action_type varchar not null,         -- schema.ACTION_TYPES
    agreed_date date not null,            -- the day it was agreed
    due_date date not null,               -- may lie after the as-of date
    completed_date date,                  -- the day it was completed (none yet: empty)
    status varchar not null,              -- open | completed | cancelled (blank in the file: from completed_date)
    source varchar not null, source_file varchar not null, source_row bigint not null -- where it was read
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
    source_file varchar not null, source_row bigint not null,
    police_ref varchar not null           -- its content key and copy number (a republished copy's etl_merged.merged_into)
);

create table mart_source_months (         -- freshness and gaps: loaded rows per source and month
    source varchar not null,
    kind varchar not null,
    month date not null,                  -- first day of the month
    rows_loaded bigint not null,          -- incident reports / applications / appeals dated in that month
    is_gap boolean not null               -- incident feeds only: no rows in a month inside the span
);

-- Case review performance (etl/marts/reviews.py, etl/sql/mart_review_*.sql, mart_statutory_*.sql,
-- mart_appeals.sql), built as of the build's as-of date. Working days: England, weekends and
-- England and Wales bank holidays excluded (etl/rules/workdays.py); A -> B counts A, not B.
create table ref_working_days (           -- the one working-day calendar, 2000-01-01 to 2100-12-31
    calendar_date date primary key,
    is_working_day boolean not null,      -- not a Saturday, Sunday or bank holiday (substitute days too)
    bank_holiday varchar,                 -- which bank holiday it is, if any
    working_day_index integer not null    -- working days from 2000-01-01 to the day before; A -> B = index(B) - index(A)
);

-- A date's working-day index (null for a null date): the marts count the working days from A to B
-- as working_day_index(B) - working_day_index(A), so the lookup is written once.
-- The last evaluation date on which a complaint made on `reported` still counts in a window of
-- `months`: the last E with E - months < reported (DESIGN.md, contract). 15 Mar -> 14 Sep;
-- 31 Aug -> 28 Feb (28 Feb - 6 months = 28 Aug, still before 31 Aug); 29 Feb -> 28 Aug.
create macro last_counting_day(reported, months) as
    cast(reported + to_months(months) as date)
    - case when day(reported + to_months(months)) <> day(reported) then 0 else 1 end;

create macro working_day_index(day) as (
    select w.working_day_index from ref_working_days as w where w.calendar_date = day
);

-- The agencies as of `day` of the incidents another organisation also reported after it (a report
-- merged into them later), from their reports made by then, as a build on that date has them;
-- none on the build's own date, whose build rejects later reports. incident_merged_reports holds
-- every report of an incident with more than one. Read by the threshold status, the second reports
-- and a person's complaints at another as-of date.
create macro agencies_as_of(day) as table
    select incident_id, string_agg(distinct agency, ',' order by agency) as agencies
    from incident_merged_reports
    where reported_date <= day
      and incident_id in (select incident_id from incident_merged_reports where is_merged and reported_date > day)
    group by all;

create table mart_review_turnaround (     -- one row per application (contract); null where a stage has not happened
    application_ref varchar primary key,
    authority_code varchar,
    rule_id varchar,                      -- settings version in force on received_date: the SLA limits used
    threshold_route varchar,
    decision varchar not null,            -- as of the as-of date: met/not_met decided, or withdrawn, later are 'pending'
    outcome varchar,
    recommendations_count integer,
    received_date date not null,
    acknowledged_date date, decision_date date, decision_notified_date date, review_date date,
    outcome_notified_date date, action_plan_closed_date date,
    acknowledge_working_days integer,     -- received -> acknowledged
    acknowledge_within_sla boolean,       -- working days <= the limit in force
    decision_working_days integer,        -- received -> threshold decision
    decision_within_sla boolean,          -- decision working days <= the limit in force
    decision_notice_working_days integer, -- decision -> applicant told
    decision_notice_within_sla boolean,   -- decision notice working days <= the limit in force
    review_working_days integer,          -- decision -> review meeting
    review_within_sla boolean,            -- review working days <= the limit in force
    outcome_notice_working_days integer,  -- review meeting -> outcome told
    outcome_notice_within_sla boolean,    -- outcome notice working days <= the limit in force
    total_working_days integer,           -- received -> outcome told
    total_within_sla boolean,             -- limit: decision + review + outcome limits
    action_plan_working_days integer,     -- outcome told -> action plan closed (no limit set)
    sla_acknowledge_days integer, sla_decision_days integer, sla_decision_notice_days integer, -- the limits in force (working days, rule_id's settings) of these stages
    sla_review_days integer, sla_outcome_days integer, -- the limits in force (working days, rule_id's settings) of these stages
    sla_total_days integer,               -- sla_decision_days + sla_review_days + sla_outcome_days
    is_open boolean not null,             -- review process not finished (not told the outcome / decision)
    open_working_days integer,            -- open cases: received -> as-of date
    open_stage varchar,                   -- open cases: decision | decision_notice | review | outcome_notice
    is_action_plan_open boolean,          -- recommendations told, action plan not closed
    data_errors varchar,                  -- stage dates out of order or a stage without the one before ('; ')
    has_data_error boolean not null,      -- data_errors is not empty
    as_of_date date not null
);

create table mart_review_open_stages (    -- open-case ageing and the at-risk list: stages whose clock runs
    application_ref varchar not null,
    authority_code varchar,
    rule_id varchar,
    stage varchar not null,               -- acknowledge | decision | decision_notice | review | outcome_notice
    started_date date not null,           -- when the stage's clock started (the stage before it ended)
    sla_days integer,                     -- the limit in force (working days)
    due_date date,                        -- last day it can finish within the limit
    working_days_elapsed integer not null,-- started -> as-of date
    working_days_left integer,            -- limit - elapsed (negative: overdue by that many)
    is_overdue boolean,
    is_at_risk boolean,                   -- not overdue, at most 3 working days left (the build's margin)
    as_of_date date not null,
    primary key (application_ref, stage)
);

create table mart_statutory_returns (     -- contract: the four published figures per authority and financial year
    authority_code varchar,
    financial_year varchar not null,      -- '2024/25' = 1 April 2024 - 31 March 2025
    year_start_date date not null, year_end_date date not null, -- 1 April and 31 March of the financial year
    is_complete_year boolean not null,    -- the year ended on or before the as-of date
    applications_received integer not null,       -- by received_date
    threshold_not_met integer not null,           -- by decision_date
    reviews_carried_out integer not null,         -- by review_date
    reviews_with_recommendations integer not null,-- by review_date, outcome = recommendations
    threshold_met integer not null,               -- by decision_date (not published; for the checks)
    carried_in_applications integer not null,     -- received in an earlier year, not met or reviewed in this one
    counts_add_up boolean not null,       -- as a reader of the published table checks: not met + reviews <= received
                                          -- (by date; carried-in cases can fail it for right figures: not a check)
    intake_not_met integer not null,      -- of the year's applications (by received_date): not met, whenever decided
    intake_reviews integer not null,      -- ... reviewed, whenever
    intake_reviewed_by_discretion integer not null, -- ... not met yet reviewed by discretion (in both figures)
    intake_adds_up boolean not null,      -- intake not met + reviews - by discretion <= applications received
    met_without_review integer not null,  -- met in the year (by decision_date), no review though due, or closed
    contradictions integer not null,      -- rows of mart_statutory_exceptions with severity 'contradiction'
    notes integer not null,               -- ... with severity 'note'
    is_consistent boolean not null,       -- no contradiction and the year's intake adds up
    is_frozen boolean not null,           -- published_returns holds the figures as published for the year
    published_applications_received integer, published_threshold_not_met integer, -- the figures as published (frozen); null when the year is not frozen
    published_reviews_carried_out integer, published_reviews_with_recommendations integer, -- the figures as published (frozen); null when the year is not frozen
    published_date date, published_by varchar, -- when and by whom they were published
    is_restated boolean not null,         -- frozen, and a current figure differs from the published one
    restatement varchar,                  -- e.g. 'reviews carried out: published 12, now 13' ('; ')
    as_of_date date not null,
    primary key (authority_code, financial_year)
);

create table mart_statutory_exceptions (  -- the applications behind each failed check or note
    authority_code varchar,
    financial_year varchar not null,      -- the year whose figures it affects
    application_ref varchar not null,
    check_code varchar not null,          -- contradictions: review_without_threshold_met |
                                          -- recommendations_without_review | recommendations_count_mismatch |
                                          -- met_without_review | dated_before_receipt;
                                          -- notes: decided_after_year_end | carried_in | reviewed_by_discretion
    severity varchar not null,            -- contradiction | note
    reason varchar not null,
    as_of_date date not null
);

create table mart_appeals (               -- one row per OPCC appeal, linked to its application
    appeal_ref varchar primary key,
    application_ref varchar not null,
    authority_code varchar,               -- the application's authority (the appeal's own when none)
    appeal_authority_code varchar,        -- the authority as the appeal recorded it
    rule_id varchar,                      -- the application authority's settings in force on received_date
    received_date date not null,
    review_type varchar not null,         -- appeal (local procedure) | pcc_review (Crime and Policing Act 2026)
    decision_reviewed varchar not null,   -- threshold_decision | review_outcome | action_plan
    appellant varchar,
    grounds varchar not null,
    outcome varchar not null,             -- as of the as-of date: decided later = 'pending'
    decision_date date,
    referred_back boolean,                -- decided and referred back to the relevant bodies (null: undecided)
    referral_result varchar,              -- referred back: threshold_met | action_plan_changed | no_change | pending
    referral_result_source varchar,       -- recorded (the register) | applications (a later met decision)
    referral_result_date date,
    referral_working_days integer,        -- OPCC decision -> the bodies' result
    is_decided boolean not null,          -- upheld, partially upheld or not upheld
    is_upheld boolean not null,           -- upheld or partially upheld
    is_open boolean not null,             -- pending
    decision_working_days integer,        -- received -> decision (decided appeals)
    sla_appeal_decision_days integer,     -- the limit that applies: sla_pcc_review_decision_days for PCC reviews
    decision_within_sla boolean,          -- decision_working_days <= the limit
    open_working_days integer,            -- pending: received -> as-of date
    due_date date,                        -- last day to decide within the limit
    is_overdue boolean,                   -- pending and past the limit
    notice_date date,                     -- the letter appealed against (decision or outcome told)
    lodged_working_days integer,          -- notice -> appeal received
    window_rule_id varchar,               -- the application authority's settings in force on notice_date
    sla_appeal_window_days integer,       -- the limit for lodging an appeal after the notice (working days)
    is_within_appeal_window boolean,      -- lodged_working_days <= the limit
    data_errors varchar,
    is_authority_mismatch boolean not null, -- the appeal names another authority than its application's
    is_grounds_mismatch boolean not null, -- grounds threshold_decision against a 'met' decision
    is_flagged boolean not null,          -- either of the two
    flags varchar,                        -- their reasons ('; ')
    application_route varchar, application_decision varchar, application_outcome varchar, -- the application's threshold route, decision and review outcome (as of the as-of date)
    application_received_date date,       -- when the application appealed against was received
    application_decision_working_days integer, application_decision_within_sla boolean, -- the application's decision time and whether within its limit
    application_total_working_days integer, application_total_within_sla boolean, -- the application's whole-process time and whether within its limit
    as_of_date date not null
);

create table mart_actions (               -- one row per action agreed by the as-of date (mart_actions.sql)
    action_ref varchar primary key,       -- the action's reference in the partners' register
    application_ref varchar not null,     -- the application whose case review agreed it
    authority_code varchar,               -- the application's authority (lists and filters follow it)
    action_authority_code varchar,        -- the authority as the action file gave it
    agency varchar not null,              -- who delivers it (police, council, housing, health, fire, social care, ...)
    action_type varchar not null,         -- what it is (mediation, warning or contract, injunction or order, ...)
    agreed_date date not null,            -- the day it was agreed (usually the review meeting)
    due_date date not null,               -- the day it is due (may lie after the as-of date)
    completed_date date,                  -- the day it was completed; null when completed after the as-of date
    status varchar not null,              -- as recorded, on the as-of date: open | completed | cancelled
    state varchar not null,               -- on the as-of date: completed_on_time | completed_late | overdue |
                                          -- pending (open, not past due) | cancelled
    is_completed boolean not null,        -- completed by the as-of date (on time or late)
    is_completed_on_time boolean not null, -- completed on or before the due date
    is_overdue boolean not null,          -- open and its due date before the as-of date
    is_open boolean not null,             -- neither completed nor cancelled on the as-of date
    working_days_overdue integer,         -- overdue: due date -> as-of date
    days_overdue integer,                 -- overdue: calendar days past the due date
    working_days_late integer,            -- completed late: due date -> completed
    working_days_left integer,            -- pending: as-of date -> due date
    working_days_to_complete integer,     -- completed: agreed -> completed
    application_received_date date,       -- when the application was received
    review_date date,                     -- the case review meeting
    review_outcome varchar,               -- the review's outcome (recommendations, no further action, pending)
    recommendations_count integer,        -- recommendations the review made
    outcome_notified_date date,           -- when the outcome and action plan were told
    plan_actions bigint,                  -- actions of the same application's plan (all of them, cancelled too)
    is_authority_mismatch boolean not null, -- the action file names another authority than the application's
    data_errors varchar,                  -- plan problems ('; '): agreed before receipt, no recommendations,
                                          -- a count that differs, another authority named
    as_of_date date not null              -- the date the states are evaluated on
);

create table mart_retriggers (            -- one row per case review held by the as-of date, with a person
    application_ref varchar primary key,  -- the reviewed application
    authority_code varchar,               -- the reviewed application's authority
    rule_id varchar,                      -- settings in force on outcome_date: retrigger_months
    review_date date,                     -- the case review meeting
    review_outcome varchar,               -- the review's outcome (recommendations, no further action, pending)
    recommendations_count integer,        -- recommendations the review made
    outcome_date date not null,           -- outcome letter, else the review meeting
    retrigger_months integer,             -- the window after the outcome (per-authority setting)
    window_end_date date,                 -- the last day a new application or crossing re-triggers it
    is_window_closed boolean,             -- window_end_date before the as-of date
    applied_again_date date,              -- first later application by the person to the authority
    next_application_ref varchar,         -- that application's reference
    later_applications bigint,            -- applications by the person to the authority in the window
    met_again_date date,                  -- first new crossing of the threshold in the window
    threshold_crossings bigint,           -- new crossings of the threshold in the window
    retrigger_date date,                  -- the earlier of the two
    is_retriggered boolean not null,      -- a new application or crossing in the window by the as-of date
    retrigger_kind varchar,               -- application | threshold | both (the same day)
    plan_actions bigint,                  -- the plan's actions, not cancelled (mart_actions)
    actions_completed bigint,             -- of which completed by the as-of date
    actions_overdue bigint,               -- of which overdue on the as-of date
    as_of_date date not null              -- the date it is evaluated on
);

create table published_returns (          -- frozen statutory returns as published (the build loads the file
                                          -- [build] published_returns names; `asb returns freeze` writes it)
    authority_code varchar not null,
    financial_year varchar not null,      -- '2024/25'
    applications_received integer not null, threshold_not_met integer not null,
    reviews_carried_out integer not null, reviews_with_recommendations integer not null,
    published_date date not null,
    published_by varchar,
    as_of_date date,                      -- the as-of date of the warehouse the figures were frozen from
    primary key (authority_code, financial_year)
);

-- Threshold engine marts (etl/marts/threshold.py; SQL in sql/marts/), as of the build's as-of date.
create table mart_threshold_status (      -- contract: one row per person and authority with a qualifying complaint
    person_key varchar,
    authority_code varchar,
    qualifying_complaints bigint,         -- complaints counting in the window on the as-of date
    qualifying_hate_complaints bigint,    -- hate incidents counting: in the hate rule's window (hate_window_months), else in the window
    is_threshold_met boolean,             -- qualifying complaints >= victim_threshold
    is_near_miss boolean,                 -- qualifying complaints = victim_threshold - 1
    window_expires_date date,             -- the last day the oldest qualifying complaint counts
    first_met_date date,                  -- first date the threshold was ever met there (met_since_date: this spell)
    met_since_date date,                  -- met continuously since this date
    has_application boolean,              -- applied on or after the oldest qualifying complaint
    oldest_complaint_date date,           -- reported_date of the oldest qualifying complaint
    latest_complaint_date date,           -- reported_date of the latest qualifying complaint
    victim_threshold bigint,              -- complaints needed (the rule in force)
    hate_threshold bigint,                -- hate complaints needed
    window_months bigint,                 -- the window (months)
    rule_id varchar,
    as_of_date date,
    is_hate_threshold_met boolean,        -- the hate rule (its own count and window) alone
    is_hate_near_miss boolean,            -- one hate complaint short (hate threshold 2 or more)
    hate_window_months bigint,            -- the hate rule's window (months)
    related_by varchar,                   -- any | category | case: which complaints count together
    related_group varchar,                -- the category or case counted ('' for any)
    lead_agency varchar,                  -- who should make contact (rule, else most complaints)
    agencies varchar,                     -- every agency among the qualifying complaints
    statute_note varchar,                 -- why the rule departs from s.104, else null
    counted_incident_ids varchar[]        -- the incidents counted (the row's group), oldest first
);

create table mart_community_status (      -- community-route clusters (H3 cell and ASB category)
    authority_code varchar,
    cluster_cell varchar,                 -- the H3 cell of the cluster (hex text)
    h3_resolution bigint,                 -- the cell's H3 resolution
    asb_category varchar,
    distinct_reporters bigint,            -- different people who reported related incidents in the window
    incidents bigint,                     -- incidents in the cluster in the window
    anonymous_reports bigint,             -- incidents with no person (not counted as reporters)
    first_report_date date,
    last_report_date date,                -- the latest incident's reported_date
    is_threshold_met boolean,             -- distinct_reporters >= community_threshold
    is_near_miss boolean,                 -- one or two reporters short of community_threshold
    window_expires_date date,
    community_threshold bigint,           -- distinct reporters needed (the authority's setting)
    rule_id varchar,
    as_of_date date
);

create table mart_second_reports (        -- contract: one row per second-report event (July 2025 guidance)
    person_key varchar not null,
    authority_code varchar not null,
    second_report_date date not null,     -- the second qualifying complaint's reported_date
    incident_id varchar not null,         -- the incident behind it
    first_report_date date not null,      -- the one earlier qualifying complaint in the window
    first_incident_id varchar not null,   -- the incident behind the first report
    lead_agency varchar,                  -- who should explain it (rule, else most complaints)
    agencies varchar,                     -- agencies that had the two reports
    review_explained_date date,           -- earliest explanation recorded on or after the event
    explained_working_days integer,       -- working days from the event to the explanation
    is_explained boolean not null,        -- review_explained_date is known
    is_explained_in_time boolean,         -- within sla_explain_days (null while still in time)
    is_overdue boolean not null,          -- unexplained and past the limit on the as-of date
    sla_explain_days integer,             -- working days allowed to explain the case review (settings)
    rule_id varchar,
    as_of_date date
);

create table mart_threshold_history (     -- people near and at the threshold at each month end
    authority_code varchar,
    month_end date,                       -- the month's last day (the date evaluated)
    near_miss_people bigint,              -- people one complaint short on that day
    met_people bigint,                    -- people at or over the threshold
    newly_met_people bigint               -- people who first met the threshold in that month
);

-- Hotspot marts (etl/marts/hotspots.py).
create table mart_hotspot_cells (         -- contract: Gi* per H3 cell of resolutions 8 and 9, zero counts included
    h3_cell varchar,                      -- H3 cell (hex text)
    h3_resolution bigint,                 -- H3 resolution (8 or 9)
    incidents bigint,                     -- incidents in the cell in the 12 months
    gi_z double,                          -- esda's analytical Zs
    gi_p float,                           -- esda's permutation pseudo p-value p_sim
    gi_class bigint,                      -- -3..3: cold/hot at 99/95/90% after the FDR correction
    gi_z_perm double,                     -- esda's z_sim: G standardised by its permutations
    gi_p_perm double,                     -- two-sided normal p-value of gi_z_perm
    authority_code varchar,
    period_start date,                    -- the 12 months counted: first day
    period_end date,                      -- the 12 months counted: last day (as-of date)
    window_least_incidents bigint         -- the fewest incidents of a cell with any in the cell's Gi* window
                                          -- (itself and its six neighbours), 0 if none: the disclosure rule
                                          -- shows a Z or class only where this is 0 or at least k
);

create table mart_repeat_locations (      -- repeat locations: H3 resolution-10 cells ranked per authority
    authority_code varchar,
    rank bigint,                          -- rank within the authority (1 = most incidents in 365 days)
    h3_cell varchar,                      -- H3 resolution-10 cell (hex text)
    incidents_30d bigint,                 -- incidents in the cell in the 30 days to the as-of date
    incidents_90d bigint,                 -- incidents in the cell in the 90 days to the as-of date
    incidents_180d bigint,                -- incidents in the cell in the 180 days to the as-of date
    incidents_365d bigint,                -- incidents in the cell in the 365 days to the as-of date
    incidents_prev_90d bigint,            -- incidents in the cell in the 90 days to the as-of date before the last 90
    first_report date,                    -- earliest reported_date in the 365 days
    last_report date,                     -- latest reported_date in the 365 days
    main_asb_types varchar,               -- the most frequent ASB types there
    distinct_reporters bigint,            -- different people who reported there
    main_location varchar,                -- the most frequent location description there
    change_z double,                      -- 2 x (sqrt(incidents_90d) - sqrt(incidents_prev_90d)): the 90-day change score
    changed boolean                       -- abs(change_z) > 2: a rise or fall beyond chance
);

create table mart_concentration (         -- Lorenz points and "X% of places" per authority and "all"
    authority_code varchar,
    places bigint,                        -- H3 resolution-10 cells in the area with at least one incident in the period
    incidents bigint,                     -- incidents in the period in those cells
    places_for_50pct double,              -- share of places (0-1) that hold half of the incidents
    places_for_25pct double,              -- share of places (0-1) that hold a quarter of the incidents
    point bigint,                         -- order of the Lorenz-curve point (0 = first)
    share_of_places double,               -- Lorenz curve: cumulative share of places (busiest first, 0-1)
    share_of_incidents double,            -- Lorenz curve: cumulative share of incidents in them (0-1)
    period_start date,                    -- the 12 months counted: first day
    period_end date                       -- the 12 months counted: last day (as-of date)
);

create table mart_hotspot_accuracy (      -- hit rate and PAI of the top 1/5/10% of cells
    authority_code varchar,
    h3_resolution bigint,                 -- H3 resolution of the cells
    top_share double,                     -- the busiest share of cells picked (0.01, 0.05, 0.10)
    cells bigint,                         -- cells in that top share
    all_cells bigint,                     -- cells in the area
    captured bigint,                      -- incidents of the next six months in the picked cells
    incidents bigint,                     -- incidents of the next six months in the area
    hit_rate double,                      -- captured / incidents
    pai double,                           -- predictive accuracy index: hit rate / share of area
    period_start date,                    -- first day of the six months the cells were picked on
    period_mid date,                      -- last day of those six months (the next six start the day after)
    period_end date                       -- last day of the six months tested (as-of date)
);
