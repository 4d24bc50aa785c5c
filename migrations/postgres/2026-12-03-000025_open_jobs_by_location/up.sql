-- The job board's roll-up: how many assignments are open at each location, kept by a trigger on
-- every insert, status change and delete of an assignment, whichever code path makes it. The
-- nearest-first board reads these counts (one row per location) instead of grouping every open
-- job. A count includes open jobs whose window has ended (they expire lazily, on read), so it is
-- an upper bound the board checks against the jobs themselves.
CREATE TABLE location_open_jobs (
    location_id TEXT PRIMARY KEY NOT NULL REFERENCES locations (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    open_jobs BIGINT NOT NULL
) WITH (fillfactor = 70);
CREATE INDEX location_open_jobs_org ON location_open_jobs (organization_id, open_jobs);

INSERT INTO location_open_jobs (location_id, organization_id, open_jobs)
SELECT location_id, organization_id, count(*) FROM assignments WHERE status = 'open'
GROUP BY location_id, organization_id;

CREATE FUNCTION count_open_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'open'
       AND (TG_OP = 'DELETE' OR NEW.status <> 'open') THEN
        UPDATE location_open_jobs SET open_jobs = open_jobs - 1
        WHERE location_id = OLD.location_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'open'
       AND (TG_OP = 'INSERT' OR OLD.status <> 'open') THEN
        INSERT INTO location_open_jobs (location_id, organization_id, open_jobs)
        VALUES (NEW.location_id, NEW.organization_id, 1)
        ON CONFLICT (location_id) DO UPDATE
        SET open_jobs = location_open_jobs.open_jobs + 1;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER assignments_count_open_jobs
AFTER INSERT OR DELETE OR UPDATE OF status ON assignments
FOR EACH ROW EXECUTE FUNCTION count_open_jobs();

-- The board reads the jobs of one location, soonest-ending first (ties by id): the index gives
-- that order whole, so a page stops after its rows however many jobs the location has.
CREATE INDEX assignments_location_open ON assignments (location_id, status, window_end, id);
