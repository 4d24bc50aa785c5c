-- The job board's roll-up (`location_open_jobs`, one row per location) changes its count on every
-- assignment opened, taken or closed. Its second index held the count itself, so no update could
-- be HOT (an indexed column changed): each wrote a new row version elsewhere in the table and a
-- new entry in both indexes. After 100,000 open jobs the table of 100 rows filled 800 pages
-- (6.5 MB); VACUUM frees the dead versions but cannot move the live ones together, and the
-- planner, seeing 800 pages, read the board's places by 100 index probes instead of one pass:
-- the nearest-first board's facts took 0.39 ms instead of 0.17 (`EXPLAIN ANALYZE`), and the
-- board served a fifth fewer requests at 100,000 open jobs than at 1,000 (`bench/load.sh`).
-- The index now holds the organization alone (a board reads all of its locations' rows and
-- keeps those with open jobs), so with the table's free space (fillfactor 70) updates stay on
-- their page and are pruned there; the table is rewritten once, compact, and vacuumed early.
-- A wave planned in one transaction still moves each of its locations' rows once per job, and
-- versions of a transaction in progress cannot be pruned, so large waves still spread the rows
-- over more pages (a per-statement count would not; left for now).
DROP INDEX location_open_jobs_org;
CREATE INDEX location_open_jobs_org ON location_open_jobs (organization_id);
ALTER TABLE location_open_jobs SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
CLUSTER location_open_jobs USING location_open_jobs_pkey;
