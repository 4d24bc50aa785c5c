-- Reports by region and segment read what a visit was when it was approved, not the location's
-- current region: moving a location to another region must not rewrite last year's regional
-- figures, and an assignment's own segment (a B2B shop at a mostly B2C branch) counts.
ALTER TABLE submissions ADD COLUMN region TEXT;
ALTER TABLE submissions ADD COLUMN segment TEXT;
-- Visits approved before: their location's region now (the best record there is) and their
-- assignment's segment.
UPDATE submissions
SET region = (SELECT l.region FROM assignments a JOIN locations l ON l.id = a.location_id
              WHERE a.id = submissions.assignment_id),
    segment = (SELECT a.segment FROM assignments a WHERE a.id = submissions.assignment_id)
WHERE status = 'approved';

-- Roll-up cells are kept per region and segment too. Cells cannot be split by segment in SQL
-- (a cell sums visits whose assignments may differ), so the table starts empty and is rebuilt
-- from the submissions by the server right after this migration (pending_maintenance).
DROP TABLE rollups;
CREATE TABLE rollups (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    subject TEXT NOT NULL CHECK (subject IN ('standard', 'dimension', 'visit', 'visit_bucket')),
    grain TEXT NOT NULL CHECK (grain IN ('day', 'week', 'month')),
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
);


-- Work a migration leaves to the application (done once, right after migrating, in one
-- transaction with the removal of its row).
CREATE TABLE pending_maintenance (
    task TEXT PRIMARY KEY NOT NULL
);
INSERT INTO pending_maintenance (task) VALUES ('rebuild_rollups');
