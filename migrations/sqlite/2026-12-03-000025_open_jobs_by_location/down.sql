DROP INDEX assignments_location_open;
DROP TRIGGER assignments_open_on_delete;
DROP TRIGGER assignments_open_on_leave;
DROP TRIGGER assignments_open_on_reopen;
DROP TRIGGER assignments_open_on_insert;
DROP TABLE location_open_jobs;
