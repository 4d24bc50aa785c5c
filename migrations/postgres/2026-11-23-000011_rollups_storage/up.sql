-- Roll-up cells are updated by every approval. Room left on each page lets PostgreSQL update
-- them in place (HOT: no new index entry; old versions pruned as pages are read) instead of
-- growing the index with every visit; and they are vacuumed and analyzed far sooner than the
-- default 20 % of the table.
ALTER TABLE rollups SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
