-- An approval reads the day cells of its location and standards over the alert window
-- (`reports::alerts::window_sums`). The roll-ups' primary key leads with the period, so that read
-- walked every day cell of the organization in the window, all locations and standards: its
-- cost grew with the history's density (measured while generating 100,000 visits: a quarter of
-- every approval's time, and generation nine times slower than at the start). This index gives
-- it the location and standard first.
CREATE INDEX rollups_location_window
    ON rollups (organization_id, location_id, subject, grain, subject_key, period_start);
