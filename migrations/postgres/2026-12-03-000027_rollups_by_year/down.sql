DELETE FROM rollups WHERE grain = 'year';
ALTER TABLE rollups DROP CONSTRAINT rollups_grain_check;
ALTER TABLE rollups ADD CONSTRAINT rollups_grain_check CHECK (grain IN ('day', 'week', 'month'));
