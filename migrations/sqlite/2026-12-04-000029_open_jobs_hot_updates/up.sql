-- The job board's roll-up index holds the organization alone, as on PostgreSQL (where an index
-- on the count kept every update of it from being HOT; see migrations/postgres). Here it spares
-- each count update a second index write.
DROP INDEX location_open_jobs_org;
CREATE INDEX location_open_jobs_org ON location_open_jobs (organization_id);
