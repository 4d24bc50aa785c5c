-- Approved visits summed per location, channel, checklist and period (day, ISO week, month),
-- kept up to date when a visit is approved, an approved one edited or rejected; reports read
-- only these. Values are fixed-point fractions (1e9 units = 1.0) so that adding and removing a
-- visit is exact and a rebuild from the submissions agrees to the last unit.
--   subject 'standard': subject_key = standard code, n = visits where it was observed,
--                       sum_units = Σ the visits' compliance on it;
--   subject 'dimension': the same per SERVQUAL dimension;
--   subject 'visit': subject_key = '', n = visits with a score, sum_units = Σ visit score / 100,
--                    critical_failures = visits with a critical failure;
--   subject 'visit_bucket': subject_key = '0'..'9', n = visits whose score fell in that tenth.
CREATE TABLE rollups (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    subject TEXT NOT NULL CHECK (subject IN ('standard', 'dimension', 'visit', 'visit_bucket')),
    grain TEXT NOT NULL CHECK (grain IN ('day', 'week', 'month')),
    period_start DATE NOT NULL,
    subject_key TEXT NOT NULL,
    location_id TEXT NOT NULL REFERENCES locations (id),
    channel TEXT NOT NULL,
    checklist_id TEXT NOT NULL,
    n BIGINT NOT NULL,
    sum_units BIGINT NOT NULL,
    critical_failures BIGINT NOT NULL,
    PRIMARY KEY (organization_id, subject, grain, period_start, subject_key, location_id, channel, checklist_id)
);
