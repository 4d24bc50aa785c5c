DROP INDEX location_open_jobs_org;
CREATE INDEX location_open_jobs_org ON location_open_jobs (organization_id, open_jobs);
