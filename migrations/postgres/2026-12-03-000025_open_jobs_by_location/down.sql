DROP INDEX assignments_location_open;
DROP TRIGGER assignments_count_open_jobs ON assignments;
DROP FUNCTION count_open_jobs();
DROP TABLE location_open_jobs;
