-- Year cells: a report not broken down by period (the gap report by standard and location, a
-- scorecard, a ranking) reads a year as one cell instead of twelve months, and a range's edge
-- months as "the year less the months outside" where that is fewer cells (reports::rules::cover).
-- Existing history gets its year cells from its month cells, which sum the same visits.
ALTER TABLE rollups DROP CONSTRAINT rollups_grain_check;
ALTER TABLE rollups ADD CONSTRAINT rollups_grain_check
    CHECK (grain IN ('day', 'week', 'month', 'year'));
INSERT INTO rollups (organization_id, subject, grain, period_start, subject_key, location_id,
                     region, segment, channel, checklist_id, n, sum_units, critical_failures)
SELECT organization_id, subject, 'year', CAST(date_trunc('year', period_start) AS DATE),
       subject_key, location_id, region, segment, channel, checklist_id,
       SUM(n), SUM(sum_units), SUM(critical_failures)
FROM rollups
WHERE grain = 'month'
GROUP BY organization_id, subject, CAST(date_trunc('year', period_start) AS DATE), subject_key,
         location_id, region, segment, channel, checklist_id;
