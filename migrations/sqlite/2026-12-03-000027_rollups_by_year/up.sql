-- Year cells: a report not broken down by period (the gap report by standard and location, a
-- scorecard, a ranking) reads a year as one cell instead of twelve months, and a range's edge
-- months as "the year less the months outside" where that is fewer cells (reports::rules::cover).
-- Existing history gets its year cells from its month cells, which sum the same visits.
--
-- The table is rebuilt (SQLite cannot change a CHECK in place) as WITHOUT ROWID: a report reads
-- thousands of cells by the primary key, and in a rowid table each was then looked up again in
-- the table itself (a tenth of a report's time in the profile); clustered on the key, the cells
-- a report reads lie together, and each upsert writes one tree instead of two.
CREATE TABLE rollups_by_year (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    subject TEXT NOT NULL CHECK (subject IN ('standard', 'dimension', 'visit', 'visit_bucket')),
    grain TEXT NOT NULL CHECK (grain IN ('day', 'week', 'month', 'year')),
    period_start DATE NOT NULL,
    subject_key TEXT NOT NULL,
    location_id TEXT NOT NULL REFERENCES locations (id),
    region TEXT NOT NULL,
    segment TEXT NOT NULL,
    channel TEXT NOT NULL,
    checklist_id TEXT NOT NULL,
    n BIGINT NOT NULL,
    sum_units BIGINT NOT NULL,
    critical_failures BIGINT NOT NULL,
    PRIMARY KEY (organization_id, subject, grain, period_start, subject_key, location_id, region, segment, channel, checklist_id)
) WITHOUT ROWID;
INSERT INTO rollups_by_year (organization_id, subject, grain, period_start, subject_key,
                             location_id, region, segment, channel, checklist_id, n, sum_units,
                             critical_failures)
SELECT organization_id, subject, grain, period_start, subject_key, location_id, region, segment,
       channel, checklist_id, n, sum_units, critical_failures
FROM rollups;
INSERT INTO rollups_by_year (organization_id, subject, grain, period_start, subject_key,
                             location_id, region, segment, channel, checklist_id, n, sum_units,
                             critical_failures)
SELECT organization_id, subject, 'year', strftime('%Y-01-01', period_start), subject_key,
       location_id, region, segment, channel, checklist_id,
       SUM(n), SUM(sum_units), SUM(critical_failures)
FROM rollups
WHERE grain = 'month'
GROUP BY organization_id, subject, strftime('%Y-01-01', period_start), subject_key, location_id,
         region, segment, channel, checklist_id;
DROP TABLE rollups;
ALTER TABLE rollups_by_year RENAME TO rollups;
CREATE INDEX rollups_location_window
    ON rollups (organization_id, location_id, subject, grain, subject_key, period_start);
