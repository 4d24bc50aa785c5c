-- The job board's roll-up: how many assignments are open at each location, kept by triggers on
-- every insert, status change and delete of an assignment, whichever code path makes it. The
-- nearest-first board reads these counts (one row per location) instead of grouping every open
-- job. A count includes open jobs whose window has ended (they expire lazily, on read), so it is
-- an upper bound the board checks against the jobs themselves.
CREATE TABLE location_open_jobs (
    location_id TEXT PRIMARY KEY NOT NULL REFERENCES locations (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    open_jobs BIGINT NOT NULL
);
CREATE INDEX location_open_jobs_org ON location_open_jobs (organization_id, open_jobs);

INSERT INTO location_open_jobs (location_id, organization_id, open_jobs)
SELECT location_id, organization_id, count(*) FROM assignments WHERE status = 'open'
GROUP BY location_id, organization_id;

CREATE TRIGGER assignments_open_on_insert AFTER INSERT ON assignments
WHEN NEW.status = 'open'
BEGIN
    INSERT OR IGNORE INTO location_open_jobs (location_id, organization_id, open_jobs)
    VALUES (NEW.location_id, NEW.organization_id, 0);
    UPDATE location_open_jobs SET open_jobs = open_jobs + 1 WHERE location_id = NEW.location_id;
END;

CREATE TRIGGER assignments_open_on_reopen AFTER UPDATE OF status ON assignments
WHEN OLD.status <> 'open' AND NEW.status = 'open'
BEGIN
    INSERT OR IGNORE INTO location_open_jobs (location_id, organization_id, open_jobs)
    VALUES (NEW.location_id, NEW.organization_id, 0);
    UPDATE location_open_jobs SET open_jobs = open_jobs + 1 WHERE location_id = NEW.location_id;
END;

CREATE TRIGGER assignments_open_on_leave AFTER UPDATE OF status ON assignments
WHEN OLD.status = 'open' AND NEW.status <> 'open'
BEGIN
    UPDATE location_open_jobs SET open_jobs = open_jobs - 1 WHERE location_id = OLD.location_id;
END;

CREATE TRIGGER assignments_open_on_delete AFTER DELETE ON assignments
WHEN OLD.status = 'open'
BEGIN
    UPDATE location_open_jobs SET open_jobs = open_jobs - 1 WHERE location_id = OLD.location_id;
END;

-- The board reads the jobs of one location, soonest-ending first (ties by id): the index gives
-- that order whole, so a page stops after its rows however many jobs the location has.
CREATE INDEX assignments_location_open ON assignments (location_id, status, window_end, id);
