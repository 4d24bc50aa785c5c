ALTER TABLE location_open_jobs RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor);
DROP INDEX location_open_jobs_org;
CREATE INDEX location_open_jobs_org ON location_open_jobs (organization_id, open_jobs);
