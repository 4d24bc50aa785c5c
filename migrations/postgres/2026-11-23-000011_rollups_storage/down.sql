ALTER TABLE rollups RESET (fillfactor, autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor);
