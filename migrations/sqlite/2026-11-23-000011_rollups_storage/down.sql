-- PostgreSQL's storage settings for the roll-ups; SQLite has none to set (kept so both
-- backends have the same migrations).
SELECT 1;
