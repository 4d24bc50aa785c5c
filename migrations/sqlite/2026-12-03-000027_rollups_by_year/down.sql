CREATE TABLE rollups_by_month (
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
INSERT INTO rollups_by_month SELECT organization_id, subject, grain, period_start, subject_key,
       location_id, region, segment, channel, checklist_id, n, sum_units, critical_failures
FROM rollups WHERE grain <> 'year';
DROP TABLE rollups;
ALTER TABLE rollups_by_month RENAME TO rollups;
CREATE INDEX rollups_location_window
    ON rollups (organization_id, location_id, subject, grain, subject_key, period_start);
