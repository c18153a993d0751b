-- A build that stored police.uk copies (etl/sql/published/incidents.sql) makes `incidents` the
-- view of both parts (etl/sql/warehouse.sql): the table becomes `stored_incidents`.
alter table incidents rename to stored_incidents;
create view incidents as
    select * from stored_incidents
    union all by name
    select g.* exclude (gid, incident_stem), g.incident_stem || '-' || c.k as incident_id, c.source_row
    from police_incident_copies c join police_incident_groups g using (gid);
